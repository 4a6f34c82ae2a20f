"""``python -m bench``: crawl throughput against the machine's limit and a hand-rolled spider, recrawl cost, memory, store speed."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import capture as CAP
from bench import crawl as C
from bench import site as S
from bench import store as ST
from bench import warc as W
from bench import web as WEB
from bench.common import (
    cores,
    fast_tmp,
    format_table,
    git_commit,
    library_versions,
    machine_info,
    phase,
    setup_logging,
    write_results,
)
from storage import redact_uri

logger = logging.getLogger("bench")

PARTS = (
    "server", "fetch", "extract", "baseline", "crawl", "recrawl", "memory", "warc", "capture",
    "store", "web",
)  # fmt: skip
FULL = {"articles": 10_000, "small": 1_000, "store": (10_000, 100_000), "readability": 1_000,
        "web": 100_000, "capture": 2_000}  # fmt: skip
QUICK = {"articles": 1_500, "small": 300, "store": (10_000,), "readability": 300, "web": 10_000,
         "capture": 500}  # fmt: skip

# Targets of issue #7.
TARGET_L = 0.8
TARGET_PEER = 2.0
TARGET_RECRAWL_S = 2.0
TARGET_RSS_MB = 400
TARGET_RSS_GROWTH = 0.15
TARGET_SEARCH_P95_MS = 100
TARGET_WEB_P95_MS = 200  # issue #13: the search page and the API on a 100,000-record archive


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument(
        "--quick", action="store_true", help="a smoke run: 1,500 pages, 10,000 store records"
    )
    p.add_argument("--only", help=f"comma-separated parts to run: {','.join(PARTS)}")
    p.add_argument("--articles", type=int, help="article pages in the generated site")
    p.add_argument("--server", choices=("nginx", "python"), default="nginx")
    p.add_argument("--no-install", action="store_true", help="never apt-get install nginx")
    p.add_argument("--keep", action="store_true", help="keep the generated site and work files")
    p.add_argument(
        "--out", type=Path, help="results JSON file (default: bench/results/<time>-<commit>.json)"
    )
    p.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    parts = set(PARTS)
    if args.only:
        parts = {x.strip() for x in args.only.split(",") if x.strip()}
        unknown = parts - set(PARTS)
        if unknown:
            p.error(f"unknown part(s) {', '.join(sorted(unknown))}; known: {', '.join(PARTS)}")
    args.parts = parts
    return args


def _fmt(value: float | None, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}{unit}"


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


class Report:
    """The figures as table rows and as JSON, filled phase by phase."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.targets: list[dict[str, Any]] = []

    def section(self, title: str) -> None:
        self.rows.append([title])

    def row(self, name: str, value: str, target: str = "", ok: bool | None = None) -> None:
        self.rows.append([f"  {name}", value, target, _verdict(ok) if target else ""])
        if target:
            self.targets.append({"figure": name, "value": value, "target": target, "pass": ok})

    def table(self) -> str:
        return format_table(self.rows, ("figure", "value", "target", ""))


