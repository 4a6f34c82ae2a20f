"""Reading a listing page: which links are articles (with the dates shown beside them), which is next."""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from crawler.extraction.dates import find_date
from crawler.extraction.text import fold, text_of
from crawler.sites import XPATH_PREFIXES, Site

_ITEM_TAGS = ("li", "tr", "figure", "article", "dd")
_DAY_YM = re.compile(r"(?<!\d)(\d{1,2})\s+(\d{4})[.\-/](\d{1,2})(?!\d)")  # VSB: "04 2016.03"
_YM_DAY = re.compile(r"(?<!\d)(\d{4})[.\-/](\d{1,2})\s+(\d{1,2})(?!\d)")


@dataclass(frozen=True)
class ListedArticle:
    url: str
    title: str
    listed_date: date | None  # the date the listing shows next to the link, if any


def _item_date(link: HtmlElement, site: Site) -> date | None:
    """The date printed in the list item that holds the link (span.txt_date, div.sj …)."""
    item = next((a for a in link.iterancestors() if a.tag in _ITEM_TAGS), None)
    if item is None:
        return None
    text = text_of(item)
    dt = find_date(text, site.tz)
    if dt is not None:
        return dt.date()
    # Day and year-month printed apart, as VSB and thunews lists do.
    m = _DAY_YM.search(text)
    if m:
        d, y, mo = (int(g) for g in m.groups())
    else:
        m = _YM_DAY.search(text)
        if m is None:
            return None
        y, mo, d = (int(g) for g in m.groups())
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def links(tree: HtmlElement, page_url: str) -> Iterator[tuple[HtmlElement, str]]:
    """Each link of a page with its absolute URL (no fragment); anchors and scripts left out."""
    for a in tree.iter("a"):
        href = (a.get("href") or "").strip()
        if href and not href.startswith(("#", "javascript:", "mailto:")):
            yield a, urljoin(page_url, href).split("#", 1)[0]


def article_links(tree: HtmlElement, page_url: str, site: Site) -> list[ListedArticle]:
    """Article links on a listing page, in page order, each once.

    `page_url` is the page's URL on the origin site, so relative links resolve to the origin.
    """
    out: list[ListedArticle] = []
    seen: set[str] = set()
    for a, url in links(tree, page_url):
        if url in seen or not site.is_article_url(url):
            continue
        seen.add(url)
        out.append(
            ListedArticle(
                url=url, title=text_of(a) or fold(a.get("title")), listed_date=_item_date(a, site)
            )
        )
    return out


_NEXT_DECOR = " <>›»«‹→\u00a0"
# Pagers that mark the next link by class: WebPlus `a.next`, VSB `a.Next` / `span.p_next a`,
# WordPress `a.next.page-numbers`, Drupal `li.pager__item--next a`.
_NEXT_BY_CLASS = (
    "//a[contains(concat(' ', normalize-space(@class), ' '), ' next ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' Next ')]"
    " | //*[contains(@class, 'p_next') or contains(@class, 'pager__item--next')"
    " or contains(@class, 'pager-next')]//a"
)


def next_page(tree: HtmlElement, page_url: str, site: Site) -> str | None:
    """The URL of the next listing page, or None on the last one."""
    candidates: list[str] = []
    if site.pagination.next:
        sel = site.pagination.next
        found = tree.xpath(sel) if sel.startswith(XPATH_PREFIXES) else tree.cssselect(sel)
        candidates += [el.get("href") or "" for el in found if isinstance(el, HtmlElement)]
    candidates += [
        el.get("href") or "" for el in tree.xpath('//a[@rel="next"] | //link[@rel="next"]')
    ]
    texts = {t.strip(_NEXT_DECOR).lower() for t in site.pagination.next_text}
    for a in tree.iter("a"):
        label = text_of(a).strip(_NEXT_DECOR).lower() or fold(a.get("title")).lower()
        if label and label in texts:
            candidates.append(a.get("href") or "")
    candidates += [el.get("href") or "" for el in tree.xpath(_NEXT_BY_CLASS)]
    for href in candidates:
        href = href.strip()
        if not href or href.startswith(("#", "javascript:")):
            continue
        url = urljoin(page_url, href)
        parts = urlsplit(url)
        if (
            parts.scheme in ("http", "https")
            and site.owns_host(parts.hostname or "")
            and url != page_url
        ):
            return url
    return None


class TooLarge(ValueError):
    """A compressed sitemap or feed that decompresses past the download size limit."""


def _gunzip(body: bytes, max_size: int = 0) -> bytes:
    """A `.gz` sitemap's XML, never more than `max_size` bytes (a 1.5 MB gzip bomb is 1.6 GB)."""
    if body[:2] != b"\x1f\x8b":
        return body
    # Scrapy's own SitemapSpider bounds decompression the same way (a private name, its only one).
    from scrapy.utils._compression import _DecompressionMaxSizeExceeded
    from scrapy.utils.gz import gunzip

    try:
        return gunzip(body, max_size=max_size)
    except _DecompressionMaxSizeExceeded:
        raise TooLarge(f"decompresses to more than {max_size} bytes") from None
    except (OSError, EOFError, struct.error):
        return b""  # not gzip after all, or truncated before any data


def _date(text: str | None, site: Site) -> date | None:
    if not text:
        return None
    try:
        return parsedate_to_datetime(text).date()  # RSS: RFC 822
    except (TypeError, ValueError, IndexError):
        pass
    dt = find_date(text, site.tz)
    return dt.date() if dt else None


def _xml(body: bytes, max_size: int = 0) -> etree._Element | None:
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    data = _gunzip(body, max_size)
    try:
        return etree.fromstring(data, parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        return None


def sitemap_entries(
    body: bytes, page_url: str, site: Site, *, max_size: int = 0
) -> tuple[list[ListedArticle], list[str]]:
    """Article URLs (with news publication dates or lastmod) and child sitemaps of a sitemap.

    Raises TooLarge when a gzipped sitemap decompresses past `max_size` bytes (0: no limit).
    """
    root = _xml(body, max_size)
    if root is None:
        return [], []
    children = [
        urljoin(page_url, (loc.text or "").strip()) for loc in root.iterfind("{*}sitemap/{*}loc")
    ]
    out = []
    for entry in root.iterfind("{*}url"):
        url = urljoin(page_url, (entry.findtext("{*}loc") or "").strip())
        if site.is_article_url(url):
            when = entry.findtext("{*}news/{*}publication_date") or entry.findtext("{*}lastmod")
            title = fold(entry.findtext("{*}news/{*}title"))
            out.append(ListedArticle(url=url, title=title, listed_date=_date(when, site)))
    return out, children


def feed_entries(
    body: bytes, page_url: str, site: Site, *, max_size: int = 0
) -> list[ListedArticle]:
    """Article URLs and dates from an RSS 2.0 or Atom feed (TooLarge as for sitemaps)."""
    root = _xml(body, max_size)
    if root is None:
        return []
    out = []
    for item in root.iter("{*}item", "{*}entry"):
        link = item.find("{*}link")
        href = (link.get("href") or link.text or "").strip() if link is not None else ""
        url = urljoin(page_url, href)
        if not site.is_article_url(url):
            continue
        when = next(
            (
                el.text
                for tag in ("pubDate", "published", "updated", "date")
                if (el := item.find("{*}" + tag)) is not None
            ),
            None,
        )
        title = item.findtext("{*}title") or ""
        out.append(ListedArticle(url=url, title=fold(title), listed_date=_date(when, site)))
    return out
