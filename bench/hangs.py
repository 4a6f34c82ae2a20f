"""``python -m bench.hangs``: seconds from Ctrl-C to exit, and peak RSS, on the inputs of issue #20.

Five local servers, each built for one way a command used to hang or swell:

- a server that sends one byte every 3 s: ``sites discover`` (started as a script's background
  job, with SIGINT ignored) and ``crawl``, each sent SIGINT once it is waiting on the server;
- a listing of 2,000 near-miss links under an ``article_url`` that backtracks (each link costs
  the match timeout): ``crawl``, sent SIGTERM once the page was served;
- a 230,000-URL ``.xml.gz`` sitemap and a 100,000-link listing page: ``crawl`` with the default
  settings, sent SIGINT at the 2,000th article request (the sitemap or page has been read);
  the peak RSS is that of the crawl's whole process tree, sampled every 50 ms.

Prints one table and writes the figures to ``bench/results/hangs-<UTC time>-<commit>.json``.
"""

from __future__ import annotations

import argparse
import gzip
import io
import logging
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import (
    ROOT,
    TreeSampler,
    child_env,
    format_table,
    git_commit,
    setup_logging,
    write_results,
)
from tests.crawling import FAST, write_site
from tests.tinysite import ORIGIN, DynamicSite, TricklingSite

logger = logging.getLogger("bench.hangs")

BOUND = 300.0  # seconds after the signal before a run counts as hung (and is killed)
SLOW_ARTICLE_URL = r"^/news/(\d|\d\d){0,60}\.html$"
# The big sitemap and listing are interrupted once their articles are being fetched, at this
# request: by then the page has been read and its requests queued.
ARTICLES_BEFORE_SIGINT = 2000


def _sitemap_gz(n: int) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as gz:
        gz.write(
            b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        )
        for start in range(0, n, 10_000):
            part = range(start, min(n, start + 10_000))
            gz.write(
                "".join(f"<url><loc>{ORIGIN}/news/{i}.html</loc></url>" for i in part).encode()
            )
        gz.write(b"</urlset>")
    return buf.getvalue()


def _listing(hrefs: Any) -> bytes:
    items = "".join(f'<li><a href="{h}">{i}</a></li>' for i, h in enumerate(hrefs))
    return f"<html><body><ul>{items}</ul></body></html>".encode()


def _site(sites: Path, **keys: Any) -> None:
    data: dict[str, Any] = {"name": "tiny", "base_url": ORIGIN + "/", "language": "en",
                            "timezone": "UTC", "article_url": r"^/news/\d+\.html$",
                            "listings": ["news/index.html"]}  # fmt: skip
    write_site(sites, **{**data, **keys})


def _measure(
    args: list[str], ready: threading.Event, sig: int, *, delay: float = 0.0, ignore_sigint: bool
) -> dict[str, Any]:
    """Run `uninews ARGS`; once `ready` is set (and `delay` later) send `sig`; the seconds from
    the signal to the exit, the exit status and the tree's peak RSS."""
    old = signal.signal(signal.SIGINT, signal.SIG_IGN if ignore_sigint else signal.SIG_DFL)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uninews", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
            cwd=ROOT,
        )
    finally:
        signal.signal(signal.SIGINT, old)
    with TreeSampler(proc.pid) as sampler:
        if not ready.wait(BOUND):
            proc.kill()
            raise RuntimeError(f"never reached the server: {' '.join(args)}")
        time.sleep(delay)
        start = time.monotonic()
        proc.send_signal(sig)
        try:
            _, err = proc.communicate(timeout=BOUND)
            seconds: float | None = round(time.monotonic() - start, 2)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
            seconds = None
    tail = [ln for ln in err.splitlines() if "Traceback" in ln or "ERROR" in ln][:3]
    logger.info("%s s from the signal to the exit, peak RSS %s MB", seconds,
                sampler.peak.as_dict()["peak_rss_mb"])  # fmt: skip
    return {
        "signal_to_exit_s": seconds,
        "exit_status": proc.returncode,
        "peak_rss_mb": sampler.peak.as_dict()["peak_rss_mb"],
        "errors": tail,
    }


def _on(
    route: Callable[[str], tuple[int, dict[str, str], bytes]],
    ready: threading.Event,
    when: str,
    times: int = 1,
) -> Any:
    """`route`, setting `ready` at the `times`-th request for a path that starts with `when`."""
    seen = iter(range(1, times + 1))

    def serve(path: str) -> tuple[int, dict[str, str], bytes]:
        if path.startswith(when) and next(seen, 0) == times:
            ready.set()
        return route(path)

    return serve