def run(args: argparse.Namespace) -> dict[str, Any]:
    cfg = dict(QUICK if args.quick else FULL)
    if args.articles:
        cfg["articles"] = args.articles
        cfg["small"] = min(cfg["small"], max(args.articles // 5, 80))
    parts: set[str] = args.parts
    if "warc" in parts:
        parts.add("memory")  # the small crawl's archive: the WARC figures at two sizes
    if "recrawl" in parts or "memory" in parts:
        parts.add("crawl")  # both need the full crawl's store / its memory figure
    needs_site = parts & {"server", "fetch", "extract", "baseline", "crawl"}
    started = time.perf_counter()
    timings: dict[str, float] = {}
    results: dict[str, Any] = {
        "commit": git_commit(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
        "quick": args.quick,
        "parts": sorted(parts),
        "machine": machine_info(),
        "settings": C.CONCURRENCY | C.UNINEWS_ONLY,
    }
    rep = Report()
    workdir = Path(tempfile.mkdtemp(prefix="uninews-bench-work-", dir=fast_tmp()))
    workdir.chmod(0o755)  # nginx's workers run as another user and must read the site
    site: S.BenchSite | None = None
    server: S.Server | None = None
    try:
        if needs_site:
            with phase(f"site: generate {cfg['articles']:,} article pages", timings):
                site = S.build(cfg["articles"], root=workdir / "site")
            results["site"] = site.describe()
            logger.info(
                "  %s articles (mean %.1f KB), %s listing pages in %d listings, under %s",
                f"{len(site.articles):,}", site.mean_bytes / 1024, f"{len(site.listing_pages):,}",
                len(site.listings), site.root,
            )  # fmt: skip
            with phase("server: start", timings):
                server = S.start_server(
                    site.docroot, prefer=args.server, install=not args.no_install
                )
            logger.info("  %s at %s", server.kind, server.url)
            results["server"] = {"kind": server.kind, "version": server.version, "how": server.how}
            rep.section(
                f"Site: {len(site.articles):,} articles (mean {site.mean_bytes / 1024:.0f} KB) + {len(site.listing_pages):,} listing pages; server {server.kind} {server.version or ''} ({server.how})"
            )
            if "server" in parts:
                with phase("server: keep-alive GET loop from another process", timings):
                    loop = S.measure_server(server, site)
                results["server"]["client_loop"] = loop
                rep.row(
                    "server, one Python client",
                    f"{_fmt(loop['requests_per_s'])} req/s ({loop['mb_per_s']} MB/s)",
                )
        assert site is not None or not needs_site
        fetch = extract = None
        if "fetch" in parts and site and server:
            with phase("fetch ceiling: bare Scrapy spider", timings):
                fetch = C.fetch_ceiling(site, server, workdir)
            results["fetch"] = fetch
            logger.info("  %.0f pages/s", fetch["pages_per_s"])
            rep.section("Ceilings (same run)")
            rep.row("fetch only (Scrapy, nothing done)", f"{_fmt(fetch['pages_per_s'])} pages/s")
        if "extract" in parts and site:
            if "Ceilings (same run)" not in [r[0] for r in rep.rows]:
                rep.section("Ceilings (same run)")
            with phase("extraction ceiling: extract_article, one process", timings):
                extract = C.extraction_ceiling(site, workdir)
            results["extraction"] = extract
            logger.info("  %.0f pages/s per core", extract["pages_per_s"])
            rep.row(
                "extraction only (extract_article, 1 core)",
                f"{_fmt(extract['pages_per_s'])} pages/s",
            )
            with phase(
                f"readability-only on {cfg['readability']:,} pages (for reference)", timings
            ):
                rd = C.extraction_ceiling(site, workdir, readability=True, limit=cfg["readability"])
            results["readability"] = rd
            rep.row(
                "readability only (Document.summary, 1 core)", f"{_fmt(rd['pages_per_s'])} pages/s"
            )
        limit = None
        if fetch and extract:
            limit = C.machine_limit(fetch, extract)
            results["limit"] = limit
            rep.row(
                f"L = {limit['cores']} cores / (1/fetch + 1/extract)",
                f"{_fmt(limit['pages_per_s'])} pages/s",
            )
        baseline = None
        if "baseline" in parts and site and server:
            with phase("peer baseline: hand-rolled Scrapy + readability spider", timings):
                baseline = C.hand_rolled(site, server, workdir)
            results["baseline"] = baseline
            logger.info("  %.0f pages/s (%d items)", baseline["pages_per_s"], baseline["items"])
            rep.section("Hand-rolled spider (Scrapy + readability in the callback + FEEDS)")
            rep.row(
                "throughput",
                f"{_fmt(baseline['pages_per_s'], digits=1)} pages/s ({baseline['items']:,} items)",
            )
        small = full = None
        if "crawl" in parts and site and server:
            if "memory" in parts:
                pages = site.listings_for(cfg["small"])
                with phase(
                    f"uninews crawl --full --max-pages {pages} (about {cfg['small']:,} pages)",
                    timings,
                ):
                    small = C.uninews_crawl(
                        site,
                        server,
                        workdir / "small.sqlite3",
                        workdir,
                        label="small",
                        max_pages=pages,
                    )
                results["uninews_small"] = small
                logger.info("  %s", _crawl_line(small))
            with phase(f"uninews crawl --full ({site.pages:,} pages)", timings):
                full = C.uninews_crawl(
                    site, server, workdir / "archive.sqlite3", workdir, label="full"
                )
            results["uninews"] = full
            logger.info("  %s", _crawl_line(full))
            rep.section("uninews crawl --full (end to end: fetch, extract in workers, store)")
            rep.row(
                "throughput",
                f"{_fmt(full['pages_per_s'], digits=1)} pages/s ({full['counts'].get('new', 0):,} new in {full['seconds']:.1f} s)",
            )
            if full["counts"].get("new", 0) != len(site.articles):
                rep.row(
                    "WARNING",
                    f"stored {full['counts'].get('new', 0):,} of {len(site.articles):,} articles",
                )
            rep.row("stderr written by the crawl", f"{full['log_mb']:,.0f} MB")
            if limit:
                ratio = full["pages_per_s"] / limit["pages_per_s"]
                results["uninews"]["ratio_to_limit"] = round(ratio, 3)
                rep.row("÷ L", f"{ratio:.2f}", f"≥ {TARGET_L}", ratio >= TARGET_L)
            if baseline:
                ratio = full["pages_per_s"] / baseline["pages_per_s"]
                results["uninews"]["ratio_to_hand_rolled"] = round(ratio, 3)
                rep.row(
                    "÷ hand-rolled spider",
                    f"{ratio:.2f}×",
                    f"≥ {TARGET_PEER}×",
                    ratio >= TARGET_PEER,
                )
        if "recrawl" in parts and site and server and full:
            with phase("unchanged recrawl: uninews crawl (incremental)", timings):
                rc = C.recrawl(site, server, workdir / "archive.sqlite3", workdir)
            results["recrawl"] = rc
            logger.info("  %s", _crawl_line(rc))
            # Revisits due by the site's policy ride along any crawl (a few of 10,000 backfilled
            # articles fall due each hour): conditional requests, counted apart from fetches.
            revisits = rc["counts"].get("revisited", 0)
            arts = rc["counts"].get("articles fetched", 0)
            if rc.get("server_article_requests") is not None:
                arts = max(arts, rc["server_article_requests"] - revisits)
            requests = (
                rc["server_requests"] if rc.get("server_requests") is not None else rc["requests"]
            )
            rep.section("Unchanged recrawl (uninews crawl, incremental)")
            rep.row(
                "requests",
                f"{requests} ({arts} articles; {rc['listings']} listings; {revisits} revisits due)",
                f"= {rc['listings']} + revisits, 0 articles",
                requests == rc["listings"] + revisits and arts == 0,
            )
            rep.row(
                "seconds (whole command; crawl alone)",
                f"{rc['wall_seconds']:.2f} s; {rc['seconds']:.1f} s",
                f"< {TARGET_RECRAWL_S:g} s",
                rc["wall_seconds"] < TARGET_RECRAWL_S,
            )
        if "memory" in parts and small and full:
            a, b = small["memory"]["peak_rss_mb"], full["memory"]["peak_rss_mb"]
            growth = b / a - 1 if a else None
            results["memory"] = {
                "small_pages": small["pages"],
                "full_pages": full["pages"],
                "small_mb": a,
                "full_mb": b,
                "growth": round(growth or 0, 3),
            }
            rep.section("Peak RSS of the crawl (all its processes, sampled every 50 ms)")
            rep.row(
                f"at {small['pages']:,} pages",
                f"{a:,.0f} MB (main {small['memory']['peak_rss_main_mb']:,.0f} MB)",
            )
            rep.row(
                f"at {full['pages']:,} pages",
                f"{b:,.0f} MB (main {full['memory']['peak_rss_main_mb']:,.0f} MB)",
                f"< {TARGET_RSS_MB} MB",
                b < TARGET_RSS_MB,
            )
            if growth is not None:
                rep.row(
                    "growth",
                    f"{growth:+.0%}",
                    f"≤ +{TARGET_RSS_GROWTH:.0%}",
                    growth <= TARGET_RSS_GROWTH,
                )
        if "warc" in parts and small and full:
            figures = {}
            for label, file in (("small", "small.sqlite3"), ("full", "archive.sqlite3")):
                store = workdir / file
                with phase(f"WARC: export and import the {label} archive", timings):
                    figures[label] = W.export_import(site, store, workdir, label)  # type: ignore[arg-type]
                logger.info("  %s", figures[label]["import"]["line"])
            results["warc"] = figures
            a, b = figures["small"], figures["full"]
            rep.section(
                f"WARC export / import (uninews export --format warc; uninews import-warc), {b['warc_mb']:,.0f} MB for {b['articles']:,} articles"
            )
            for what in ("export", "import"):
                rep.row(
                    f"{what} rate at {b['articles']:,} articles",
                    f"{_fmt(b[what]['records_per_s'])} WARC records/s ({_fmt(b[what]['articles_per_s'])} articles/s)",
                )
                growth = b[what]["peak_rss_mb"] / a[what]["peak_rss_mb"] - 1
                rep.row(
                    f"{what} peak RSS at {a['articles']:,} → {b['articles']:,} articles",
                    f"{a[what]['peak_rss_mb']:,.0f} → {b[what]['peak_rss_mb']:,.0f} MB ({growth:+.0%})",
                    f"≤ +{TARGET_RSS_GROWTH:.0%}",
                    growth <= TARGET_RSS_GROWTH,
                )
            rep.row(
                "round trip: imported new ÷ exported articles",
                f"{b['import']['new']:,} / {b['articles']:,}",
                "all",
                b["import"]["new"] == b["articles"],
            )
        if "capture" in parts:
            _capture_part(args, cfg, workdir, results, rep, timings)
        if "store" in parts:
            with phase(
                f"store: SQLite at {', '.join(f'{n:,}' for n in cfg['store'])} records", timings
            ):
                st = ST.run(tuple(cfg["store"]))
            results["store"] = st
            rep.section("Store: SQLite (on disk), synthetic records of ~2,000 characters")
            for size, fig in st["scales"].items():
                n = int(size)
                rep.row(f"upsert rate at {n:,}", f"{_fmt(fig['write']['records_per_s'])} records/s")
                for name, s in fig["search"].items():
                    q = ST.QUERIES[name][0]
                    label = f"search '{q}' p50/p95 at {n:,} ({s['matching']:,} match)"
                    value = f"{s['p50_ms']:.1f} / {s['p95_ms']:.1f} ms"
                    if n >= 100_000 and name in ST.TARGET_QUERIES:
                        rep.row(
                            label,
                            value,
                            f"p95 < {TARGET_SEARCH_P95_MS} ms",
                            s["p95_ms"] < TARGET_SEARCH_P95_MS,
                        )
                    else:
                        rep.row(label, value)
            rep.row(
                "upsert rate with a ~50 KB raw page",
                f"{_fmt(st['write_with_raw']['records_per_s'])} records/s",
            )
            uri = ST.mongo_uri()
            if uri is None:
                rep.section("Store: MongoDB")
                rep.row("upsert rate, search p95", "skipped: no server (set MONGODB_URI)")
            else:
                with phase("store: MongoDB", timings):
                    mo = ST.run(tuple(cfg["store"]), uri=uri)
                results["store_mongodb"] = mo
                rep.section(f"Store: MongoDB at {redact_uri(uri)}, the same records")
                for size, fig in mo["scales"].items():
                    n = int(size)
                    rep.row(
                        f"upsert rate at {n:,}", f"{_fmt(fig['write']['records_per_s'])} records/s"
                    )
                    for name in ST.TARGET_QUERIES:
                        s = fig["search"][name]
                        rep.row(
                            f"search '{ST.QUERIES[name][0]}' p50/p95 at {n:,} ({s['matching']:,} match)",
                            f"{s['p50_ms']:.1f} / {s['p95_ms']:.1f} ms",
                        )
        if "web" in parts:
            web = WEB.run(workdir, int(cfg["web"]))  # type: ignore[call-overload]
            results["web"] = web
            n = web["archive"]["records"]
            rep.section(
                f"uninews serve over HTTP, SQLite archive of {n:,} records ({web['archive']['db_mb']:,.0f} MB), each request 40 times"
            )
            for name, fig in web["cases"].items():
                value = f"{fig['p50_ms']:.1f} / {fig['p95_ms']:.1f} ms" + (
                    f" ({fig['matching']:,} match)" if fig["matching"] is not None else ""
                )
                if name.startswith(WEB.TARGETED) and n >= 100_000:
                    ok = fig["p95_ms"] < TARGET_WEB_P95_MS
                    rep.row(f"{name} p50/p95", value, f"p95 < {TARGET_WEB_P95_MS} ms", ok)
                else:
                    rep.row(f"{name} p50/p95", value)
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            logger.info("kept the site and work files in %s", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    results["libraries"] = library_versions(
        server.version if server and server.kind == "nginx" else None
    )
    results["targets"] = rep.targets
    results["timings"] = timings
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["table"] = rep.table()
    return results


def _capture_part(
    args: argparse.Namespace,
    cfg: dict[str, Any],
    workdir: Path,
    results: dict[str, Any],
    rep: Report,
    timings: dict[str, float],
) -> None:
    """The cost of capture: a site of its own, with photos on disk, crawled with and without."""
    n = int(cfg["capture"])
    with phase(f"capture: generate {n:,} articles with their photos", timings):
        site, images = CAP.build_site(n, workdir / "capture-site")
    server = S.start_server(site.docroot, prefer=args.server, install=not args.no_install)
    try:
        with phase("capture: uninews crawl --full without, then with capture", timings):
            cost = CAP.capture_cost(site, server, workdir)
    finally:
        server.stop()
    results["capture"] = {"site": images, **cost}
    rep.section(
        f"Capture: {n:,} articles with {images['images']:,} photos of {CAP.IMAGE_KB} KB"
        f" ({images['image_mb']:,.0f} MB), uninews crawl --full"
    )
    for label in ("without", "with"):
        r = cost[label]
        files = r["counts"].get("files archived", 0)
        rep.row(
            f"{label} capture",
            f"{_fmt(r['pages_per_s'], digits=1)} pages/s; {r['disk_mb_per_1000']:,.1f} MB per"
            f" 1,000 articles ({r['counts'].get('new', 0):,} new, {files:,} files, peak RSS"
            f" {r['memory']['peak_rss_mb']:,.0f} MB)",
        )


def _crawl_line(r: dict[str, Any]) -> str:
    return (
        f"{r['status']} in {r['seconds']:.1f} s (wall {r['wall_seconds']:.1f} s), {r['requests']:,} requests, "
        f"{r['pages_per_s'] or 0:,.1f} pages/s, peak RSS {r['memory']['peak_rss_mb']:,.0f} MB"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging(args.verbose)
    logger.info("uninews bench: %s on %d cores", "quick" if args.quick else "full", cores())
    results = run(args)
    path = _write(args.out, results) if args.out else write_results(results)
    m = results["machine"]
    print()
    print(
        f"uninews bench — commit {results['commit']}, {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}"
    )
    print(results["table"])
    print(f"\n{results['seconds']:.0f} s in all; figures in {path}")
    failed = [t["figure"] for t in results["targets"] if t["pass"] is False]
    return 1 if args.strict and failed else 0


def _write(path: Path, results: dict[str, Any]) -> Path:
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    sys.exit(main())
