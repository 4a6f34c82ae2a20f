"""Run one crawl of one site in this process (Twisted's reactor starts once: one crawl per process)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, cast

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler import rendering
from crawler.records import FILL_FIELDS
from crawler.sites import Site
from storage import ArchiveStore, RunRecord, StorageError, open_store
from storage.common import utcnow

logger = logging.getLogger(__name__)

# (stats key, label for 1, label for any other count), in the order the summary prints them.
SUMMARY_KEYS = (
    ("listing_pages", "listing page", "listing pages"),
    ("articles_fetched", "article fetched", "articles fetched"),
    ("inserted", "new", "new"),
    ("new_version", "updated", "updated"),
    ("unchanged", "unchanged", "unchanged"),
    ("duplicate", "duplicate", "duplicates"),
    ("not_article", "not an article", "not articles"),
    ("out_of_range", "out of range", "out of range"),
    ("errors", "error", "errors"),
)
# Shown only when they happened: most runs never meet them.
RARE_KEYS = (
    ("robots_disallowed", "disallowed by robots.txt", "disallowed by robots.txt"),
    ("listing_gone", "listing page gone", "listing pages gone"),
    ("revisited", "revisited", "revisited"),
    ("not_modified", "not modified (304)", "not modified (304)"),
    ("withdrawn", "withdrawn", "withdrawn"),
    ("reinstated", "reinstated", "reinstated"),
    ("earlier", "earlier capture kept", "earlier captures kept"),
    (
        "unmatched_links",
        "link on listings matched no article_url",
        "links on listings matched no article_url",
    ),
    ("files_archived", "file archived", "files archived"),
    ("files_failed", "file not archived", "files not archived"),
    ("links_not_read", "link not read", "links not read"),  # UNINEWS_MAX_LINKS, slow article_url
)
EXIT_STATUS = {"ok": 0, "interrupted": 130}  # anything else (failed, skipped): 1


def unmatched_key(site: str) -> str:
    """The state key of the last run's links on listings that matched no article_url."""
    return f"unmatched:{site}"


def unmatched_line(n: int, examples: list[str]) -> str:
    """'14 links on listings matched no article_url, e.g. …': articles the site file misses."""
    shown = f", e.g. {', '.join(examples[:3])}" if examples else ""
    return f"{count_label(n, 'unmatched_links')}{shown}"


def count_label(n: int, key: str) -> str:
    """'1 error', '3 errors', '1 listing page' for a summary key."""
    for k, one, many in (*SUMMARY_KEYS, *RARE_KEYS):
        if k == key:
            return f"{n} {one if n == 1 else many}"
    return f"{n} {key}"


@dataclass
class CrawlSummary:
    site: str
    status: str  # ok | failed | interrupted | skipped
    reason: str
    counts: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    seconds: float = 0.0
    error: str | None = None
    run_id: str | None = None
    unmatched: list[str] = field(default_factory=list)  # a few of the unmatched_links

    def lines(self) -> list[str]:
        keys = [k for k, *_ in SUMMARY_KEYS] + [k for k, *_ in RARE_KEYS if self.counts.get(k)]
        parts = ", ".join(count_label(self.counts.get(k, 0), k) for k in keys)
        requests = f"{self.requests} request{'' if self.requests == 1 else 's'}"
        head = f"{self.site}: {self.status} in {self.seconds:.1f}s ({requests})"
        out = [head, "  " + parts]
        if self.unmatched:
            out.append("  " + unmatched_line(self.counts.get("unmatched_links", 0), self.unmatched))
        if self.error:
            out.append(f"  error: {self.error}")
        return out


