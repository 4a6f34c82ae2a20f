"""The `uninews` command: crawl, backfill, query, export, reprocess, and run the scheduler daemon."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

from uninews import output

logger = logging.getLogger(__name__)


class UsageError(Exception):
    """Bad input from the user; printed as one line, exit status 2."""


def _date(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad date {value!r}: use YYYY-MM-DD") from None


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {value!r}")
    return n


def _setting(value: str) -> tuple[str, str]:
    key, sep, val = value.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {value!r}")
    return key, val


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line, like every other error, instead of argparse's usage dump.
        self.exit(2, f"uninews: error: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="uninews", description=__doc__)
    p.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    p.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    def add(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help)

    def store_opt(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--store",
            metavar="URI",
            help="sqlite:///PATH or mongodb://HOST[:PORT]/DB (default: $UNINEWS_STORE, else "
            "sqlite under ~/.local/share/uninews)",
        )

    def sites_opt(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--sites-dir",
            metavar="DIR",
            type=Path,
            default=Path(os.environ["UNINEWS_SITES_DIR"])
            if os.environ.get("UNINEWS_SITES_DIR")
            else None,
            help="more site files (YAML); default: $UNINEWS_SITES_DIR",
        )

    def crawl_opts(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("site", help="site name (see: uninews sites)")
        store_opt(sp)
        sites_opt(sp)
        sp.add_argument(
            "--max-pages", type=_positive, metavar="N", help="listing pages per listing, at most"
        )
        sp.add_argument(
            "--base-url",
            metavar="URL",
            help="crawl a mirror or local copy instead of the live site",
        )
        sp.add_argument(
            "-s",
            "--set",
            action="append",
            type=_setting,
            default=[],
            metavar="KEY=VALUE",
            help="override a Scrapy setting (e.g. -s DOWNLOAD_DELAY=2)",
        )
        sp.add_argument("--run-id", help=argparse.SUPPRESS)

    sp = add("crawl", "crawl a site for new and changed articles (incremental)")
    crawl_opts(sp)
    sp.add_argument(
        "--full", action="store_true", help="walk every listing page, not just until nothing is new"
    )

    sp = add("backfill", "fetch a site's history over a date range; resumes where it stopped")
    crawl_opts(sp)
    sp.add_argument("--since", type=_date, required=True, metavar="YYYY-MM-DD")
    sp.add_argument("--until", type=_date, metavar="YYYY-MM-DD")
    sp.add_argument("--refetch", action="store_true", help="fetch articles already archived too")
    sp.add_argument(
        "--restart", action="store_true", help="ignore saved progress and start from page 1"
    )

    sp = add("extract", "extract one saved page and print the record (the tool to debug a site)")
    sp.add_argument("file", help="HTML file, or - for standard input")
    sp.add_argument("--url", required=True, help="the URL the page was served at")
    sp.add_argument("--site", help="apply this site's timezone, layout and selectors")
    sites_opt(sp)
    sp.add_argument("--format", choices=("json", "text"), default="json")

    sp = add("search", "find archived articles; newest first")
    sp.add_argument("text", nargs="?", help="keywords (Chinese or English); all must occur")
    store_opt(sp)
    sp.add_argument("--site")
    sp.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="published on or after")
    sp.add_argument("--until", type=_date, metavar="YYYY-MM-DD", help="published on or before")
    sp.add_argument("--author", help="anyone in the byline (reporter, photographer, editor …)")
    sp.add_argument("--limit", type=int, default=20, help="at most N results (0: all)")
    sp.add_argument("--format", choices=output.FORMATS, default="table")

    sp = add("show", "print one archived article")
    sp.add_argument("id", metavar="ID|URL")
    store_opt(sp)
    sp.add_argument("--format", choices=("text", "json"), default="text")
    sp.add_argument("--versions", action="store_true", help="list every version and what changed")

    sp = add("stats", "per site: articles, earliest and latest publish date, last crawl")
    store_opt(sp)
    sp.add_argument("--format", choices=("table", "json"), default="table")

    sp = add("export", "stream every record (or one site's)")
    store_opt(sp)
    sp.add_argument("--site")
    sp.add_argument("--format", choices=("jsonl", "csv", "json"), default="jsonl")
    sp.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")

    sp = add("reprocess", "re-extract archived raw pages with the current extractor (no network)")
    store_opt(sp)
    sites_opt(sp)
    sp.add_argument("--site")
    sp.add_argument(
        "--since", type=_date, metavar="YYYY-MM-DD", help="articles published on or after"
    )

    sp = add("sites", "list the known sites")
    sites_opt(sp)
    sp.add_argument("--format", choices=("table", "json"), default="table")

    sp = add("daemon", "run scheduled crawls forever (foreground; stop with SIGTERM)")
    store_opt(sp)
    sites_opt(sp)
    sp.add_argument("--only", metavar="SITE,…", help="schedule only these sites")
    sp.add_argument(
        "--max-parallel", type=_positive, default=2, metavar="N", help="crawls at once (default 2)"
    )
    sp.add_argument(
        "--run-timeout",
        type=_positive,
        default=3 * 3600,
        metavar="SECONDS",
        help="kill a crawl that runs longer (default 3 h; a site file may set its own)",
    )
    sp.add_argument(
        "--grace",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="on SIGTERM, how long running crawls get to stop cleanly (default 30)",
    )
    sp.add_argument(
        "--every", type=float, metavar="SECONDS", help=argparse.SUPPRESS
    )  # tests and demos
    sp.add_argument(
        "--base-url", action="append", default=[], metavar="SITE=URL", help=argparse.SUPPRESS
    )
    sp.add_argument(
        "-s",
        "--set",
        action="append",
        type=_setting,
        default=[],
        metavar="KEY=VALUE",
        help="Scrapy setting for every crawl",
    )

    sp = add("status", "is the daemon alive; per site: schedule, next run, last run, articles")
    store_opt(sp)
    sites_opt(sp)
    sp.add_argument("--format", choices=("table", "json"), default="table")
    return p


def _store(args: argparse.Namespace) -> closing[Any]:
    """The store the command names, closed when the `with` block ends."""
    from storage import default_store_uri, open_store

    return closing(open_store(args.store or default_store_uri()))


def _settings(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return dict(pairs)


def cmd_crawl(args: argparse.Namespace) -> int:
    from crawler.run import run_crawl
    from crawler.sites import get_site
    from storage import default_store_uri, open_store

    site = get_site(args.site, args.sites_dir)
    uri = args.store or default_store_uri()
    open_store(uri).close()  # a bad or unreachable store fails here, in one line, before crawling
    mode = (
        "backfill"
        if args.command == "backfill"
        else ("full" if getattr(args, "full", False) else "incremental")
    )
    summary = run_crawl(
        site,
        uri,
        base_url=args.base_url,
        max_pages=args.max_pages,
        mode=mode,
        since=getattr(args, "since", None),
        until=getattr(args, "until", None),
        refetch=getattr(args, "refetch", False),
        restart=getattr(args, "restart", False),
        settings=_settings(args.set),
        run_id=args.run_id,
    )
    for line in summary.lines():
        print(line)
    return {"ok": 0, "interrupted": 130}.get(summary.status, 1)


def cmd_extract(args: argparse.Namespace) -> int:
    from crawler.extraction import NotAnArticle, extract_article
    from crawler.sites import get_site

    site = get_site(args.site, args.sites_dir) if args.site else None
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror}") from None
    try:
        article = extract_article(data, args.url, site)
    except NotAnArticle as exc:
        print(f"uninews: not an article: {exc}", file=sys.stderr)
        return 3
    rec = article.as_dict()
    if args.format == "json":
        print(json.dumps(rec, ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(output.record_text(rec))
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from storage import SearchQuery

    with _store(args) as store:
        q = SearchQuery(
            text=args.text,
            site=args.site,
            since=args.since,
            until=args.until,
            author=args.author,
            limit=args.limit or None,
        )
        n = output.write_records(store.search(q), args.format)
    if args.format == "table":
        print(f"({n} article{'s' if n != 1 else ''})", file=sys.stderr)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with _store(args) as store:
        rec = store.get(args.id)
        if rec is None:
            raise UsageError(f"no article {args.id!r} in the archive")
        if args.versions:
            versions = store.versions(rec["id"])
            if args.format == "json":
                print(output.dump_json(versions))
            else:
                for v in versions:
                    changed = ", ".join(v["changed"]) or "first version"
                    print(
                        f"v{v['version']}  {v['stored_at']}  {changed}  {v['record'].get('title')}"
                    )
            return 0
        if args.format == "json":
            print(json.dumps(rec, ensure_ascii=False, indent=2, default=str))
        else:
            sys.stdout.write(output.record_text(rec))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    with _store(args) as store:
        rows = store.stats()
    cols = [
        ("site", "SITE", 20),
        ("articles", "ARTICLES", 9),
        ("earliest", "EARLIEST", 11),
        ("latest", "LATEST", 11),
        ("last_crawl", "LAST CRAWL", 27),
    ]
    output.print_rows(rows, args.format, cols)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    with _store(args) as store:
        if args.output:
            try:
                out = open(args.output, "w", encoding="utf-8", newline="")  # noqa: SIM115
            except OSError as exc:
                raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None
            with out:
                n = output.write_records(store.iter_records(args.site), args.format, out)
            print(f"exported {n} records to {args.output}", file=sys.stderr)
        else:
            output.write_records(store.iter_records(args.site), args.format, sys.stdout)
    return 0


def cmd_reprocess(args: argparse.Namespace) -> int:
    from crawler.reprocess import reprocess

    with _store(args) as store:
        counts = reprocess(store, site=args.site, since=args.since, sites_dir=args.sites_dir)
    print(", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


def cmd_sites(args: argparse.Namespace) -> int:
    from crawler.sites import load_sites

    sites = load_sites(args.sites_dir)
    rows = [
        {
            "name": s.name,
            "title": s.title,
            "base_url": s.base_url,
            "schedule": s.schedule,
            "timezone": s.timezone,
            "listings": len(s.listings),
            "file": s.path,
        }
        for s in sites.values()
    ]
    cols = [
        ("name", "NAME", 18),
        ("schedule", "SCHEDULE", 14),
        ("timezone", "TIMEZONE", 15),
        ("base_url", "BASE URL", 34),
        ("title", "TITLE", 30),
    ]
    output.print_rows(rows, args.format, cols)
    return 0


def cmd_daemon(args: argparse.Namespace) -> int:
    from scheduler.daemon import DaemonOptions, run_daemon
    from storage import default_store_uri, open_store

    uri = args.store or default_store_uri()
    open_store(uri).close()
    base_urls = {}
    for pair in args.base_url:
        name, sep, url = pair.partition("=")
        if not sep:
            raise UsageError(f"--base-url takes SITE=URL, got {pair!r}")
        base_urls[name] = url
    opts = DaemonOptions(
        store_uri=uri,
        sites_dir=args.sites_dir,
        only=[s for s in (args.only or "").split(",") if s] or None,
        max_parallel=args.max_parallel,
        run_timeout=args.run_timeout,
        grace=args.grace,
        every=args.every,
        base_urls=base_urls,
        settings=_settings(args.set),
    )
    return run_daemon(opts)


def cmd_status(args: argparse.Namespace) -> int:
    from scheduler.status import print_status

    with _store(args) as store:
        return print_status(store, args.sites_dir, args.format)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "crawl": cmd_crawl,
    "backfill": cmd_crawl,
    "extract": cmd_extract,
    "search": cmd_search,
    "show": cmd_show,
    "stats": cmd_stats,
    "export": cmd_export,
    "reprocess": cmd_reprocess,
    "sites": cmd_sites,
    "daemon": cmd_daemon,
    "status": cmd_status,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    # Scrapy sets its own loggers to DEBUG; filter at the handler so -q/-v mean what they say.
    for handler in logging.root.handlers:
        handler.setLevel(level)
    if args.command not in ("crawl", "backfill", "daemon"):
        logging.getLogger().setLevel(
            max(level, logging.WARNING)
        )  # query commands print results only

    from crawler.sites import SiteError
    from storage import StorageError

    try:
        return COMMANDS[args.command](args)
    except (SiteError, StorageError, UsageError) as exc:
        print(f"uninews: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, (UsageError, SiteError)) else 1
    except KeyboardInterrupt:
        print("uninews: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
