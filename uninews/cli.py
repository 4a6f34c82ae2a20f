"""The `uninews` command: crawl, backfill, query, export, reprocess, and run the scheduler daemon."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from storage.blobs import human_size, with_archived
from uninews import options as opt
from uninews import output

logger = logging.getLogger(__name__)


class UsageError(Exception):
    """Bad input from the user; printed as one line, exit status 2."""


# Every command's statuses; each command's --help lists only its own.
EXIT_CODES = opt.exit_text() + " Each command's --help lists its own."


def _verbosity(parser: argparse.ArgumentParser, top: bool) -> None:
    # Accepted before and after the subcommand; after it, absent flags must not reset the
    # values given before it (argparse.SUPPRESS leaves them alone).
    default: Any = False if top else argparse.SUPPRESS
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="log every detail"
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", default=default, help="log warnings and errors only"
    )


def build_parser() -> argparse.ArgumentParser:
    p = opt.Parser(prog="uninews", description=__doc__, epilog=EXIT_CODES)
    _verbosity(p, top=True)
    sub = p.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=opt.Parser
    )

    def add(name: str, help: str, **kwargs: Any) -> argparse.ArgumentParser:
        epilog = opt.exit_text(opt.COMMAND_EXITS[name])
        sp = sub.add_parser(name, help=help, description=help, epilog=epilog, **kwargs)
        _verbosity(sp, top=False)
        return sp

    def crawl_opts(sp: argparse.ArgumentParser, pages: str) -> None:
        opt.site(sp)
        opt.store(sp)
        opt.sites_dir(sp)
        opt.max_pages(sp, pages)
        opt.base_url(sp, "crawl a mirror or local copy instead of the live site")
        opt.settings(sp)
        sp.add_argument("--run-id", help=argparse.SUPPRESS)
        sp.add_argument("--node", help=argparse.SUPPRESS)  # the Scrapyd node it was sent to

    sp = add("crawl", "crawl a site for new and changed articles (incremental)")
    crawl_opts(sp, "until a page brings nothing new; with --full, every page")
    sp.add_argument(
        "--full", action="store_true", help="walk every listing page, not just until nothing is new"
    )

    sp = add("backfill", "fetch a site's history over a date range; resumes where it stopped")
    crawl_opts(sp, "back to --since")
    opt.since_until(sp, since_required=True)
    sp.add_argument("--refetch", action="store_true", help="fetch articles already archived too")
    sp.add_argument(
        "--restart", action="store_true", help="ignore saved progress and start from page 1"
    )

    sp = add(
        "revisit",
        "check archived articles again for edits and withdrawals (conditional requests)",
    )
    opt.site(sp)
    opt.store(sp)
    opt.sites_dir(sp)
    which = sp.add_mutually_exclusive_group()
    which.add_argument(
        "--due", action="store_true", help="those due by the site's policy (default)"
    )
    which.add_argument("--all", action="store_true", help="every archived article of the site")
    which.add_argument(
        "--since", type=opt.date_arg, metavar="YYYY-MM-DD", help="those published on or after"
    )
    opt.limit(
        sp, "at most N articles (default: all those chosen)", type=opt.positive_arg, old="--max"
    )
    opt.base_url(sp)
    opt.settings(sp)
    sp.add_argument("--run-id", help=argparse.SUPPRESS)
    sp.add_argument("--node", help=argparse.SUPPRESS)

    sp = add(
        "extract",
        "extract one saved page and print the record (the tool to debug a site);"
        " exit status 3 when the page is not an article",
    )
    sp.add_argument("file", help="HTML file, or - for standard input")
    sp.add_argument("--url", required=True, help="the URL the page was served at")
    opt.site_filter(
        sp, "apply this site's timezone, layout and selectors (default: generic extraction)"
    )
    opt.sites_dir(sp)
    opt.output_format(sp, ("json", "text"))

    sp = add("search", "find archived articles; newest first")
    sp.add_argument("text", nargs="?", help="keywords (Chinese or English); all must occur")
    opt.store(sp)
    opt.site_filter(sp)
    opt.since_until(sp)
    sp.add_argument("--author", help="anyone in the byline (reporter, photographer, editor …)")
    sp.add_argument(
        "--changed-since",
        type=opt.date_arg,
        metavar="YYYY-MM-DD",
        help="articles edited since (a new version stored on or after)",
    )
    sp.add_argument("--withdrawn", action="store_true", help="articles found withdrawn")
    opt.limit(sp, "at most N results (default 20; 0: all)", default=20)
    opt.output_format(sp, output.FORMATS)

    sp = add("show", "print one archived article")
    sp.add_argument("id", metavar="ID|URL")
    opt.store(sp)
    opt.output_format(sp, ("text", "json"))
    sp.add_argument("--versions", action="store_true", help="list every version and what changed")
    sp.add_argument(
        "--diff", action="store_true", help="what changed between a version and the one before"
    )
    sp.add_argument(
        "--version",
        type=opt.positive_arg,
        metavar="N",
        help="with --diff: version N (default: latest)",
    )

    sp = add("stats", "per site: articles, earliest and latest publish date, last crawl")
    opt.store(sp)
    opt.site_filter(sp, "this site's row only")
    opt.output_format(sp, ("table", "json"))

    sp = add(
        "export",
        "stream every record (or one site's, or a publish-date range); --format warc writes"
        " the raw pages as a WARC file for web archives",
    )
    opt.store(sp)
    opt.site_filter(sp)
    opt.since_until(sp)
    opt.output_format(
        sp,
        ("jsonl", "csv", "json", "warc"),
        "warc: every kept fetch (request, response, revisit) and each record as metadata;"
        " WARC/1.1, gzip per record",
    )
    sp.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    sp.add_argument("--force", action="store_true", help="replace FILE if it exists")
    sp.add_argument(
        "--excel", action="store_true", help="CSV for Excel: UTF-8 with a byte-order mark"
    )

    sp = add("reprocess", "re-extract archived raw pages with the current extractor (no network)")
    opt.store(sp)
    opt.sites_dir(sp)
    opt.site_filter(sp, "this site's articles only (default: every site's)")
    sp.add_argument(
        "--since",
        type=opt.date_arg,
        metavar="YYYY-MM-DD",
        help="articles published on or after (default: all)",
    )

    sp = add(
        "import-warc",
        "extract a site's articles from WARC/ARC files (Heritrix, browsertrix, Archive-It,"
        " Common Crawl, uninews) and store them as a crawl would; resumes where it stopped",
        usage="uninews import-warc [options] SITE FILE [FILE ...]",
    )
    opt.site(sp, help="the site whose articles to take (see: uninews sites)")
    # nargs="*": with the old `FILE… --site SITE`, SITE above holds the first file.
    sp.add_argument(
        "files", nargs="*", metavar="FILE", help=".warc, .warc.gz, .arc or .arc.gz (one or more)"
    )
    opt.old_site_option(sp)
    opt.store(sp)
    opt.sites_dir(sp)
    sp.add_argument(
        "--dry-run", action="store_true", help="report what would be stored; store nothing"
    )
    sp.add_argument(
        "--restart", action="store_true", help="read files imported before from the start"
    )

    sp = add(
        "serve",
        "the archive in a browser: search, articles with their versions, site dashboards,"
        " and a JSON API (read-only)",
    )
    opt.store(sp)
    opt.sites_dir(sp)
    sp.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sp.add_argument("--port", type=opt.port_arg, default=8000, help="port (default 8000)")
    sp.add_argument(
        "--token",
        default=os.environ.get("UNINEWS_TOKEN") or None,
        help="every request must carry it (needed to listen beyond this machine);"
        " default $UNINEWS_TOKEN",
    )

    sp = add("sites", "list the known sites; `sites discover URL`, `sites check SITE`")
    opt.sites_dir(sp)
    opt.output_format(sp, ("table", "json"))
    ssub = sp.add_subparsers(dest="sites_command", metavar="ACTION", parser_class=opt.Parser)
    dp = ssub.add_parser(
        "discover",
        help="propose a site file from a university's home page (or a news page)",
        description="Find the news columns, the article URL pattern, the pagination, the CMS and"
        " the timezone from a home page; check a few articles; write a commented site file.",
        epilog=opt.exit_text(opt.COMMAND_EXITS["sites discover"]),
    )
    _verbosity(dp, top=False)
    dp.add_argument("url", help="the home page (or any page of the news section)")
    opt.base_url(dp)
    dp.add_argument("--name", help="the site's name (default: from the host)")
    dp.add_argument(
        "-o", "--output", metavar="FILE", help="write the site file here (default: standard output)"
    )
    dp.add_argument("--force", action="store_true", help="replace FILE if it exists")
    opt.delay(dp)
    cp = ssub.add_parser(
        "check",
        help="extract recent articles of every listing and print per-field fill rates",
        description="The tool to run after a site's redesign: fetch the newest articles of each"
        " listing and report how many have a title, date, authors, source, text and images.",
        epilog=opt.exit_text(opt.COMMAND_EXITS["sites check"]),
    )
    _verbosity(cp, top=False)
    opt.site(cp)
    opt.sites_dir(cp)
    opt.limit(
        cp, "articles per listing (default 5)", default=5, type=opt.positive_arg, old="--sample"
    )
    opt.base_url(cp)
    opt.delay(cp)
    opt.output_format(cp, ("table", "json"))

    sp = add("daemon", "run scheduled crawls forever (foreground; stop with SIGTERM)")
    opt.store(sp)
    opt.sites_dir(sp)
    sp.add_argument("--only", metavar="SITE,…", help="schedule only these sites (default: all)")
    sp.add_argument(
        "--max-parallel",
        type=opt.positive_arg,
        default=2,
        metavar="N",
        help="crawls at once (default 2)",
    )
    sp.add_argument(
        "--run-timeout",
        type=opt.positive_arg,
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
    opt.settings(sp, "Scrapy setting for every crawl")
    cluster = sp.add_argument_group(
        "crawls on a Scrapyd cluster (docs/deploy.md; the default runs each crawl here)"
    )
    cluster.add_argument(
        "--executor",
        choices=("local", "scrapyd"),
        default=os.environ.get("UNINEWS_EXECUTOR", "local"),
        help="where crawls run (default: $UNINEWS_EXECUTOR, else local)",
    )
    cluster.add_argument(
        "--scrapyd-node",
        action="append",
        default=[],
        type=_node_url,
        metavar="URL",
        help="a Scrapyd node, e.g. http://10.0.0.2:6800 (repeat; default: $UNINEWS_SCRAPYD_NODES)",
    )
    cluster.add_argument(
        "--scrapyd-project", default="uninews", metavar="NAME", help="as deployed (default uninews)"
    )
    cluster.add_argument(
        "--poll", type=float, default=5.0, metavar="SECONDS",
        help="between looks at a node's jobs (default 5)",
    )  # fmt: skip
    cluster.add_argument(
        "--node-timeout", type=float, default=60.0, metavar="SECONDS",
        help="a node silent this long has lost its runs; they go again elsewhere (default 60)",
    )  # fmt: skip

    sp = add("runs", "the run history: where each crawl ran, how it ended, what it stored")
    opt.store(sp)
    opt.site(sp, optional=True, help="one site's runs (default: every site's)")
    opt.old_site_option(sp)
    opt.limit(sp, "the newest N (default 20; 0: all)", default=20)
    opt.output_format(sp, ("table", "json"))

    sp = add("status", "is the daemon alive; per site: schedule, next run, last run, articles")
    opt.store(sp)
    opt.sites_dir(sp)
    opt.output_format(sp, ("table", "json"))
    return p


def _store(args: argparse.Namespace) -> closing[Any]:
    """The store a query names, read-only, closed when the `with` block ends."""
    from storage import default_store_uri, open_store

    return closing(open_store(args.store or default_store_uri(), readonly=True))


def _settings(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    from crawler.overrides import BadSetting, checked

    try:
        return checked(pairs)
    except BadSetting as exc:
        raise UsageError(str(exc)) from None


def _check_site_known(store: Any, site: str | None, sites_dir: Path | None = None) -> None:
    """`--site X` on a query: X must be a site of the archive or of the site files."""
    if not site:
        return
    from crawler.sites import load_sites_tolerant

    archived = set(store.site_names())
    if site in archived or site in load_sites_tolerant(sites_dir)[0]:
        return
    raise UsageError(
        f"no site {site!r} in this archive (its sites: {', '.join(sorted(archived)) or 'none'})"
    )


def _base_url(value: str | None) -> str | None:
    if value is None:
        return None
    from crawler.addresses import http_url_problem, shown

    if problem := http_url_problem(value):
        example = f", e.g. http://{shown(value)}" if "://" not in value else ""
        raise UsageError(f"--base-url {shown(value)!r}: {problem}{example}")
    return value


def _writable_store(uri: str) -> None:
    """Open the store a crawl will write, checked, once: a bad, unreachable or damaged store
    fails here in one line, before any page is fetched."""
    from storage import open_store
    from storage.uri import sqlite_path

    path = sqlite_path(uri)
    if path is not None and not path.exists() and not path.is_absolute():
        print(
            f"uninews: note: creating a new archive at {path.resolve()} ({uri} is relative to"
            f" the current directory; an absolute path has four slashes: sqlite:///{path.resolve()})",
            file=sys.stderr,
        )
    open_store(uri, check=True).close()


def cmd_crawl(args: argparse.Namespace) -> int:
    from crawler.run import EXIT_STATUS, run_crawl
    from crawler.sites import get_site
    from storage import default_store_uri

    site = get_site(args.site, args.sites_dir)
    since, until = getattr(args, "since", None), getattr(args, "until", None)
    if since and until and since > until:
        raise UsageError(f"--since {since} is after --until {until}")
    base_url = _base_url(args.base_url)
    uri = args.store or default_store_uri()
    _writable_store(uri)
    mode = (
        args.command
        if args.command in ("backfill", "revisit")
        else ("full" if getattr(args, "full", False) else "incremental")
    )
    revisit = None
    if args.command == "revisit":
        revisit = "all" if args.all else "since" if args.since else "due"
    summary = run_crawl(
        site,
        uri,
        base_url=base_url,
        # revisit's --limit (articles) travels as max_pages, as the spider has always taken it
        max_pages=getattr(args, "max_pages", None) or getattr(args, "limit", None),
        mode=mode,
        since=since,
        until=until,
        refetch=getattr(args, "refetch", False),
        restart=getattr(args, "restart", False),
        settings=_settings(args.set),
        run_id=args.run_id,
        node=args.node,
        verbose=args.verbose,
        revisit=revisit,
    )
    for line in summary.lines():
        print(line)
    return EXIT_STATUS.get(summary.status, 1)


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
        _check_site_known(store, args.site)
        q = SearchQuery(
            text=args.text,
            site=args.site,
            since=args.since,
            until=args.until,
            author=args.author,
            limit=args.limit or None,
            changed_since=args.changed_since,
            withdrawn=args.withdrawn,
        )
        n = output.write_records(store.search(q), args.format)
        total = store.count_matches(q) if q.limit and n >= q.limit else n
    if total > n:
        # Never a silent cut: say how many there are, on stderr so pipes get records only.
        print(f"({n} of {total} articles; --limit 0 for all)", file=sys.stderr)
    elif args.format == "table":
        print(f"({output.plural(n, 'article')})", file=sys.stderr)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with _store(args) as store:
        rec = store.get(args.id)
        if rec is None:
            raise UsageError(f"no article {args.id!r} in the archive")
        if args.diff:
            versions = store.versions(rec["id"])
            wanted = args.version or versions[-1]["version"]
            at = next((i for i, v in enumerate(versions) if v["version"] == wanted), None)
            if at is None:
                raise UsageError(f"no version {wanted} (versions: 1 to {versions[-1]['version']})")
            if at == 0:
                print(f"v{wanted} is the first version: nothing to compare it with")
                return 0
            sys.stdout.write(output.record_diff(versions[at - 1], versions[at]))
            return 0
        if args.versions:
            versions = store.versions(rec["id"])
            if args.format == "json":
                print(output.dump_json(versions))
            else:
                for v in versions:
                    changed = ", ".join(v["changed"]) or "first version"
                    title = output.printable(str(v["record"].get("title")), one_line=True)
                    print(f"v{v['version']}  {v['first_seen']}  {changed}  {title}")
            return 0
        rec = with_archived(store, rec)  # also a file kept after its record was stored
        if args.format == "json":
            print(json.dumps(rec, ensure_ascii=False, indent=2, default=str))
        else:
            sys.stdout.write(output.record_text(rec))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    with _store(args) as store:
        _check_site_known(store, args.site)
        rows = [row for row in store.stats() if args.site in (None, row["site"])]
        for row in rows:
            runs = store.runs(row["site"], limit=1)
            last = runs[0] if runs else None
            row["last_crawl_status"] = last.status if last else None
            row["last_crawl_at"] = (last.ended_at or last.started_at) if last else None
        files = store.blob_stats()
    if args.format == "json":
        print(output.dump_json(rows))
        return 0
    shown = [
        {
            **row,
            "last_crawl": " ".join(
                x for x in (output.local_time(row["last_crawl_at"]), row["last_crawl_status"]) if x
            )
            or "never",
        }
        for row in rows
    ]
    cols = [
        ("site", "SITE", 20),
        ("articles", "ARTICLES", 9),
        ("edited", "EDITED", 7),
        ("withdrawn", "WITHDRAWN", 10),
        ("earliest", "EARLIEST", 11),
        ("latest", "LATEST", 11),
        ("last_crawl", "LAST CRAWL", 30),
    ]
    output.print_rows(shown, "table", cols)
    if files["urls"]:  # what capture adds to the archive (images, attachments, styles)
        print(
            f"Archived files: {files['files']:,} ({human_size(files['bytes'])})"
            f" for {output.plural(files['urls'], 'URL')}"
        )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from storage import SearchQuery
    from uninews.outfile import output_file, standard_output

    to_stdout = args.output in (None, "-")  # `-o -`: standard output, as everywhere
    with _store(args) as store:
        _check_site_known(store, args.site)
        if args.format == "warc":
            return _export_warc(store, args, to_stdout)
        if args.since or args.until:
            q = SearchQuery(site=args.site, since=args.since, until=args.until, limit=None)
            records = store.search(q)
        else:
            records = store.iter_records(args.site)
        if to_stdout:
            with standard_output():
                output.write_records(records, args.format, sys.stdout, excel=args.excel)
            return 0
        with output_file(
            args.output, store_path=getattr(store, "path", None), force=args.force, binary=False
        ) as out:
            n = output.write_records(records, args.format, out, excel=args.excel)
    print(f"exported {output.plural(n, 'record')} to {args.output}", file=sys.stderr)
    return 0


def _export_warc(store: Any, args: argparse.Namespace, to_stdout: bool) -> int:
    from uninews.outfile import output_file, standard_output
    from uninews.warc_export import export_warc

    scope = {"site": args.site, "since": args.since, "until": args.until}
    if to_stdout:
        if sys.stdout.isatty():
            raise UsageError("a WARC file is binary: write it with -o FILE.warc.gz")
        with standard_output():
            counts = export_warc(store, sys.stdout.buffer, filename="uninews.warc.gz", **scope)
            sys.stdout.buffer.flush()
        where = "standard output"
    else:
        with output_file(
            args.output, store_path=getattr(store, "path", None), force=args.force, binary=True
        ) as out:
            counts = export_warc(store, out, filename=Path(args.output).name, **scope)
        where = args.output
    print(f"exported {counts.summary()} to {where}", file=sys.stderr)
    return 0


def cmd_reprocess(args: argparse.Namespace) -> int:
    from crawler.reprocess import reprocess
    from storage import default_store_uri, open_store

    uri = args.store or default_store_uri()
    _writable_store(uri)
    with closing(open_store(uri)) as store:
        counts = reprocess(store, site=args.site, since=args.since, sites_dir=args.sites_dir)
    print(", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


def cmd_import_warc(args: argparse.Namespace) -> int:
    from crawler.settings import UNINEWS_EXTRACT_WORKERS
    from crawler.sites import get_site
    from storage import default_store_uri, open_store
    from storage.uri import sqlite_path
    from uninews.warc_import import Interrupted, WarcImport

    names = [args.site, *args.files] if args.site is not None else []
    if args.site_option is not None:  # the old spelling, `FILE… --site SITE`: all are files
        if names[:1] == [args.site_option] and not Path(args.site_option).exists():
            names = names[1:]  # `SITE FILE… --site SITE`: said twice
        site_name = args.site_option
    elif names:
        site_name, names = names[0], names[1:]
    if not names:
        raise UsageError("which files? uninews import-warc SITE FILE [FILE ...]")
    site = get_site(site_name, args.sites_dir)
    paths = [Path(f) for f in names]
    for file in paths:
        if not file.is_file():
            raise UsageError(
                f"{file}: no such file" if not file.exists() else f"{file}: not a file"
            )
        if not os.access(file, os.R_OK):
            raise UsageError(f"{file}: not readable")
    uri = args.store or default_store_uri()
    failed = False
    with contextlib.ExitStack() as stack:
        if not args.dry_run:
            _writable_store(uri)
            store = open_store(uri)
        elif (db := sqlite_path(uri)) is not None and not db.exists():
            # Nothing archived yet: everything would be new. An empty store says so.
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="uninews-dry-run-"))
            store = open_store(f"sqlite:///{tmp}/empty.sqlite3")
        else:
            store = open_store(uri, readonly=True)
        stack.callback(store.close)
        job = WarcImport(
            store, site, dry_run=args.dry_run, restart=args.restart, workers=UNINEWS_EXTRACT_WORKERS
        )
        try:
            for result in job.run(paths):
                print(result.line())
                failed = failed or result.error is not None
        except Interrupted:
            print("uninews: interrupted; run the same command again to go on", file=sys.stderr)
            return 130
    return 1 if failed else 0


def listening_socket(host: str, port: int) -> socket.socket:
    """`serve`'s own socket: a port in use is a one-line error here, not a server's traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Connections inherit it: a page goes out as headers then body, and with Nagle's algorithm
    # the body waits for the browser's delayed ACK of the headers, 40 ms on every page of a
    # kept-alive connection (bench: search page p50 48 -> 5 ms on 10,000 records).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


