"""The CLI's shared vocabulary: argument types, the options several commands take, exit statuses.

One rule per concept, so that a flag means the same thing under every command:

- the site is positional (`uninews crawl SITE`) where a command acts on exactly one site, and
  `--site SITE` where it filters a query over the archive (search, export, stats, reprocess);
- `--max-pages N` bounds the listing pages walked, `--limit N` the articles or results;
- the old spellings (`revisit --max`, `sites check --sample`, `import-warc FILE… --site SITE`)
  still work, hidden from the option list and named in the help text of the new one.
"""

from __future__ import annotations

import argparse
import os
from datetime import date
from pathlib import Path
from typing import Any


def date_arg(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad date {value!r}: use YYYY-MM-DD") from None


def port_arg(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 0 < n < 65536:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r} (1 to 65535)")
    return n


def positive_arg(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {value!r}")
    return n


MAX_LIMIT = 10**9  # beyond any archive; SQLite's integers stop at 2**63


def limit_arg(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"{value} is below 0 (0: all)")
    if n > MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"{value} is too large: at most {MAX_LIMIT:,} (0: all)")
    return n


def setting_arg(value: str) -> tuple[str, str]:
    key, sep, val = value.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {value!r}")
    return key, val


class HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, unless it says it already (or has none)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            action.option_strings
            and "default" not in text
            and default not in (None, False, [], argparse.SUPPRESS)
        ):
            text += " (default %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        # One line, like every other error, instead of argparse's usage dump.
        self.exit(2, f"uninews: error: {message} (see: {self.prog} --help)\n")


# --- exit statuses: one table; each command's help lists the rows it can return ------------

EXITS: dict[str, tuple[int, str]] = {
    "done": (0, "done"),
    "store": (1, "a store that cannot be used"),
    "crawl": (1, "a crawl that failed or was skipped (another crawl of the site was running)"),
    "file": (1, "a file that could not be read to the end"),
    "no-articles": (1, "no article extracted from any listing"),
    "no-news": (1, "no news section found"),
    "render": (1, "a site that needs a browser when none is installed"),
    "output": (1, "an output that cannot be written (a full disk)"),
    "site": (2, "unknown site"),
    "site-file": (2, "invalid site file"),
    "date": (2, "bad date"),
    "argument": (2, "bad option or value"),
    "article": (2, "no such article or version"),
    "target": (2, "an output file that exists or would overwrite the archive"),
    "not-article": (3, "the page is not an article"),
    "interrupted": (130, "interrupted"),
    "resumable": (130, "interrupted (rerun it: it finishes the job without duplicates)"),
}

_SITE = ("site", "site-file")
_CRAWL = ("done", "store", "crawl", "render", *_SITE, "date", "argument")
COMMAND_EXITS: dict[str, tuple[str, ...]] = {
    "crawl": (*_CRAWL, "resumable"),
    "backfill": (*_CRAWL, "resumable"),
    "revisit": (*_CRAWL, "resumable"),
    "extract": ("done", *_SITE, "argument", "not-article", "interrupted"),
    "search": ("done", "store", "site", "date", "argument", "interrupted"),
    "show": ("done", "store", "article", "argument", "interrupted"),
    "stats": ("done", "store", "site", "argument", "interrupted"),
    "export": ("done", "store", "output", "site", "date", "argument", "target", "interrupted"),
    # Rerun, a reprocess starts over: each record it already redid is unchanged the second time.
    "reprocess": ("done", "store", "site", "site-file", "date", "argument", "interrupted"),
    "import-warc": ("done", "store", "file", "site", "site-file", "argument", "resumable"),
    "serve": ("done", "store", "site-file", "argument", "interrupted"),
    "sites": ("done", "site-file", "argument", "interrupted"),
    "sites discover": ("done", "no-news", "argument", "target", "interrupted"),
    "sites check": ("done", "no-articles", "render", *_SITE, "argument", "interrupted"),
    "daemon": ("done", "store", "site", "site-file", "argument", "interrupted"),
    "status": ("done", "store", "site-file", "argument", "interrupted"),
    "runs": ("done", "store", "site", "argument", "interrupted"),
}


