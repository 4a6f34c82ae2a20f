"""Downloader middleware: retries with exponential backoff that honour Retry-After."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.response import response_status_message

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | str | None) -> float | None:
    """A Retry-After header (seconds or an HTTP date) as seconds from now."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, but each retry waits base·2^n seconds (or what Retry-After asks).

    Retrying at once, as Scrapy does, hits a struggling server again while it is still down.
    """

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        mw = cls(crawler.settings)
        mw.crawler = crawler
        return mw

    def _stopping(self) -> bool:
        # A retry after a stop was asked for only holds the stop up: the next run fetches it.
        engine = self.crawler.engine
        return engine is not None and not engine.running

    def _delay(self, request: Request, response: Response | None) -> float:
        tries = request.meta.get("retry_times", 0)
        delay = min(self.cap, self.base * (2**tries))
        if response is not None:
            asked = retry_after_seconds(response.headers.get("Retry-After"))
            if asked is not None:
                delay = min(self.cap, max(delay, asked))
        return delay

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if (
            request.meta.get("dont_retry", False)
            or response.status not in self.retry_http_codes
            or self._stopping()
        ):
            return response
        delay = self._delay(request, response)
        reason = response_status_message(response.status)
        retry = self._retry(request, reason)
        if retry is None:
            return response
        logger.debug("Retrying %s in %.1fs (%s)", request.url, delay, reason)
        await asyncio.sleep(delay)
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | None:
        if (
            not isinstance(exception, self.exceptions_to_retry)
            or request.meta.get("dont_retry", False)
            or self._stopping()
        ):
            return None
        retry = self._retry(request, exception)
        if retry is None:
            return None
        await asyncio.sleep(self._delay(request, None))
        return retry