def run(workdir: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    sites = workdir / "sites"
    _site(sites)
    stores = (f"sqlite:///{workdir / f'{n}.db'}" for n in range(10))  # one per case

    with TricklingSite(interval=3.0) as trickle:
        logger.info("discover against a server that trickles a byte every 3 s")
        out["discover, trickling server, SIGINT"] = _measure(
            ["sites", "discover", ORIGIN + "/", "--base-url", trickle.url],
            trickle.asked, signal.SIGINT, delay=1.0, ignore_sigint=True,
        )  # fmt: skip
    with TricklingSite(interval=3.0) as trickle:
        logger.info("crawl against the same")
        out["crawl, trickling server, SIGINT"] = _measure(
            ["crawl", "tiny", "--sites-dir", str(sites), "--store", next(stores), *FAST,
             "--base-url", trickle.url], trickle.asked, signal.SIGINT, delay=1.0,
            ignore_sigint=False,
        )  # fmt: skip

    near = _listing(f"/news/{i:04d}{'1' * 36}.htm" for i in range(2000))
    slow_sites = workdir / "slow-sites"
    _site(slow_sites, article_url=SLOW_ARTICLE_URL)
    ready = threading.Event()
    route = _on(lambda p: (200, {}, near) if p == "/news/index.html" else (404, {}, b""),
                ready, "/news/index.html")  # fmt: skip
    with DynamicSite(route) as site:
        logger.info("crawl of a listing with 2,000 near-miss links, a backtracking article_url")
        out["crawl, 2,000 near misses, SIGTERM"] = _measure(
            ["crawl", "tiny", "--sites-dir", str(slow_sites), "--store", next(stores), *FAST,
             "--base-url", site.url],
            ready, signal.SIGTERM, delay=1.0, ignore_sigint=False,
        )  # fmt: skip

    sitemap = _sitemap_gz(230_000)
    map_sites = workdir / "map-sites"
    _site(map_sites, listings=[], sitemaps=["sitemap.xml.gz"])
    ready = threading.Event()
    route = _on(lambda p: (200, {}, sitemap) if p == "/sitemap.xml.gz" else (404, {}, b""),
                ready, "/news/", ARTICLES_BEFORE_SIGINT)  # fmt: skip
    with DynamicSite(route) as site:
        logger.info("crawl of a 230,000-URL sitemap (%d KB gzipped)", len(sitemap) // 1024)
        out["crawl, 230,000-URL .xml.gz sitemap, SIGINT"] = _measure(
            ["crawl", "tiny", "--sites-dir", str(map_sites), "--store", next(stores), *FAST,
             "--base-url", site.url],
            ready, signal.SIGINT, ignore_sigint=False,
        )  # fmt: skip

    big = _listing(f"/news/{i}.html" for i in range(100_000))
    ready = threading.Event()
    route = _on(lambda p: (200, {}, big) if p == "/news/index.html" else (404, {}, b""),
                ready, "/news/", ARTICLES_BEFORE_SIGINT)  # fmt: skip
    with DynamicSite(route) as site:
        logger.info("crawl of a listing page of 100,000 links (%d KB)", len(big) // 1024)
        out["crawl, 100,000-link listing, SIGINT"] = _measure(
            ["crawl", "tiny", "--sites-dir", str(sites), "--store", next(stores), *FAST,
             "--base-url", site.url], ready, signal.SIGINT, ignore_sigint=False,
        )  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.hangs", description=__doc__)
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    setup_logging(args.verbose)
    with tempfile.TemporaryDirectory(prefix="bench-hangs-") as tmp:
        results = run(Path(tmp))
    rows = [
        [name, "hung" if r["signal_to_exit_s"] is None else f"{r['signal_to_exit_s']:.1f}",
         str(r["exit_status"]), f"{r['peak_rss_mb']:.0f}"]
        for name, r in results.items()
    ]  # fmt: skip
    print(format_table(rows, ["case", "signal to exit (s)", "exit", "peak RSS (MB)"]))
    commit = git_commit()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = write_results({"commit": commit, "bound_s": BOUND, "cases": results},
                         f"hangs-{stamp}-{commit}.json")  # fmt: skip
    logger.info("results in %s", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
