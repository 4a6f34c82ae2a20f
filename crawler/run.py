"""Run one crawl of one site in this process (Twisted's reactor starts once: one crawl per process)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.sites import Site
from storage import RunRecord, open_store
from storage.common import utcnow

logger = logging.getLogger(__name__)

SUMMARY_KEYS = (
    ("listing_pages", "listing pages"),
    ("articles_fetched", "articles fetched"),
    ("inserted", "new"),
    ("new_version", "updated"),
    ("unchanged", "unchanged"),
    ("duplicate", "duplicates"),
    ("not_article", "not articles"),
    ("out_of_range", "out of range"),
    ("errors", "errors"),
)


@dataclass
class CrawlSummary:
    site: str
    status: str  # ok | failed | interrupted
    reason: str
    counts: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    seconds: float = 0.0
    error: str | None = None
    run_id: str | None = None

    def lines(self) -> list[str]:
        parts = ", ".join(f"{self.counts.get(k, 0)} {label}" for k, label in SUMMARY_KEYS)
        head = f"{self.site}: {self.status} in {self.seconds:.1f}s ({self.requests} requests)"
        out = [head, "  " + parts]
        if self.error:
            out.append(f"  error: {self.error}")
        return out


def crawl_settings(store_uri: str | None, overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
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
) -> CrawlSummary:
    """Crawl `site` into the store and record the run; returns what happened."""
    from crawler.spiders.news import NewsSpider

    store = open_store(store_uri)
    kind = "backfill" if mode == "backfill" else "crawl"
    run_id = store.start_run(
        RunRecord(site=site.name, kind=kind, started_at=utcnow(), pid=os.getpid(), id=run_id)
    )
    process = CrawlerProcess(crawl_settings(store_uri, settings), install_root_handler=False)
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
    )
    # Scrapy handles SIGINT/SIGTERM: the first stops gracefully (finish_reason "shutdown"),
    # a second one stops at once (no finish_reason). Both count as interrupted.
    started = utcnow()
    process.start(install_signal_handlers=True)

    stats = crawler.stats.get_stats() if crawler.stats else {}
    reason = str(stats.get("finish_reason", "unknown"))
    counts = {k: int(stats.get(f"uninews/{k}", 0)) for k, _ in SUMMARY_KEYS}
    error = stats.get("uninews/store_error")
    if reason == "shutdown":
        status = "interrupted"
    elif reason != "finished":
        status = "failed"
    elif counts["listing_pages"] == 0 and counts["errors"] > 0:
        # Every listing failed (site down, DNS, refused): nothing was crawled.
        status = "failed"
        error = error or "no listing page could be fetched"
    else:
        status = "ok"
    elapsed = stats.get("elapsed_time_seconds") or 0.0
    summary = CrawlSummary(
        site=site.name,
        status=status,
        reason=reason,
        counts=counts,
        requests=int(stats.get("downloader/request_count", 0)),
        seconds=float(elapsed),
        error=str(error) if error else None,
        run_id=run_id,
    )
    try:
        store.finish_run(run_id, status, counts | {"requests": summary.requests}, summary.error)
    finally:
        store.close()
    logger.debug("run %s started %s ended %s", run_id, started, utcnow())
    return summary
