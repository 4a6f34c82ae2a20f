"""Downloader middleware that reads a page: decoding with panics contained, honest meta refresh."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.response import get_meta_refresh

from crawler.extraction.decoding import DependencyPanic, contained, fallback_encoding
from crawler.revisit import moved

logger = logging.getLogger(__name__)


class ContainedDecodingMiddleware:
    """Decodes each text response once, up front, where a panic of w3lib's native scanner is
    contained: Scrapy's own decoding (for meta refresh, selectors, the spider) then reads the
    cached text, and a page that made the scanner panic is decoded by the fallback instead."""

    # Between HttpCompressionMiddleware (590: the body is inflated by then) and the meta refresh
    # middleware (580), the first to read the text.
    ORDER = 585

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        if not isinstance(response, TextResponse):
            return response
        try:
            contained(lambda: response.text, what="w3lib")
        except DependencyPanic as exc:
            content_type = response.headers.get(b"Content-Type")
            codec = fallback_encoding(
                response.body, content_type.decode("latin-1") if content_type else None
            )
            logger.warning("%s on %s; decoded as %s", exc, response.url, codec)
            # Not `response.replace()`: it reads `response.encoding`, which panics again.
            kept = {a: getattr(response, a) for a in response.attributes if a != "encoding"}
            return type(response)(**kept, encoding=codec)
        return response


class HonestMetaRefreshMiddleware(MetaRefreshMiddleware):
    """A meta refresh is a redirect only when a browser would leave the page at once for
    another one. A page that refreshes itself (`content="60"`, or `30;URL=` its own address:
    common on Chinese university pages) or shows itself for a while first is a page: archived.
    Scrapy's would follow the refresh to the same URL, which the dupe filter then drops."""

    ORDER = 580

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if isinstance(response, HtmlResponse) and not request.meta.get("dont_redirect"):
            _, url = get_meta_refresh(response, ignore_tags=self._ignore_tags)
            if url and not moved(response.url, url):
                return response
        return super().process_response(request, response)
