"""Article extraction, independent of Scrapy: `extract_article(html, url, site)` → `Article`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import lxml.etree
import lxml.html
from w3lib.encoding import html_to_unicode

from crawler.extraction.article import Article, Attachment, Image, NotAnArticle
from crawler.extraction.pages import page_class

if TYPE_CHECKING:
    from crawler.sites import Site

logger = logging.getLogger(__name__)

# Bumped when extraction changes in a way that `uninews reprocess` should pick up.
EXTRACTOR_VERSION = "1"


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Bytes to text: BOM, then the HTTP header, then the meta tag, then detection (never mojibake)."""
    _, text = html_to_unicode(content_type, body)
    return text


def extract_article(
    html: str | bytes,
    url: str,
    site: Site | None = None,
    *,
    content_type: str | None = None,
) -> Article:
    """Extract one article from a page.

    Args:
        html: the page, as fetched bytes (preferred: the charset is read from them) or text.
        url: the page's URL (relative links and layout rules use it).
        site: the site whose timezone, language, layout and `selectors` apply, if known.
        content_type: the HTTP Content-Type header, when the bytes came with one.

    Returns:
        The Article; raises NotAnArticle for redirect stubs, empty shells and listings.
    """
    text = decode_html(html, content_type) if isinstance(html, bytes) else html
    if not text.strip():
        raise NotAnArticle("empty", "the page is empty")
    try:
        tree = lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise NotAnArticle("unparseable", str(exc)) from None
    page = page_class(url, site, text)(text, url, tree, site)
    return page.to_article()


__all__ = [
    "EXTRACTOR_VERSION",
    "Article",
    "Attachment",
    "Image",
    "NotAnArticle",
    "decode_html",
    "extract_article",
]
