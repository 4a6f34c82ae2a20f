"""Crawl benchmarks: fetch and extraction ceilings, the hand-rolled peer, uninews end to end, recrawl, memory."""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.common import Finished, cores, run_measured
from bench.site import ARTICLE_URL, ORIGIN, SITE_NAME, BenchSite, Server

logger = logging.getLogger(__name__)

# Politeness off against our own 127.0.0.1 server; the same concurrency for every spider.
CONCURRENCY = {
    "AUTOTHROTTLE_ENABLED": "false",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "32",
    "ROBOTSTXT_OBEY": "false",
}
UNINEWS_ONLY = {"UNINEWS_PROGRESS_INTERVAL": "0"}
SUMMARY_RE = re.compile(
    r"^(?P<site>\S+): (?P<status>\w+) in (?P<secs>[\d.]+)s \((?P<req>\d+) requests\)"
)


def settings_args(settings: dict[str, str]) -> list[str]:
    return [a for k, v in settings.items() for a in ("-s", f"{k}={v}")]


def local(url: str, server: Server) -> str:
    """The server's URL for an origin URL."""
    parts = urlsplit(url)
    return server.url + parts.path + (f"?{parts.query}" if parts.query else "")


def _check(done: Finished, what: str, log: Path | None) -> None:
    if done.returncode != 0:
        tail = done.stderr[-2000:] if done.stderr else ""
        raise RuntimeError(f"{what} exited with {done.returncode} (log: {log}):\n{tail}")