def cmd_serve(args: argparse.Namespace) -> int:
    import ipaddress

    try:
        loopback = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        loopback = args.host == "localhost"
    if not loopback and not args.token:
        raise UsageError(
            f"--host {args.host} would open the archive to the network: give --token"
            " (or set UNINEWS_TOKEN), or keep the default 127.0.0.1"
        )
    if args.token is not None and not (args.token.isascii() and args.token.isprintable()):
        raise UsageError("the token must be printable ASCII (it travels in HTTP headers)")
    if args.token is not None and len(args.token) < 16:
        raise UsageError("the token is too short: use 16 characters or more")
    sock = listening_socket(args.host, args.port)
    with _store(args) as store:
        import uvicorn

        from uninews.web.app import create_app

        app = create_app(
            store,
            sites_dir=args.sites_dir,
            token=args.token,
            local_only=loopback and not args.token,
        )
        shown = f"[{args.host}]" if ":" in args.host else args.host
        print(f"uninews: serving {store!r} at http://{shown}:{sock.getsockname()[1]}/ (Ctrl-C stops)",
              file=sys.stderr)  # fmt: skip
        server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
        server.run(sockets=[sock])
    return 0


def cmd_sites(args: argparse.Namespace) -> int:
    action = getattr(args, "sites_command", None)
    if action == "discover":
        return cmd_sites_discover(args)
    if action == "check":
        return cmd_sites_check(args)
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