def exit_text(keys: tuple[str, ...] | None = None) -> str:
    """'exit status: 0 done; 1 …; 2 bad input (…); 130 …' for these rows of EXITS (all: None)."""
    rows = [EXITS[k] for k in keys] if keys is not None else list(EXITS.values())
    by_status: dict[int, list[str]] = {}
    for status, what in rows:
        if what not in by_status.setdefault(status, []):
            by_status[status].append(what)
    parts = []
    for status in sorted(by_status):
        whats = by_status[status]
        if status == 130 and len(whats) > 1:
            whats = [w for w in whats if w != EXITS["interrupted"][1]]
        if status == 2:
            parts.append(f"2 bad input ({', '.join(whats)})")
        else:
            parts.append(f"{status} {', or '.join(whats)}")
    return "exit status: " + "; ".join(parts) + "."


# --- options several commands share ---------------------------------------------------------


def store(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--store",
        metavar="URI",
        help="sqlite:///PATH or mongodb://HOST[:PORT]/DB (default: $UNINEWS_STORE, else "
        "sqlite under ~/.local/share/uninews)",
    )


def sites_dir(sp: argparse.ArgumentParser) -> None:
    env = os.environ.get("UNINEWS_SITES_DIR")
    sp.add_argument(
        "--sites-dir",
        metavar="DIR",
        type=Path,
        default=Path(env) if env else None,
        help="more site files (YAML), besides the packaged ones; default: $UNINEWS_SITES_DIR",
    )


def site(sp: argparse.ArgumentParser, *, optional: bool = False, help: str | None = None) -> None:
    """The one site the command acts on, positional."""
    sp.add_argument(
        "site",
        nargs="?" if optional else None,
        metavar="SITE",
        help=help or "site name (see: uninews sites)",
    )


def site_filter(sp: argparse.ArgumentParser, help: str = "this site's articles only") -> None:
    """`--site SITE`: a filter on a query over the archive."""
    sp.add_argument("--site", metavar="SITE", help=help)


def old_site_option(sp: argparse.ArgumentParser) -> None:
    """`--site SITE` where SITE is now positional: the old spelling, kept working, hidden."""
    sp.add_argument("--site", dest="site_option", metavar="SITE", help=argparse.SUPPRESS)


def max_pages(sp: argparse.ArgumentParser, default: str) -> None:
    """`--max-pages N`: how many listing pages; `default` says how far a crawl goes without."""
    sp.add_argument(
        "--max-pages",
        type=positive_arg,
        metavar="N",
        help=f"listing pages per listing, at most (default: {default})",
    )


def limit(
    sp: argparse.ArgumentParser,
    help: str,
    *,
    default: int | None = None,
    type: Any = limit_arg,
    old: str | None = None,
) -> None:
    """`--limit N`: how many articles or results; `old` is a former spelling, still accepted."""
    if old:
        help = f"{help}; old spelling: {old}"
    sp.add_argument("--limit", type=type, default=default, metavar="N", help=help)
    if old:
        sp.add_argument(
            old, dest="limit", type=type, metavar="N", default=argparse.SUPPRESS,
            help=argparse.SUPPRESS,
        )  # fmt: skip


def since_until(sp: argparse.ArgumentParser, *, since_required: bool = False) -> None:
    sp.add_argument(
        "--since",
        type=date_arg,
        required=since_required,
        metavar="YYYY-MM-DD",
        help="published on or after"
        + (" (required)" if since_required else " (default: no start, the oldest)"),
    )
    sp.add_argument(
        "--until",
        type=date_arg,
        metavar="YYYY-MM-DD",
        help="published on or before (default: no end, the newest)",
    )


def base_url(sp: argparse.ArgumentParser, help: str = "fetch from a mirror or local copy") -> None:
    sp.add_argument("--base-url", metavar="URL", help=help)


def settings(sp: argparse.ArgumentParser, help: str = "override a Scrapy setting") -> None:
    sp.add_argument(
        "-s", "--set", action="append", type=setting_arg, default=[], metavar="KEY=VALUE",
        help=f"{help} (e.g. -s DOWNLOAD_DELAY=2; repeat for more)",
    )  # fmt: skip


def output_format(sp: argparse.ArgumentParser, choices: tuple[str, ...], help: str = "") -> None:
    sp.add_argument(
        "--format",
        choices=choices,
        default=choices[0],
        help=help or f"output format: {', '.join(choices)}",
    )


def delay(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--delay",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="pause between requests to the site (default 1)",
    )
