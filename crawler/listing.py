"""Reading a listing page: which links are articles (with the dates shown beside them), which is next."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from crawler.extraction.dates import find_date
from crawler.extraction.text import fold, text_of
from crawler.sites import Site

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


def article_links(tree: HtmlElement, page_url: str, site: Site) -> list[ListedArticle]:
    """Article links on a listing page, in page order, each once.

    `page_url` is the page's URL on the origin site, so relative links resolve to the origin.
    """
    out: list[ListedArticle] = []
    seen: set[str] = set()
    for a in tree.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        url = urljoin(page_url, href).split("#", 1)[0]
        if url in seen or not site.is_article_url(url):
            continue
        seen.add(url)
        out.append(
            ListedArticle(
                url=url, title=text_of(a) or fold(a.get("title")), listed_date=_item_date(a, site)
            )
        )
    return out


def next_page(tree: HtmlElement, page_url: str, site: Site) -> str | None:
    """The URL of the next listing page, or None on the last one."""
    candidates: list[str] = []
    if site.pagination.next:
        sel = site.pagination.next
        found = tree.xpath(sel) if sel.startswith(("/", "(")) else tree.cssselect(sel)
        candidates += [el.get("href") or "" for el in found if isinstance(el, HtmlElement)]
    candidates += [
        el.get("href") or "" for el in tree.xpath('//a[@rel="next"] | //link[@rel="next"]')
    ]
    texts = set(site.pagination.next_text)
    for a in tree.iter("a"):
        label = text_of(a)
        if label in texts or fold(a.get("title")) in texts:
            candidates.append(a.get("href") or "")
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
