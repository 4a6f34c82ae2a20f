"""Web benchmark: `uninews serve` over a 100,000-record SQLite archive, p50/p95 of the search page,
the search API (first and later pages), an article page and a site dashboard, over HTTP."""

from __future__ import annotations

import logging
import re
import socket
import statistics
import subprocess
import sys
import time
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
    ("page: 党建 p2", "/search?q=%E5%85%9A%E5%BB%BA&cursor={cursor}", "the next page"),
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


def measure(path: Path) -> dict[str, Any]:
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
            fill = {"cursor": first["next_cursor"], "article": first["results"][0]["id"]}
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
                    "p50_ms": round(statistics.median(times), 1),
                    "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
                    "max_ms": round(times[-1], 1),
                }
                logger.info("  %-15s p50 %6.1f ms  p95 %6.1f ms  (%s)", name,
                            out[name]["p50_ms"], out[name]["p95_ms"], means)  # fmt: skip
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run(workdir: Path, size: int) -> dict[str, Any]:
    path = workdir / "web.sqlite3"
    with phase(f"web: an archive of {size:,} records"):
        built = build(path, size)
    with phase("web: uninews serve, each request 40 times"):
        cases = measure(path)
    return {"archive": built, "cases": cases}
