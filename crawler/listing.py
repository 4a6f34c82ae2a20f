"""Reading a listing page: which links are articles (with the dates shown beside them), which is next."""

from __future__ import annotations

import gzip
import io
import logging
import re
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from crawler import settings
from crawler.extraction.dates import find_date
from crawler.extraction.text import fold, text_of
from crawler.sites import XPATH_PREFIXES, Site

logger = logging.getLogger(__name__)

# Seconds of article_url matching one page may take. Real patterns match 50,000 links in a
# fraction of it; a pattern that backtracks (ARTICLE_URL_TIMEOUT each) would otherwise keep the
# crawl's thread, and the Ctrl-C it is to act on, for minutes on a page of near misses.
MATCH_BUDGET = 5.0
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


def article_links(
    tree: HtmlElement, page_url: str, site: Site, cap: Capped | None = None
) -> list[ListedArticle]:
    """Article links on a listing page, in page order, each once, of the first links the cap
    allows (UNINEWS_MAX_LINKS) read within its time budget.

    `page_url` is the page's URL on the origin site, so relative links resolve to the origin.
    """
    cap = cap or Capped(page_url, site)
    out: list[ListedArticle] = []
    seen: set[str] = set()
    for a, url in links(tree, page_url):
        if not cap.take() or url in seen or not cap.is_article_url(url):
            continue
        seen.add(url)
        out.append(
            ListedArticle(
                url=url, title=text_of(a) or fold(a.get("title")), listed_date=_item_date(a, site)
            )
        )
    cap.report()
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


class _Bounded(io.RawIOBase):
    """A sitemap's XML as a stream, gunzipped on the fly when it is gzip, never more than
    `max_size` bytes (0: no limit; a 1.5 MB gzip bomb is 1.6 GB)."""

    def __init__(self, body: bytes, max_size: int) -> None:
        raw: IO[bytes] = io.BytesIO(body)
        self._src = gzip.GzipFile(fileobj=raw) if body[:2] == b"\x1f\x8b" else raw
        self._max = max_size
        self._left = max_size or -1

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        try:
            data = self._src.read(len(buf))
        except (OSError, EOFError, zlib.error):
            return 0  # not gzip after all, or truncated: what came before it stands
        if self._left >= 0:
            self._left -= len(data)
            if self._left < 0:
                raise TooLarge(f"decompresses to more than {self._max} bytes")
        buf[: len(data)] = data
        return len(data)


def _elements(body: bytes, tags: tuple[str, ...], max_size: int) -> Iterator[etree._Element]:
    """The elements of a sitemap or feed with these tags, one at a time, each dropped once the
    next comes: a 50,000-URL sitemap never sits in memory as a tree."""
    source = io.BufferedReader(_Bounded(body, max_size))
    events = etree.iterparse(
        source, events=("end",), tag=tags, recover=True, resolve_entities=False, no_network=True
    )
    try:
        for _, el in events:
            yield el
            el.clear()
            while el.getprevious() is not None:
                del el.getparent()[0]
    except etree.XMLSyntaxError:
        return  # what could be read stands, as a browser shows a broken page


def _date(text: str | None, site: Site) -> date | None:
    if not text:
        return None
    try:
        return parsedate_to_datetime(text).date()  # RSS: RFC 822
    except (TypeError, ValueError, IndexError):
        pass
    dt = find_date(text, site.tz)
    return dt.date() if dt else None


class Capped:
    """How much of one page's links was read: at most `limit`, `skipped` left unread, and
    `slow`: article_url matching ran past its budget for the page (MATCH_BUDGET)."""

    def __init__(
        self,
        page_url: str,
        site: Site,
        limit: int = 0,
        on_short: Callable[[Capped], None] | None = None,
    ) -> None:
        self.page_url = page_url
        self.on_short = on_short  # told when links were left unread
        self.site = site
        self.limit = limit or settings.UNINEWS_MAX_LINKS
        self.read = 0
        self.skipped = 0
        self.slow = False
        self._spent = 0.0
        self._verdicts: dict[str, bool] = {}  # a link asked about twice costs one match

    def take(self) -> bool:
        """Whether there is room for one more link (or sitemap entry); counts those left out."""
        if self.read >= self.limit or self.slow:
            self.skipped += 1
            return False
        self.read += 1
        return True

    def is_article_url(self, url: str) -> bool:
        if url in self._verdicts:
            return self._verdicts[url]
        start = time.perf_counter()
        try:
            verdict = self._verdicts[url] = self.site.is_article_url(url)
            return verdict
        finally:
            self._spent += time.perf_counter() - start
            self.slow = self.slow or self._spent > MATCH_BUDGET

    def report(self) -> None:
        if self.skipped and self.on_short is not None:
            self.on_short(self)
        if self.slow:
            logger.warning(
                "%s: matching article_url took over %gs on %s; %d of its links not read"
                " (simplify the pattern in %s)",
                self.site.name,
                MATCH_BUDGET,
                self.page_url,
                self.skipped,
                self.site.path or "its site file",
            )
        elif self.skipped:
            logger.warning(
                "%s: %d links past the first %d not read (UNINEWS_MAX_LINKS)",
                self.page_url,
                self.skipped,
                self.limit,
            )


def sitemap_entries(
    body: bytes, page_url: str, site: Site, *, max_size: int = 0, cap: Capped | None = None
) -> tuple[list[ListedArticle], list[str]]:
    """Article URLs (with news publication dates or lastmod) and child sitemaps of a sitemap,
    read as a stream and no more than the cap's limit of entries (UNINEWS_MAX_LINKS).

    Raises TooLarge when a gzipped sitemap decompresses past `max_size` bytes (0: no limit).
    """
    cap = cap or Capped(page_url, site)
    out, children = [], []
    for el in _elements(body, ("{*}url", "{*}sitemap"), max_size):
        if not cap.take():
            continue
        url = urljoin(page_url, (el.findtext("{*}loc") or "").strip())
        if etree.QName(el).localname == "sitemap":
            children.append(url)
        elif cap.is_article_url(url):
            when = el.findtext("{*}news/{*}publication_date") or el.findtext("{*}lastmod")
            title = fold(el.findtext("{*}news/{*}title"))
            out.append(ListedArticle(url=url, title=title, listed_date=_date(when, site)))
    cap.report()
    return out, children


def feed_entries(
    body: bytes, page_url: str, site: Site, *, max_size: int = 0, cap: Capped | None = None
) -> list[ListedArticle]:
    """Article URLs and dates from an RSS 2.0 or Atom feed (streamed, capped and TooLarge as
    for sitemaps)."""
    cap = cap or Capped(page_url, site)
    out = []
    for item in _elements(body, ("{*}item", "{*}entry"), max_size):
        if not cap.take():
            continue
        link = item.find("{*}link")
        href = (link.get("href") or link.text or "").strip() if link is not None else ""
        url = urljoin(page_url, href)
        if not cap.is_article_url(url):
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
    cap.report()
    return out
