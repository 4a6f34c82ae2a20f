"""`scrapy crawl news -a site=NAME …`: a whole uninews crawl, as Scrapyd starts one on its nodes.

Scrapy's own `crawl` starts a bare spider. A uninews crawl is more than its spider: it takes the
site's lock, records its run, starts the extraction workers, saves walk and backfill progress,
stops cleanly on the first SIGINT (what Scrapyd's cancel.json sends). So the project replaces
`crawl` (`COMMANDS_MODULE`) with one that runs exactly what `uninews crawl` runs: a job on a
Scrapyd node and a local crawl write the same records and the same run history.
"""

from __future__ import annotations

import argparse
import os
import sys

from scrapy.commands import crawl
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES

SPIDER = "news"
MODES = ("incremental", "full", "backfill", "revisit")
# Spider arguments and the `uninews` options they become.
OPTIONS = {
    "since": "--since",
    "until": "--until",
    "run_id": "--run-id",
    "node": "--node",
    "sites_dir": "--sites-dir",
    "base_url": "--base-url",
    "max_pages": "--max-pages",
}
# Settings Scrapyd adds for a plain spider that a uninews crawl does not use: the archive keeps
# what it fetched (no item feed), and progress lives in the store (no JOBDIR). The store goes
# as --store (from $UNINEWS_STORE, the uninews command finds it itself).
NOT_PASSED = {"LOG_FILE", "FEEDS", "JOBDIR", "UNINEWS_STORE"}


def uninews_argv(spargs: dict[str, str], settings: dict[str, str], store: str = "") -> list[str]:
    """The `uninews` command line for these spider arguments and settings."""
    args = {k: v for k, v in spargs.items() if not k.startswith("_")}  # Scrapyd's _job, _version
    site = args.pop("site", None)
    if not site:
        raise UsageError("which site? -a site=NAME", print_help=False)
    mode = args.pop("mode", "incremental")
    if mode not in MODES:
        raise UsageError(
            f"-a mode= takes one of {', '.join(MODES)}, not {mode!r}", print_help=False
        )
    unknown = sorted(set(args) - set(OPTIONS))
    if unknown:
        raise UsageError(
            f"unknown spider argument(s) {', '.join(unknown)} (known: site, mode,"
            f" {', '.join(OPTIONS)})",
            print_help=False,
        )
    command = {"incremental": "crawl", "full": "crawl"}.get(mode, mode)
    argv = [command, site, *(["--full"] if mode == "full" else [])]
    for key, value in args.items():
        flag = "--limit" if mode == "revisit" and key == "max_pages" else OPTIONS[key]
        argv += [flag, value]
    if "run_id" not in args and spargs.get("_job"):
        argv += ["--run-id", spargs["_job"]]  # a job Scrapyd named: its run has the same id
    for key, value in sorted(settings.items()):
        argv += ["-s", f"{key}={value}"]
    if store:
        argv += ["--store", store]
    return argv


class Command(crawl.Command):
    """Scrapy's `crawl`, which becomes a whole uninews crawl when there is a store to write to.

    Without one (no `$UNINEWS_STORE`, no `-s UNINEWS_STORE=`), it is Scrapy's own: the spider's
    items pass through to `-O items.jsonl`.
    """

    def short_desc(self) -> str:
        return "Crawl a site into the archive, as `uninews crawl` does (Scrapyd runs this)"

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        self.store = self.settings.get("UNINEWS_STORE") or ""
        # run_crawl makes its own crawler process, once it holds the site's lock.
        self.requires_crawler_process = not self.store

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not self.store:
            super().run(args, opts)
            return
        if len(args) != 1:
            raise UsageError(f"scrapy crawl {SPIDER} -a site=NAME, or scrapy crawl NAME")
        spargs = dict(opts.spargs)
        if args[0] != SPIDER:  # a site's own spider (`scrapy list` names them)
            spargs.setdefault("site", args[0])
        assert self.settings is not None
        given = {
            key: str(self.settings[key])
            for key in self.settings
            if self.settings.getpriority(key) == SETTINGS_PRIORITIES["cmdline"]
        }
        passed = {k: v for k, v in given.items() if k not in NOT_PASSED}
        # A store given with -s goes on as --store; one from $UNINEWS_STORE stays out of argv.
        argv = uninews_argv(spargs, passed, given.get("UNINEWS_STORE", ""))
        if given.get("LOG_FILE"):
            # Scrapyd's log of the job (its web UI links it): our summary, progress and errors.
            fd = os.open(given["LOG_FILE"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.close(fd)
        from uninews.cli import main

        self.exitcode = main(argv)
