"""Crawl progress: a bar on a terminal, a line every few seconds otherwise (counts, date reached, rate, ETA)."""

from __future__ import annotations

import logging
import os
import sys
import time
from datetime import date
from typing import IO, Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

logger = logging.getLogger(__name__)


def _env_int(name: str) -> int:
    try:
        return int(os.environ.get(name, ""))
    except ValueError:
        return 0


def terminal_size(stream: IO[str]) -> tuple[int, int]:
    """(columns, lines) of the terminal behind `stream`.

    A terminal may report no size at all (0x0: a pty nobody sized, as under `docker run -t`,
    `ssh -t host cmd`, `script`, CI consoles; or only `stty cols N`). tqdm's own `dynamic_ncols`
    then works out a width and height of -1 and silently draws nothing, so the bar never
    appears; an unknown size falls back to $COLUMNS/$LINES, then 80x24.
    """
    try:
        size = os.get_terminal_size(stream.fileno())
        columns, lines = size.columns, size.lines
    except (AttributeError, OSError, ValueError):
        columns = lines = 0
    if columns <= 0:
        columns = _env_int("COLUMNS") or 80
    if lines <= 0:
        lines = _env_int("LINES") or 24
    return columns, lines


class _UnderTheBar:
    """A log handler's stream while the bar is drawn on the same terminal: the bar is cleared
    before each log line and redrawn below it, instead of the line being glued onto the bar."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        from tqdm import tqdm

        with tqdm.external_write_mode(file=self.stream):
            written = self.stream.write(text)
            self.stream.flush()
        return written

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _same_stream(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(a.fileno() == b.fileno())
    except (AttributeError, OSError, ValueError):
        return False


class CrawlProgress:
    """Reports listing pages walked, articles fetched and new, the oldest date reached, rate, ETA."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None
        self.bar: Any = None
        self.stream: IO[str] = sys.stderr
        # Log handlers whose stream is swapped for an _UnderTheBar while the bar is up.
        self.handlers: list[tuple[logging.StreamHandler[Any], Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        interval = crawler.settings.getfloat("UNINEWS_PROGRESS_INTERVAL", 10.0)
        if interval <= 0:
            raise NotConfigured
        ext = cls(crawler, interval)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def use_bar(self) -> bool:
        """A bar on a terminal, unless turned off or the user asked for quiet (-q: no progress,
        which is what the progress lines' logger being below INFO means)."""
        return (
            self.stream.isatty()
            and self.crawler.settings.getbool("UNINEWS_PROGRESS_BAR", True)
            and logger.isEnabledFor(logging.INFO)
        )

    def opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        self.stream = sys.stderr
        if self.use_bar():
            from tqdm import tqdm

            site = getattr(getattr(spider, "site", None), "name", None) or spider.name
            columns, lines = terminal_size(self.stream)
            # Our own size, not dynamic_ncols: see terminal_size. report() follows resizes.
            self.bar = tqdm(
                desc=site,
                unit=" articles",
                file=self.stream,
                ncols=columns - 1,
                nrows=lines,
                dynamic_ncols=False,
                leave=True,
                disable=False,
            )
            self.hold_logs()
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
            # Revisits: a 304 fetches no article, so they are counted on their own.
            "revisited": get("uninews/revisited", 0),
            "not_modified": get("uninews/not_modified", 0),
            "withdrawn": get("uninews/withdrawn", 0),
            "reinstated": get("uninews/reinstated", 0),
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
        done = c["fetched"] + c["not_modified"]  # a 304 is a page checked too
        rate = done / elapsed
        reached = getattr(spider, "oldest_seen", None) or "-"
        eta = self.eta(spider, elapsed)
        if self.bar is not None:
            columns, lines = terminal_size(self.stream)
            self.bar.ncols, self.bar.nrows = columns - 1, lines
            self.bar.n = done
            extra = (
                {"revisited": c["revisited"], "304": c["not_modified"], "gone": c["withdrawn"]}
                if c["revisited"]
                else {}
            )
            self.bar.set_postfix(
                listing=c["listing_pages"],
                new=c["new"],
                updated=c["updated"],
                **extra,
                reached=reached,
                eta=eta or "?",
                refresh=False,
            )
            self.bar.refresh()
            return
        revisits = (
            f", {c['revisited']} revisited ({c['not_modified']} not modified, {c['withdrawn']}"
            f" withdrawn, {c['reinstated']} reinstated)"
            if c["revisited"]
            else ""
        )
        logger.info(
            "Progress: %d listing pages, %d articles fetched (%d new, %d updated, %d errors)%s,"
            " reached %s, %.1f pages/s%s",
            c["listing_pages"],
            c["fetched"],
            c["new"],
            c["updated"],
            c["errors"],
            revisits,
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
            self.release_logs()
            self.bar = None

    def hold_logs(self) -> None:
        """Route the root logger's terminal handlers around the bar."""
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(
                handler, logging.FileHandler
            ):
                stream = handler.stream
                if _same_stream(stream, self.stream):
                    handler.setStream(_UnderTheBar(stream))
                    self.handlers.append((handler, stream))

    def release_logs(self) -> None:
        for handler, stream in self.handlers:
            if isinstance(handler.stream, _UnderTheBar):
                handler.setStream(stream)
        self.handlers = []