def cmd_sites_discover(args: argparse.Namespace) -> int:
    from crawler.discover import DiscoveryError, discover

    _base_url(args.base_url)
    target = Path(args.output) if args.output else None
    if target is not None and target.exists() and not args.force:
        raise UsageError(f"{args.output} exists: choose another file, or --force to replace it")
    try:
        found = discover(args.url, base_url=args.base_url, name=args.name, delay=args.delay)
    except DiscoveryError as exc:
        print(f"uninews: error: {exc}", file=sys.stderr)
        return 1
    for line in found.report:
        print(output.printable(line), file=sys.stderr)
    if target is None:
        sys.stdout.write(found.site_yaml)
    else:
        target.write_text(found.site_yaml, encoding="utf-8")
        print(
            f"wrote {target}; try: uninews sites check {found.site.name} --sites-dir {target.parent}",
            file=sys.stderr,
        )
    return 0


def cmd_sites_check(args: argparse.Namespace) -> int:
    from crawler.check import check_site
    from crawler.sites import get_site

    site = get_site(args.site, args.sites_dir)
    _base_url(args.base_url)
    report = check_site(site, args.limit, base_url=args.base_url, delay=args.delay)
    if args.format == "json":
        print(
            output.dump_json(
                {
                    "site": site.name,
                    "articles": len(report.articles),
                    "fill_rates": report.rates,
                    "misses": report.misses(),
                    "not_articles": report.not_articles,
                    "empty_listings": report.empty_listings,
                    "unmatched_links": report.unmatched,
                }
            )
        )
    else:
        for line in report.lines():
            print(output.printable(line))
    return 0 if report.articles else 1


