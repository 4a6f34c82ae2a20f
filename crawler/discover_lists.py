"""Reading a page as a news listing, for `sites discover`: its dated links to articles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from crawler.extraction.article import Article
from crawler.extraction.dates import find_date
from crawler.extraction.text import fold, text_of
from crawler.listing import links
from crawler.sites import Site

_ITEM = ("li", "tr", "dd", "article", "p")
_ITEM_CLASS = re.compile(r"row|item|news|list|entry|post|card", re.I)
_DATE_IN_ITEM = re.compile(
    r"\d{4}[-/.年]\s*\d{1,2}[-/.月]\s*\d{1,2}|\d{1,2}\s+\d{4}[-/.]\d{1,2}|"
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}",
    re.I,
)


@dataclass
class Listed:
    url: str
    title: str
    day: date | None


@dataclass
class Column:
    url: str
    name: str
    items: list[Listed]
    pattern: str
    next_url: str | None = None
    samples: list[Article] = field(default_factory=list)


def _item_of(a: HtmlElement) -> HtmlElement | None:
    for anc in a.iterancestors():
        if anc.tag in _ITEM or (anc.tag == "div" and _ITEM_CLASS.search(anc.get("class") or "")):
            return anc
        if anc.tag in ("ul", "ol", "table", "body", "section", "main"):
            return None
    return None


def dated_links(tree: HtmlElement, page_url: str, hosts: set[str]) -> list[Listed]:
    """Links on a page that sit in a list item showing a date: what a news listing lists."""
    out: list[Listed] = []
    seen: set[str] = set()
    for a, url in links(tree, page_url):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname not in hosts or url in seen:
            continue
        item = _item_of(a)
        if item is None:
            continue
        text = text_of(item)
        if len(text) > 400 or not _DATE_IN_ITEM.search(text):
            continue
        seen.add(url)
        dt = find_date(text)
        out.append(Listed(url, text_of(a) or fold(a.get("title")), dt.date() if dt else None))
    return out


def target(url: str) -> str:
    """The part of a URL an `article_url` pattern is matched against: path and query."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def probe_site(start_url: str, pattern: str) -> Site:
    """A stand-in site with `pattern` as its article_url, to read pages as the crawler would."""
    parts = urlsplit(start_url)
    return Site(
        name="probe",
        title="probe",
        base_url=f"{parts.scheme}://{parts.netloc}/",
        listings=["/"],
        article_url=pattern,
    )
