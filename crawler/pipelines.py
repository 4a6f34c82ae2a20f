"""Item pipelines: extract (in worker processes, beside the crawl), then archive with explicit outcomes."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from concurrent.futures import Future
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from crawler.extraction import EXTRACTION_FAILED
from crawler.items import FetchedPage
from crawler.records import filled_fields, prepare_page
from crawler.revisit import decodes_worse, moved, same_article
from crawler.workers import ExtractionPool
from storage import (
    ArchiveStore,
    RawPage,
    RecordError,
    StorageError,
    StoreResult,
    open_store,
    redact_uri,
)
from storage.common import Prepared, prepare

logger = logging.getLogger(__name__)


def _raw(item: FetchedPage) -> RawPage:
    return RawPage(
        item.url,
        item.final_url,
        item.status,
        item.headers,
        item.body,
        item.fetched_at,
        item.request_headers,
        prior_encoding=item.revisit.encoding if item.revisit is not None else None,
    )


def halt_on_store_error(crawler: Crawler, exc: BaseException) -> None:
    """Stop the crawl after a store fault (disk full, server gone, damaged file), once.

    What was not stored is not known to the archive, so the next run fetches it again; going
    on would fetch pages only to throw them away.
    """
    assert crawler.stats is not None
    crawler.stats.inc_value("uninews/errors")
    if crawler.stats.get_value("uninews/store_error") is not None:
        return
    message = str(exc) if isinstance(exc, StorageError) else f"{type(exc).__name__}: {exc}"
    crawler.stats.set_value("uninews/store_error", message)
    logger.error("Store failed, stopping the crawl: %s", message)
    if crawler.engine is not None:
        deferred_from_coro(crawler.engine.close_spider_async(reason="store_failed"))


class ExtractPipeline:
    """Turns a FetchedPage into a record; drops pages that are not articles.

    Extraction is CPU-bound; run in the crawl's own process it would stall fetching, so it
    runs in UNINEWS_EXTRACT_WORKERS worker processes (0: inline, for debugging).
    """

    def __init__(self, crawler: Crawler, workers: int) -> None:
        self.crawler = crawler
        self.workers = workers
        self.pool: ExtractionPool | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(crawler, crawler.settings.getint("UNINEWS_EXTRACT_WORKERS", 0))

    def open_spider(self, spider: Spider | None = None) -> None:
        if self.workers > 0:
            self.pool = ExtractionPool(self.workers, self.crawler.spider.site)  # type: ignore[union-attr]
            self.pool.start()
            logger.info("Extracting in %d worker process(es)", self.workers)

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, FetchedPage):
            return item
        site = self.crawler.spider.site  # type: ignore[union-attr]
        stats = self.crawler.stats
        assert stats is not None
        raw = _raw(item)
        try:
            result = prepare_page(raw, site) if self.pool is None else await self.pool.prepare(raw)
        except Exception as exc:
            # An extractor bug or a dead worker: a counted error with its URL, and the page is
            # not finished, so backfill progress stays before it and the next run tries again.
            stats.inc_value("uninews/errors")
            logger.error("Extraction failed: %s (%s: %s)", item.url, type(exc).__name__, exc)
            item.failed = True
            raise DropItem(f"extraction failed: {item.url}", log_level="DEBUG") from None
        if result == EXTRACTION_FAILED:
            # A fault of the extractor, not a verdict on the page: an error, fetched again next
            # time (a not-article would be remembered as gone for good).
            stats.inc_value("uninews/errors")
            logger.error("Extraction failed: %s (see the warning above)", item.url)
            item.failed = True
            raise DropItem(f"extraction failed: {item.url}", log_level="DEBUG")
        if isinstance(result, str):
            stats.inc_value("uninews/not_article")
            stats.inc_value(f"uninews/not_article/{result}")
            item.not_article = result
            # Expected on every site (withdrawn stubs): counted, logged with -v, not a warning.
            raise DropItem(f"not an article ({result}): {item.url}", log_level="INFO")
        published = (result.record.get("published_at") or "")[:10]
        if published and (
            (item.since and published < item.since) or (item.until and published > item.until)
        ):
            stats.inc_value("uninews/out_of_range")
            raise DropItem(
                f"published {published}, outside the backfill range: {item.url}", log_level="INFO"
            )
        item.record = result.record
        item.prepared = result
        return item


class BatchWriter:
    """One thread that stores what the crawl hands it, in batches of up to `size` records.

    SQLite and pymongo release the GIL while they work, so writes overlap with fetching
    instead of stalling the reactor; one thread keeps them in order; batches share a COMMIT.
    """

    def __init__(self, store: ArchiveStore, size: int = 64) -> None:
        self.store = store
        self.size = size
        self.queue: queue.SimpleQueue[tuple[Prepared, Future[StoreResult]] | None] = (
            queue.SimpleQueue()
        )
        self.thread = threading.Thread(target=self._run, name="archive-writer", daemon=True)
        self.thread.start()

    def submit(self, prepared: Prepared) -> Future[StoreResult]:
        future: Future[StoreResult] = Future()
        self.queue.put((prepared, future))
        return future

    def _run(self) -> None:
        while (first := self.queue.get()) is not None:
            batch = [first]
            while len(batch) < self.size:
                try:
                    nxt = self.queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self.queue.put(None)  # stop after this batch
                    break
                batch.append(nxt)
            try:
                results = self.store.upsert_many([p for p, _ in batch])
            except BaseException as exc:  # the store failed: every record of the batch with it
                for _, fut in batch:
                    fut.set_exception(exc)
            else:
                for (_, fut), result in zip(batch, results, strict=True):
                    if isinstance(result, RecordError):
                        fut.set_exception(result)  # this record alone
                    else:
                        fut.set_result(result)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()


class ArchivePipeline:
    """Stores records; counts each outcome (inserted, unchanged, new_version, duplicate)."""

    def __init__(self, crawler: Crawler, uri: str) -> None:
        self.crawler = crawler
        self.uri = uri
        self.store: ArchiveStore | None = None
        self.owns_store = False
        self.writer: BatchWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        uri = crawler.settings.get("UNINEWS_STORE")
        if not uri:
            raise NotConfigured("UNINEWS_STORE is not set: items are not archived")
        return cls(crawler, uri)

    def open_spider(self, spider: Spider | None = None) -> None:
        shared = getattr(self.crawler.spider, "store", None)
        if shared is not None:
            self.store = shared
        else:
            self.store = open_store(self.uri)
            self.owns_store = True
        self.writer = BatchWriter(self.store)
        logger.info("Archiving into %s", redact_uri(self.uri))

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.owns_store and self.store is not None:
            self.store.close()

    async def _judge_revisit(self, item: FetchedPage) -> None:
        """What a revisit's page is before it may become a version: the archived article, or
        not (a redirect to the home page, a listing, another article: withdrawn), or the same
        page read wrongly (more decoding faults than before: an error, checked again)."""
        assert self.store is not None and self.crawler.stats is not None
        assert item.record is not None
        rv = item.revisit
        if decodes_worse(item.record, rv):
            self.crawler.stats.inc_value("uninews/errors")
            faults = (item.record.get("fetch") or {}).get("decode_faults")
            logger.error(
                "Revisit not stored: %s (it now decodes with %s faulty characters, the archived"
                " version with %s: the server's charset, not an edit; checked again next time)",
                item.url, faults, rv.decode_faults,
            )  # fmt: skip
            item.failed = True
            raise DropItem(f"decodes worse than archived: {item.url}", log_level="DEBUG")
        if not moved(item.url, item.final_url):
            return
        if not same_article(item.record, rv):
            logger.info("%s redirects to %s, another page", item.url, item.final_url)
            item.not_article = "redirected_elsewhere"
            raise DropItem(f"redirected elsewhere: {item.url}", log_level="DEBUG")
        try:
            await asyncio.to_thread(self.store.add_alias, rv.article_id, item.final_url)
        except Exception as exc:
            halt_on_store_error(self.crawler, exc)
            item.failed = True
            raise DropItem(f"not stored: {item.url}", log_level="DEBUG") from None
        logger.info("Moved: %s is now at %s (kept as an alias)", item.url, item.final_url)

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, FetchedPage) or item.record is None:
            return item
        assert self.store is not None and self.crawler.stats is not None
        assert self.writer is not None
        prepared = item.prepared if item.prepared is not None else prepare(item.record, _raw(item))
        if self.crawler.stats.get_value("uninews/store_error") is not None:
            item.failed = True  # the store already failed: the crawl is stopping
            raise DropItem(f"not stored: {item.url}", log_level="DEBUG")
        if item.revisit is not None:
            await self._judge_revisit(item)
        try:
            result = await asyncio.wrap_future(self.writer.submit(prepared))
        except RecordError as exc:
            # The store works but refuses this record (too large, say): an error for this page
            # (progress stays before it), and the crawl goes on.
            self.crawler.stats.inc_value("uninews/errors")
            logger.error("Not stored: %s (%s)", item.url, exc)
            item.failed = True
            raise DropItem(f"not stored: {item.url}", log_level="DEBUG") from None
        except Exception as exc:  # every other store fault, StorageError or not, stops the crawl
            halt_on_store_error(self.crawler, exc)
            item.failed = True
            raise DropItem(f"not stored: {item.url}", log_level="DEBUG") from None
        self.crawler.stats.inc_value(f"uninews/{result.outcome.value}")
        item.outcome = result.outcome.value
        if result.outcome.value in ("inserted", "new_version"):
            # Fill rates per run: a site whose rates fall after a redesign is flagged by status.
            self.crawler.stats.inc_value("uninews/extracted")
            for name in filled_fields(item.record):
                self.crawler.stats.inc_value(f"uninews/filled_{name}")
        item.record["id"] = result.article_id
        logger.debug("%s %s → %s", result.outcome.value, item.url, result.article_id)
        return item
