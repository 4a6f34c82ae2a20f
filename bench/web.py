"""Web benchmark: `uninews serve` over a 100,000-record SQLite archive, p50/p95 of the search page,
the search API (first and later pages), an article page and a site dashboard, over HTTP."""

from __future__ import annotations

import logging
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import ROOT, child_env, phase
from bench.store import SITE, _records

logger = logging.getLogger(__name__)

REPEATS = 40
# (name, path, what it stands for); {cursor} and {article} are filled in from the archive
CASES = (
    ("page: 党建", "/search?q=%E5%85%9A%E5%BB%BA", "search page, a Chinese keyword in ~3%"),
    ("page: climate", "/search?q=climate", "search page, an English keyword in ~8%"),
    ("page: 研究", "/search?q=%E7%A0%94%E7%A9%B6", "search page, a word in most records"),
    ("page: a year", f"/search?site={SITE}&since=2015-01-01&until=2015-12-31", "site + dates"),
    ("page: 党建 p2", "/search?q=%E5%85%9A%E5%BB%BA&page=2", "the next page"),
    ("page: 研究 p200", "/search?q=%E7%A0%94%E7%A9%B6&page=200", "page 200: an offset of 3,980"),
    ("page: 研究 oldest", "/search?q=%E7%A0%94%E7%A9%B6&sort=oldest", "oldest first"),
    ("page: 党建 oldest p9", "/search?q=%E5%85%9A%E5%BB%BA&sort=oldest&page=9", "oldest, p9"),
    (
        "page: a year p5",
        f"/search?site={SITE}&since=2015-01-01&until=2015-12-31&page=5",
        "site + dates, page 5",
    ),
    (
        "page: 党建 ranked",
        "/search?q=%E5%85%9A%E5%BB%BA&sort=relevance",
        "relevance: every match read and scored",
    ),
    ("api: 党建", "/api/search?q=%E5%85%9A%E5%BB%BA", "search API"),
    ("api: climate", "/api/search?q=climate", "search API"),
    ("api: 研究", "/api/search?q=%E7%A0%94%E7%A9%B6", "search API, worst case"),
    ("api: 党建 p2", "/api/search?q=%E5%85%9A%E5%BB%BA&cursor={cursor}", "search API, next page"),
    ("article page", "/articles/{article}", "one article with its versions"),
    ("site dashboard", f"/sites/{SITE}", "months, runs, fill rates"),
)
TARGETED = ("page:", "api:")  # the p95 < 200 ms target is for the search page and the API