def _json_tail(stdout: str) -> dict[str, Any]:
    return json.loads(stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- ceilings


def fetch_ceiling(site: BenchSite, server: Server, workdir: Path) -> dict[str, Any]:
    """A bare Scrapy spider fetching every listing and article page, in its own process."""
    urls = workdir / "fetch-urls.json"
    urls.write_text(json.dumps([local(u, server) for u in site.listing_pages + site.articles]))
    log = workdir / "fetch.log"
    done = run_measured(
        [
            sys.executable,
            "-m",
            "bench.spiders",
            "fetch",
            "--urls",
            str(urls),
            *settings_args(CONCURRENCY),
        ],
        log_file=log,
    )
    _check(done, "the fetch-only spider", log)
    r = _json_tail(done.stdout)
    pages = r["status_200"]
    if pages != site.pages:
        logger.warning("fetch-only: %d pages answered 200 of %d", pages, site.pages)
    if pages < 0.99 * site.pages:
        raise RuntimeError(f"the server answered only {pages} of {site.pages} pages (log: {log})")
    return {
        "pages": pages,
        "seconds": round(r["seconds"], 2),
        "wall_seconds": round(done.seconds, 2),
        "pages_per_s": round(pages / r["seconds"], 1),
        "mb_per_s": round(r["bytes"] / r["seconds"] / 2**20, 1),
    }


def extraction_ceiling(
    site: BenchSite, workdir: Path, *, readability: bool = False, limit: int | None = None
) -> dict[str, Any]:
    """extract_article (or readability) over the article pages from disk, in one process."""
    urls = site.articles[:limit] if limit else site.articles
    pages = workdir / ("readability-pages.json" if readability else "extract-pages.json")
    pages.write_text(json.dumps([[u, str(site.file_for(u))] for u in urls]))
    cmd = [
        sys.executable, "-m", "bench.crawl", "extract", str(pages),
        "--site-file", str(site.sites_dir / f"{SITE_NAME}.yaml"),
    ]  # fmt: skip
    if readability:
        cmd.append("--readability")
    log = workdir / ("readability.log" if readability else "extract.log")
    done = run_measured(cmd, log_file=log)
    _check(done, "the extraction loop", log)
    return _json_tail(done.stdout)


def _extract_loop(pages_file: Path, site_file: Path, readability: bool) -> dict[str, Any]:
    """The timed loop itself (runs in the subprocess): only the extraction call is timed."""
    import gc

    from crawler.extraction import NotAnArticle, extract_article
    from crawler.sites import load_site_file

    site = load_site_file(site_file)
    pages = json.loads(pages_file.read_text())
    if readability:
        from readability import Document
    # warm up: imports, regexes and lxml's first parse are not what we measure
    warm = Path(pages[0][1]).read_bytes()
    extract_article(warm, pages[0][0], site, content_type="text/html")
    gc.collect()
    spent = 0.0
    failed = 0
    size = 0
    for url, path in pages:
        body = Path(path).read_bytes()
        size += len(body)
        t0 = time.perf_counter()
        try:
            if readability:
                Document(body.decode("utf-8")).summary(html_partial=True)
            else:
                extract_article(body, url, site, content_type="text/html")
        except NotAnArticle:
            failed += 1
        spent += time.perf_counter() - t0
    return {
        "pages": len(pages),
        "seconds": round(spent, 2),
        "pages_per_s": round(len(pages) / spent, 1),
        "not_articles": failed,
        "mean_kb": round(size / len(pages) / 1024, 1),
    }


# --------------------------------------------------------------------------- peer baseline


def hand_rolled(site: BenchSite, server: Server, workdir: Path) -> dict[str, Any]:
    """Scrapy + readability in the callback + FEEDS to JSON lines, in its own process."""
    out = workdir / "hand-rolled.jsonl"
    log = workdir / "hand-rolled.log"
    cmd = [
        sys.executable, "-m", "bench.spiders", "hand-rolled",
        "--start", json.dumps([local(u, server) for u in site.listings]),
        "--article-re", ARTICLE_URL, "--origin", ORIGIN, "--out", str(out),
        *settings_args(CONCURRENCY),
    ]  # fmt: skip
    done = run_measured(cmd, log_file=log, sample_memory=True)
    _check(done, "the hand-rolled spider", log)
    r = _json_tail(done.stdout)
    items = sum(1 for _ in out.open("rb"))
    if items != len(site.articles):
        logger.warning("hand-rolled: %d items for %d articles", items, len(site.articles))
    pages = r["status_200"]
    return {
        "pages": pages,
        "items": items,
        "seconds": round(r["seconds"], 2),
        "wall_seconds": round(done.seconds, 2),
        "pages_per_s": round(pages / r["seconds"], 1),
        "feed_mb": round(out.stat().st_size / 2**20, 1),
        "memory": done.memory.as_dict(),
    }


# --------------------------------------------------------------------------- uninews


def parse_summary(stdout: str) -> dict[str, Any]:
    """The crawl summary: '<site>: ok in 12.3s (456 requests)' and '3 listing pages, 10 articles …'."""
    lines = stdout.splitlines()
    for i, line in enumerate(lines):
        m = SUMMARY_RE.match(line.strip())
        if m:
            counts = {}
            if i + 1 < len(lines):
                for part in lines[i + 1].strip().split(", "):
                    n, _, label = part.partition(" ")
                    if n.isdigit():
                        counts[label] = int(n)
            return {
                "status": m["status"],
                "seconds": float(m["secs"]),
                "requests": int(m["req"]),
                "counts": counts,
            }
    raise RuntimeError(f"no crawl summary in the output:\n{stdout[-2000:]}")


def uninews_crawl(
    site: BenchSite,
    server: Server,
    store: Path,
    workdir: Path,
    *,
    label: str,
    full: bool = True,
    max_pages: int | None = None,
    settings: dict[str, str] | None = None,
) -> dict[str, Any]:
    """`uninews crawl` as a user runs it (its own process), with the process tree's RSS sampled."""
    log = workdir / f"uninews-{label}.log"
    cmd = [
        sys.executable, "-m", "uninews", "crawl", SITE_NAME,
        "--sites-dir", str(site.sites_dir), "--store", f"sqlite:///{store}",
        "--base-url", server.url, *settings_args(CONCURRENCY | UNINEWS_ONLY | (settings or {})),
    ]  # fmt: skip
    if full:
        cmd.append("--full")
    if max_pages:
        cmd += ["--max-pages", str(max_pages)]
    done = run_measured(cmd, log_file=log, sample_memory=True)
    _check(done, f"uninews crawl ({label})", log)
    summary = parse_summary(done.stdout)
    pages = summary["counts"].get("listing pages", 0) + summary["counts"].get("articles fetched", 0)
    secs = summary["seconds"]
    return {
        "command": " ".join(["uninews", *cmd[3:]]),
        **summary,
        "pages": pages,
        "pages_per_s": round(pages / secs, 1) if secs else None,
        "wall_seconds": round(done.seconds, 2),
        "log_mb": round(log.stat().st_size / 2**20, 1),
        "memory": done.memory.as_dict(),
    }


def recrawl(site: BenchSite, server: Server, store: Path, workdir: Path) -> dict[str, Any]:
    """A plain (incremental) crawl of the unchanged site; nginx counts what it was asked for."""
    server.count_requests(True)
    try:
        r = uninews_crawl(site, server, store, workdir, label="recrawl", full=False)
        counted = server.counted()
        paths = server.logged_paths() if hasattr(server, "logged_paths") else []
    finally:
        server.count_requests(False)
    article_re = re.compile(ARTICLE_URL)
    r["server_requests"] = counted
    if counted is not None:
        r["server_article_requests"] = sum(1 for p in paths if article_re.search(p.split("?")[0]))
        r["server_listing_requests"] = counted - r["server_article_requests"]
    r["listings"] = len(site.listings)
    return r


def machine_limit(fetch: dict[str, Any], extract: dict[str, Any]) -> dict[str, Any]:
    """L = cores / (1/fetch ceiling + 1/extraction ceiling): pages/s if every core did nothing else."""
    n = cores()
    limit = n / (1 / fetch["pages_per_s"] + 1 / extract["pages_per_s"])
    return {
        "cores": n,
        "fetch_pages_per_s": fetch["pages_per_s"],
        "extract_pages_per_s": extract["pages_per_s"],
        "pages_per_s": round(limit, 1),
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.crawl", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("extract", help="time extraction over pages listed in a JSON file")
    e.add_argument("pages", type=Path)
    e.add_argument("--site-file", type=Path, required=True)
    e.add_argument("--readability", action="store_true", help="readability-lxml instead")
    args = p.parse_args(argv)
    print(json.dumps(_extract_loop(args.pages, args.site_file, args.readability)))


if __name__ == "__main__":
    main()
