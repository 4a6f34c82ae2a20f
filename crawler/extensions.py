"""Crawl progress: a bar on a terminal, a line every few seconds otherwise (counts, date reached, rate, ETA)."""

from __future__ import annotations

import logging
import sys
import time
from datetime import date
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

logger = logging.getLogger(__name__)


class CrawlProgress:
    """Reports listing pages walked, articles fetched and new, the oldest date reached, rate, ETA."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None
        self.bar: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        interval = crawler.settings.getfloat("UNINEWS_PROGRESS_INTERVAL", 10.0)
        if interval <= 0:
            raise NotConfigured
        ext = cls(crawler, interval)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        if sys.stderr.isatty() and self.crawler.settings.getbool("UNINEWS_PROGRESS_BAR", True):
            from tqdm import tqdm

            self.bar = tqdm(desc=spider.name, unit=" articles", dynamic_ncols=True, leave=True)
            self.loop = task.LoopingCall(self.report)
            self.loop.start(0.5, now=False)
        else:
            self.loop = task.LoopingCall(self.report)
            self.loop.start(self.interval, now=False)

    def counts(self) -> dict[str, Any]:
        get = self.crawler.stats.get_value if self.crawler.stats else (lambda *_: 0)
        return {
            "listing_pages": get("uninews/listing_pages", 0),
            "fetched": get("uninews/articles_fetched", 0),
            "new": get("uninews/inserted", 0),
            "updated": get("uninews/new_version", 0),
            "errors": get("uninews/errors", 0),
        }

    def eta(self, spider: Any, elapsed: float) -> str | None:
        since, reached = getattr(spider, "since", None), getattr(spider, "oldest_seen", None)
        if not since or not reached:
            return None
        start = getattr(spider, "until", None) or date.today()
        total = (start - since).days
        done = (start - date.fromisoformat(reached)).days
        if total <= 0 or done <= 0:
            return None
        left = elapsed * max(total - done, 0) / done
        return time.strftime("%H:%M:%S", time.gmtime(left))

    def report(self) -> None:
        spider = self.crawler.spider
        c = self.counts()
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = c["fetched"] / elapsed
        reached = getattr(spider, "oldest_seen", None) or "-"
        eta = self.eta(spider, elapsed)
        if self.bar is not None:
            self.bar.n = c["fetched"]
            self.bar.set_postfix(
                listing=c["listing_pages"],
                new=c["new"],
                reached=reached,
                eta=eta or "?",
                refresh=False,
            )
            self.bar.refresh()
            return
        logger.info(
            "Progress: %d listing pages, %d articles fetched (%d new, %d updated, %d errors),"
            " reached %s, %.1f articles/s%s",
            c["listing_pages"],
            c["fetched"],
            c["new"],
            c["updated"],
            c["errors"],
            reached,
            rate,
            f", ETA {eta}" if eta else "",
        )

    def closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.bar is not None:
            self.report()
            self.bar.close()