def build(path: Path, size: int) -> dict[str, Any]:
    """An archive of `size` synthetic records (bench/store.py's), written in batches."""
    from storage import open_store
    from storage.common import prepare

    store = open_store(f"sqlite:///{path}")
    t0 = time.perf_counter()
    batch = []
    for rec in _records(size, 0):
        batch.append(prepare(rec))
        if len(batch) == 1000:
            store.upsert_many(batch)
            batch = []
    if batch:
        store.upsert_many(batch)
    store.close()
    return {"records": size, "seconds": round(time.perf_counter() - t0, 1),
            "db_mb": round(path.stat().st_size / 2**20, 1)}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """`uninews serve` over the archive at `path`: its base URL, and a cursor and an article id
    to fill the cases' paths with."""
    import httpx

    port = _free_port()
    cmd = [sys.executable, "-m", "uninews", "serve", "--store", f"sqlite:///{path}",
           "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env(), stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    client.get("/api/openapi.json")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError("uninews serve did not start") from None
                    time.sleep(0.1)
            first = client.get("/api/search", params={"q": "党建"}).json()
        yield base, {"cursor": first["next_cursor"], "article": first["results"][0]["id"],
                     "pid": str(proc.pid)}  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def measure(path: Path) -> dict[str, Any]:
    import httpx

    with serving(path) as (base, fill), httpx.Client(base_url=base, timeout=30) as client:
        out = {}
        for name, path_t, means in CASES:
            url = path_t.format(**fill)
            for _ in range(3):  # warm-up
                answer = client.get(url)
                answer.raise_for_status()
            times = []
            for _ in range(REPEATS):
                t0 = time.perf_counter()
                answer = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                answer.raise_for_status()
            times.sort()
            total = None
            if name.startswith("api: "):
                total = answer.json()["total"]
            elif name.startswith("page: "):
                m = re.search(r'id="count">([\d,]+) article', answer.text)
                total = int(m.group(1).replace(",", "")) if m else None
            out[name] = {
                "path": url,
                "stands_for": means,
                "matching": total,
                **_percentiles(times),
            }
            logger.info("  %-15s p50 %6.1f ms  p95 %6.1f ms  (%s)", name,
                        out[name]["p50_ms"], out[name]["p95_ms"], means)  # fmt: skip
    return out


def _percentiles(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "max_ms": round(times[-1], 1),
    }


# What 50 people (or a few dashboards on a wall, and scripts) ask at once: mostly dashboards.
LOAD_MIX = (
    ("site dashboard", f"/sites/{SITE}"),
    ("home", "/"),
    ("site dashboard", f"/sites/{SITE}"),
    ("api: site stats", f"/api/sites/{SITE}/stats"),
    ("page: climate", "/search?q=climate"),
    ("api: 党建", "/api/search?q=%E5%85%9A%E5%BB%BA"),
    ("article page", "/articles/{article}"),
)


def load(path: Path, clients: int = 50, requests: int = 2000) -> dict[str, Any]:
    """`requests` requests from `clients` concurrent clients (each waits for its answer before
    asking again), over LOAD_MIX: p50/p95 of all and of each kind."""
    import asyncio

    import httpx

    async def go(base: str, fill: dict[str, str]) -> dict[str, list[float]]:
        times: dict[str, list[float]] = {}
        todo = iter(range(requests))
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

            async def one_client() -> None:
                for i in todo:
                    name, path_t = LOAD_MIX[i % len(LOAD_MIX)]
                    t0 = time.perf_counter()
                    answer = await client.get(path_t.format(**fill))
                    times.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
                    answer.raise_for_status()

            for _name, path_t in LOAD_MIX:  # warm-up: one of each
                (await client.get(path_t.format(**fill))).raise_for_status()
            await asyncio.gather(*(one_client() for _ in range(clients)))
        return times

    with serving(path) as (base, fill):
        cpu0 = _cpu_seconds(fill["pid"])
        t0 = time.perf_counter()
        times = asyncio.run(go(base, fill))
        seconds = time.perf_counter() - t0
        cpu = _cpu_seconds(fill["pid"]) - cpu0
    every = [t for ts in times.values() for t in ts]
    out: dict[str, Any] = {"clients": clients, "requests": len(every),
                           "per_s": round(len(every) / seconds, 1), "all": _percentiles(every)}  # fmt: skip
    # What the server spent per request, whatever else the machine was doing: on a shared
    # machine the latencies depend on the neighbours, this much less.
    out["server_cpu_ms_per_request"] = round(cpu * 1000 / len(every), 2)
    out["kinds"] = {name: _percentiles(ts) for name, ts in times.items()}
    return out


def _cpu_seconds(pid: str) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(workdir: Path, size: int) -> dict[str, Any]:
    path = workdir / "web.sqlite3"
    with phase(f"web: an archive of {size:,} records"):
        built = build(path, size)
    with phase("web: uninews serve, each request 40 times"):
        cases = measure(path)
    return {"archive": built, "cases": cases}


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.web`: serve's p95 under concurrent clients (issue #20: < 200 ms at 50)."""
    import argparse
    import tempfile

    from bench.common import setup_logging

    p = argparse.ArgumentParser(prog="python -m bench.web", description=main.__doc__)
    p.add_argument("--records", type=int, default=10_000, help="archive size (default 10,000)")
    p.add_argument("--archive", type=Path, help="an archive built before (kept between runs)")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--requests", type=int, default=2000)
    args = p.parse_args(argv)
    setup_logging()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
    with tempfile.TemporaryDirectory(prefix="uninews-bench-web-") as tmp:
        path = args.archive or Path(tmp) / "web.sqlite3"
        if not path.exists():
            with phase(f"web: an archive of {args.records:,} records"):
                build(path, args.records)
        with phase(f"web: {args.requests:,} requests from {args.clients} concurrent clients"):
            fig = load(path, args.clients, args.requests)
    for name, kind in fig["kinds"].items():
        print(f"  {name:<16} p50 {kind['p50_ms']:7.1f} ms  p95 {kind['p95_ms']:7.1f} ms")
    every = fig["all"]
    print(f"serve, {args.records:,} records, {fig['clients']} concurrent clients,"
          f" {fig['requests']:,} requests ({fig['per_s']:,.0f}/s): p50 {every['p50_ms']:.1f} ms,"
          f" p95 {every['p95_ms']:.1f} ms, max {every['max_ms']:.1f} ms;"
          f" server CPU {fig['server_cpu_ms_per_request']:.2f} ms per request")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