def cmd_daemon(args: argparse.Namespace) -> int:
    from scheduler.daemon import DaemonOptions, run_daemon
    from storage import default_store_uri

    uri = args.store or default_store_uri()
    _writable_store(uri)
    base_urls = {}
    for pair in args.base_url:
        name, sep, url = pair.partition("=")
        if not sep:
            raise UsageError(f"--base-url takes SITE=URL, got {pair!r}")
        base_urls[name] = _base_url(url) or url
    if args.executor not in ("local", "scrapyd"):  # from $UNINEWS_EXECUTOR: argparse trusts it
        raise UsageError(f"$UNINEWS_EXECUTOR is local or scrapyd, not {args.executor!r}")
    try:
        nodes = args.scrapyd_node or [
            _node_url(u)
            for u in re.split(r"[\s,]+", os.environ.get("UNINEWS_SCRAPYD_NODES", ""))
            if u
        ]
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"$UNINEWS_SCRAPYD_NODES: {exc}") from None
    if args.executor == "scrapyd" and not nodes:
        raise UsageError("--executor scrapyd needs --scrapyd-node URL (or $UNINEWS_SCRAPYD_NODES)")
    if args.executor == "local" and nodes:
        raise UsageError("--scrapyd-node is for --executor scrapyd")
    if args.poll <= 0 or args.node_timeout <= 0:
        raise UsageError("--poll and --node-timeout take a number of seconds above 0")
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
        executor=args.executor,
        scrapyd_nodes=nodes,
        scrapyd_project=args.scrapyd_project,
        poll=args.poll,
        node_timeout=args.node_timeout,
    )
    return run_daemon(opts)


