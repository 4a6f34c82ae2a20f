"""Article extraction, independent of Scrapy: `extract_article(html, url, site)` → `Article`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import lxml.etree
import lxml.html

from crawler.extraction.article import Article, Attachment, Image, NotAnArticle
from crawler.extraction.decoding import (
    decode_faults,
    decode_html,
    html_encoding_and_text,
    is_panic,
)
from crawler.extraction.pages import page_class

if TYPE_CHECKING:
    from crawler.sites import Site

logger = logging.getLogger(__name__)

# Bumped when extraction changes in a way that `uninews reprocess` should pick up.
EXTRACTOR_VERSION = (
    "3"  # 3: kicker, trailer credits, column-name headings, stories in blocks, VSB attachment lists
)
# (2: visible headlines, people only, CMS meta lines, page offsets)
# The NotAnArticle reason for a page extraction itself failed on (a bug of ours, not the page's).
EXTRACTION_FAILED = "extraction_failed"


# What a PDF, image, archive or office file starts with: served at an article URL, such bytes
# are a not-article (remembered as gone), never a traceback or a page of mojibake.
_MAGIC = (
    (b"%PDF-", "a PDF file"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP file (or an office document)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old office document"),
    (b"\x1f\x8b", "gzip-compressed bytes"),
    (b"RIFF", "a media file"),
)
_HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "text/xml", "application/xml")


def binary_kind(body: bytes, content_type: str | None = None) -> str | None:
    """What the bytes are when they are plainly not an HTML page ("a PDF file"), else None."""
    head = body[:16]
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if (
        mime
        and not mime.startswith(_HTML_TYPES)
        and (
            mime.startswith(("image/", "audio/", "video/", "font/"))
            or mime in ("application/pdf", "application/zip", "application/octet-stream")
            or mime.startswith(("application/vnd.", "application/msword"))
        )
    ):
        # An octet-stream that is really HTML (a misconfigured server) still gets extracted.
        if mime == "application/octet-stream" and b"<" in body[:1024]:
            return None
        return f"content type {mime}"
    if b"\x00" in body[:1024] and not body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary data"  # (UTF-16 pages, which have NULs too, start with a BOM)
    return None


def extract_article(
    html: str | bytes,
    url: str,
    site: Site | None = None,
    *,
    content_type: str | None = None,
    prior_encoding: str | None = None,
) -> Article:
    """Extract one article from a page.

    Args:
        html: the page, as fetched bytes (preferred: the charset is read from them) or text.
        url: the page's URL (relative links and layout rules use it).
        site: the site whose timezone, language, layout and `selectors` apply, if known.
        content_type: the HTTP Content-Type header, when the bytes came with one.
        prior_encoding: the codec an earlier fetch of this page was read with (a revisit).

    Returns:
        The Article; raises NotAnArticle for redirect stubs, empty shells and listings.
    """
    if isinstance(html, bytes):
        kind = binary_kind(html, content_type)
        if kind:
            raise NotAnArticle("not_html", kind)
    encoding = ""
    if isinstance(html, bytes):
        encoding, text = html_encoding_and_text(html, content_type, prior=prior_encoding)
    else:
        text = html
    if not text.strip():
        raise NotAnArticle("empty", "the page is empty")
    try:
        tree = lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise NotAnArticle("unparseable", str(exc)) from None
    url = url or ""
    try:
        page = page_class(url, site, text)(text, url, tree, site)
        article = page.to_article()
        article.encoding = encoding
        article.decode_faults = decode_faults(article.text)
        return article
    except NotAnArticle:
        raise
    except BaseException as exc:
        # Whatever the bytes, the caller gets an article or NotAnArticle. This one is a fault of
        # ours, not a verdict on the page: crawls count it as an error and fetch it again. A
        # native library's panic (a BaseException) too: it must not kill an extraction worker.
        if not isinstance(exc, Exception) and not is_panic(exc):
            raise
        logger.warning("Extraction failed on %s: %s: %s", url, type(exc).__name__, exc)
        logger.debug("Extraction traceback", exc_info=True)
        raise NotAnArticle(EXTRACTION_FAILED, f"{type(exc).__name__}: {exc}") from None


__all__ = [
    "EXTRACTION_FAILED",
    "EXTRACTOR_VERSION",
    "Article",
    "Attachment",
    "Image",
    "NotAnArticle",
    "binary_kind",
    "decode_html",
    "extract_article",
]