def crawl_settings(
    store_uri: str | None, overrides: dict[str, Any] | None = None, *, verbose: bool = False
) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    # `uninews` configures logging itself (uninews/cli.py); Scrapy's dumps of settings, enabled
    # components and stats are for -v.
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    settings.set("STATS_DUMP", verbose, priority="cmdline")
    if store_uri:
        settings.set("UNINEWS_STORE", store_uri, priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    if overrides and "UNINEWS_CONTACT" in overrides and "USER_AGENT" not in overrides:
        from crawler import __version__

        settings.set(
            "USER_AGENT",
            f"uninews/{__version__} (+{overrides['UNINEWS_CONTACT']}; archival crawler of university news)",
            priority="cmdline",
        )
    return settings


# Runs that take the same lock: a revisit checks what the crawl stores, so never beside one.
_LOCK_GROUP = {"crawl": "crawl", "revisit": "crawl", "backfill": "backfill"}


def lock_name(kind: str, site: str) -> str:
    """The lock a run of this kind holds: one crawl (or revisit) and one backfill of a site at a
    time."""
    return f"{_LOCK_GROUP.get(kind, kind)}:{site}"


def abandon_dead_runs(store: ArchiveStore, site: str, kind: str, current: str | None) -> int:
    """Record as `abandoned` the runs of this site and kind still marked running.

    Called with the site's lock held: a run that held it is gone (killed with -9, power loss),
    or we could not have taken it, so nothing is still writing for those runs.
    """
    n = 0
    group = _LOCK_GROUP.get(kind, kind)
    for run in store.runs(site, limit=50):
        same_lock = _LOCK_GROUP.get(run.kind, run.kind) == group
        if run.status == "running" and same_lock and run.id != current and run.id:
            where = f"pid {run.pid} on {run.host}" if run.host else f"pid {run.pid}"
            store.finish_run(
                run.id, "abandoned", run.counts, f"its process ({where}) ended without saying how"
            )
            logger.warning("%s: run %s was left running by a dead process; abandoned", site, run.id)
            n += 1
    return n


class _StopSignals:
    """SIGINT/SIGTERM for the whole life of a crawl: the first stops it gracefully (the pages in
    flight are fetched, extracted and stored, progress is saved), a second stops it at once, and
    so does the first after UNINEWS_STOP_GRACE seconds: a server that trickles bytes would
    otherwise hold a graceful stop for DOWNLOAD_TIMEOUT per retry.

    Installed before anything starts, so a Ctrl-C that comes while the reactor or the
    extraction workers start is a clean stop too, never a KeyboardInterrupt half-way through
    starting a process; and whatever moment it came, the run is recorded as interrupted.
    """

    def __init__(self) -> None:
        self.received: list[int] = []
        self.crawler: Any = None
        self._old = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # A signal handler only notes and schedules: the reactor thread does the work.
        from twisted.internet import reactor

        self.received.append(signum)
        if len(self.received) == 1:
            reactor.callFromThread(self._graceful)
        elif len(self.received) == 2:
            reactor.callFromThread(self._at_once)

    def _graceful(self) -> None:
        from scrapy.utils.defer import deferred_from_coro
        from twisted.internet import reactor

        crawler = self.crawler
        if crawler is None or crawler.engine is None or not crawler.engine.running:
            if crawler is not None and crawler.crawling:  # still opening: stop once it runs
                cast(Any, reactor).callLater(0.1, self._graceful)
            return
        name = signal.Signals(self.received[0]).name
        grace = crawler.settings.getfloat("UNINEWS_STOP_GRACE")
        logger.warning(
            "%s: stopping after the pages in flight are stored, %gs at most (again to stop at once)",
            name,
            grace,
        )
        cast(Any, reactor).callLater(grace, self._overdue, grace)
        deferred_from_coro(crawler.stop_async())

    def _overdue(self, grace: float) -> None:
        if len(self.received) == 1:  # a second signal has stopped it already
            logger.warning("The pages in flight took over %gs", grace)
            self._at_once()

    def _at_once(self) -> None:
        from twisted.internet import reactor

        logger.warning("Stopping at once: pages in flight are fetched again next time")
        with contextlib.suppress(RuntimeError):  # already stopping
            cast(Any, reactor).stop()  # twisted's stubs type the global reactor oddly

    def hold(self) -> None:
        """After the crawl: signals are noted, nothing more, until the run is recorded."""
        for sig in self._old:
            signal.signal(sig, self._keep)

    def _keep(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)

    def restore(self) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def run_crawl(
    site: Site,
    store_uri: str,
    *,
    base_url: str | None = None,
    max_pages: int | None = None,
    mode: str = "incremental",
    since: str | None = None,
    until: str | None = None,
    refetch: bool = False,
    restart: bool = False,
    settings: dict[str, Any] | None = None,
    run_id: str | None = None,
    node: str | None = None,
    verbose: bool = False,
    revisit: str | None = None,
) -> CrawlSummary:
    """Crawl `site` into the store and record the run; returns what happened."""
    from crawler.spiders.news import NewsSpider

    if site.render != "none":
        rendering.check(site.name, site.render)  # before the run: one line, nothing recorded
    stops = _StopSignals()
    store = open_store(store_uri)
    kind = mode if mode in ("backfill", "revisit") else "crawl"
    host = socket.gethostname()
    run = RunRecord(
        site=site.name,
        kind=kind,
        started_at=utcnow(),
        pid=os.getpid(),
        id=run_id,
        host=host,
        node=node,
    )
    lease = None
    try:
        lease = store.lock(
            lock_name(kind, site.name),
            {"pid": os.getpid(), "host": host, "run_id": run_id, "since": run.started_at},
        )
        if lease is None:
            return _skipped(store, run, kind)
        # The run starts when it holds the site: stamping it earlier would make a run that
        # waited on the lock look as if it overlapped the one it waited for.
        run.started_at = utcnow()
        abandon_dead_runs(store, site.name, kind, run_id)
        run_id = store.start_run(run)
        process = CrawlerProcess(crawl_settings(store_uri, settings, verbose=verbose))
        crawler = process.create_crawler(NewsSpider)
        process.crawl(
            crawler,
            site=site,
            base_url=base_url,
            max_pages=max_pages,
            mode=mode,
            since=since,
            until=until,
            refetch=refetch,
            restart=restart,
            revisit=revisit,
        )
        stops.crawler = crawler
        process.start(install_signal_handlers=False)  # ours are in place (_StopSignals)
        stops.hold()
        stats = crawler.stats.get_stats() if crawler.stats else {}
        summary = _summarize(site.name, stats, run_id, interrupted=bool(stops.received), kind=kind)
        try:
            store.finish_run(
                run_id,
                summary.status,
                summary.counts | {"requests": summary.requests},
                summary.error,
            )
            # Which links: `status` and `sites check` name a few (run counts hold numbers only).
            examples = stats.get("uninews/unmatched_examples") or []
            store.set_state(
                unmatched_key(site.name),
                {"run": run_id, "examples": list(examples)} if examples else None,
            )
        except StorageError as exc:
            # Say so: the run stays "running" in the store until the next crawl of the site
            # records it as abandoned.
            summary.status = "failed"
            summary.error = "; ".join(
                x for x in (summary.error, f"the run could not be recorded: {exc}") if x
            )
        return summary
    finally:
        if lease is not None:
            lease.release()
        store.close()
        stops.restore()


def _skipped(store: ArchiveStore, run: RunRecord, kind: str) -> CrawlSummary:
    holder = store.lock_holder(lock_name(kind, run.site)) or {}
    who = f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}"
    since = f", since {holder['since']}" if holder.get("since") else ""
    error = f"another {kind} of {run.site} is running ({who}{since}); not starting a second one"
    run.status = "skipped"
    run_id = store.start_run(run)
    store.finish_run(run_id, "skipped", {}, error)
    return CrawlSummary(
        site=run.site, status="skipped", reason="locked", error=error, run_id=run_id
    )