def _node_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"a Scrapyd node is an http(s) URL, not {value!r}")
    if parts.username or parts.password:
        # The URL goes into the run history, the heartbeat and the logs.
        raise argparse.ArgumentTypeError(
            "no credentials in a node's URL: set $UNINEWS_SCRAPYD_AUTH=USER:PASSWORD"
        )
    return value.rstrip("/")


def cmd_runs(args: argparse.Namespace) -> int:
    from crawler.run import count_label

    if args.site_option is not None:  # `runs --site SITE`, as the queries spell it
        if args.site not in (None, args.site_option):
            raise UsageError(f"two sites: {args.site} and --site {args.site_option}; give one")
        args.site = args.site_option
    with _store(args) as store:
        runs = store.runs(args.site, limit=args.limit if args.limit > 0 else 1_000_000)
        if args.site and not runs:  # a typo says so; a known site that never ran is empty
            _check_site_known(store, args.site)
    rows = [run.as_dict() for run in runs]
    if args.format == "json":
        print(output.dump_json(rows))
        return 0
    shown = [
        {
            **row,
            "started": output.local_time(row["started_at"]),
            "took": _took(run.seconds()),
            # no node and no host: the run never started (no node took it, or no process)
            "where": row["node"] or (f"local: {row['host']}" if row["host"] else "-"),
            "counts": ", ".join(
                count_label(row["counts"].get(k, 0), k)
                for k in ("inserted", "new_version", "errors")
            ),
        }
        for row, run in zip(rows, runs, strict=True)
    ]
    cols = [
        ("id", "RUN (JOB) ID", 13),
        ("site", "SITE", 16),
        ("kind", "KIND", 8),
        ("started", "STARTED", 17),
        ("took", "TOOK", 7),
        ("status", "STATUS", 11),
        ("where", "WHERE", 26),
        ("counts", "COUNTS", 32),
    ]
    output.print_rows(shown, "table", cols)
    for row in rows:
        if row["error"] and row["status"] not in ("ok", "running"):
            print(f"\n{row['id']} ({row['site']}): {row['status']}: {row['error']}")
    return 0