def _summarize(
    site: str,
    stats: dict[str, Any],
    run_id: str | None,
    *,
    interrupted: bool = False,
    kind: str = "crawl",
) -> CrawlSummary:
    reason = str(stats.get("finish_reason", "unknown"))
    counts = {k: int(stats.get(f"uninews/{k}", 0)) for k, *_ in (*SUMMARY_KEYS, *RARE_KEYS)}
    if stats.get("uninews/extracted"):
        counts["extracted"] = int(stats["uninews/extracted"])
        for name in FILL_FIELDS:
            counts[f"filled_{name}"] = int(stats.get(f"uninews/filled_{name}", 0))
    error = stats.get("uninews/store_error")
    if error:
        status = "failed"
    elif reason == "shutdown" or interrupted:
        status = "interrupted"
    elif reason != "finished":
        status = "failed"
    elif kind == "revisit" and counts["revisited"] == 0 and counts["errors"] > 0:
        # A revisit walks no listing: it failed when not one article could be checked.
        status = "failed"
        error = error or "no article could be checked again"
    elif kind != "revisit" and counts["listing_pages"] == 0 and counts["errors"] > 0:
        # Every listing failed (site down, DNS, refused): nothing was crawled.
        status = "failed"
        error = error or "no listing page could be fetched"
    else:
        status = "ok"
    elapsed = stats.get("elapsed_time_seconds") or 0.0
    return CrawlSummary(
        site=site,
        status=status,
        reason=reason,
        counts=counts,
        requests=int(stats.get("downloader/request_count", 0)),
        seconds=float(elapsed),
        error=str(error) if error else None,
        run_id=run_id,
        unmatched=list(stats.get("uninews/unmatched_examples") or []),
    )