def _took(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.0f}s" if seconds < 120 else f"{seconds / 60:.0f}m"


def cmd_status(args: argparse.Namespace) -> int:
    from scheduler.status import print_status

    with _store(args) as store:
        return print_status(store, args.sites_dir, args.format)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "crawl": cmd_crawl,
    "backfill": cmd_crawl,
    "revisit": cmd_crawl,
    "extract": cmd_extract,
    "search": cmd_search,
    "show": cmd_show,
    "stats": cmd_stats,
    "export": cmd_export,
    "reprocess": cmd_reprocess,
    "import-warc": cmd_import_warc,
    "serve": cmd_serve,
    "sites": cmd_sites,
    "daemon": cmd_daemon,
    "status": cmd_status,
    "runs": cmd_runs,
}


# Commands whose progress (and, for the daemon and serve, whose service) is logged at INFO;
# queries log only what goes wrong.
LONG_WORK = frozenset(
    ("crawl", "backfill", "revisit", "daemon", "reprocess", "import-warc", "export", "serve")
)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from uninews import logs

    logs.configure(args.verbose, args.quiet, query=args.command not in LONG_WORK)
    from crawler.rendering import RenderUnavailable
    from crawler.sites import SiteError
    from storage import StorageError
    from uninews.outfile import BadTarget, OutputError

    # Ctrl-C stops every command, even one started in the background by a script, whose shell
    # hands it SIGINT ignored (Python then leaves it ignored). Crawls install their own handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return COMMANDS[args.command](args)
    except (SiteError, StorageError, UsageError, BadTarget, OutputError, RenderUnavailable) as exc:
        print(f"uninews: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, (UsageError, SiteError, BadTarget)) else 1
    except KeyboardInterrupt:
        print("uninews: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): quiet, and no complaint when stdout is flushed at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
