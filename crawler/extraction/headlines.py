"""Around the headline: the kicker (引题) printed above it, and column names posing as one."""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree
from lxml.html import HtmlElement

from crawler.extraction.text import fold, text_of

# The line above a Chinese headline that leads into it ("从微课、慕课到……——"), or one a
# template marks as such (class "kicker", "yt"/"yinti" for 引题).
_KICKER_DASH = re.compile(r"^(.{4,80}?)\s*(?:——|—|--|－－|──)\s*$")
_KICKER_CLASS = re.compile(
    r"(?:^|[\s_-])(?:kicker|yinti|yt|pretitle|pre-title|supertitle|overline)(?:$|[\s_-])", re.I
)
_SECTION_NAME_MAX = 12
_HEADINGS = ("h1", "h2", "h3", "h4")
_LINK_TEXTS = etree.XPath("//a[not(.//img)]")
# "Headline - Column - Site": the separators of a <title>.
_SEGMENTS = re.compile(r"\s+[-|–—_·]\s+|[_|｜—–－]|-(?=\S)")


def kicker_above(texts: list[str], title: str) -> str | None:
    """The kicker of `title`: the visible text just before the headline, when it ends in a dash
    that leads into the headline or its element is marked as a kicker.

    `texts` are the page's visible text nodes in document order (lxml "smart" strings, which
    know their element).
    """
    if not title:
        return None
    previous: str | None = None
    head = title[:4]
    for raw in texts:
        if head not in raw:  # most text nodes: no folding needed to rule them out
            if not raw.isspace():
                previous = raw
            continue
        t = fold(raw)
        if previous is not None and (t == title or (len(t) >= 4 and title.startswith(t))):
            kicker = _as_kicker(previous)
            if kicker and kicker != title:
                return kicker
        previous = raw
    return None


def _as_kicker(raw: str) -> str | None:
    t = fold(raw)
    m = _KICKER_DASH.match(t)
    if m:
        return m.group(1).strip()
    parent = getattr(raw, "getparent", lambda: None)()
    if (
        isinstance(parent, HtmlElement)
        and _KICKER_CLASS.search(parent.get("class") or "")
        and 4 <= len(t) <= 80
    ):
        return t
    return None


def link_texts(tree: HtmlElement) -> set[str]:
    """The texts of the page's links: the names of its columns, in menus and breadcrumbs."""
    return {t for a in _LINK_TEXTS(tree) if (t := text_of(a))}


def is_section_name(heading: str, page_title: str, links: Callable[[], set[str]]) -> bool:
    """Whether a heading names the page's column or site, not the article ("智库动态"): a
    menu or breadcrumb links to it (a short name: the page's own headline may be linked from a
    "latest news" box), or the <title> carries it after the headline. `links` gives the page's
    link texts, read only when a heading is short enough to be a column's name."""
    if len(heading) <= _SECTION_NAME_MAX and heading in links():
        return True
    segments = [s.strip() for s in _SEGMENTS.split(page_title) if s.strip()]
    return len(segments) > 1 and heading in segments[1:]


def headline_after(el: HtmlElement, links: set[str]) -> str | None:
    """The article's own headline after a column-name heading: the next heading (h1–h4) in
    document order that is no link and names no column."""
    for nxt in el.itersiblings():
        found = _first_heading(nxt, links)
        if found:
            return found
    parent = el.getparent()
    while parent is not None:
        for nxt in parent.itersiblings():
            found = _first_heading(nxt, links)
            if found:
                return found
        parent = parent.getparent()
    return None


def _first_heading(root: HtmlElement, links: set[str]) -> str | None:
    if not isinstance(root.tag, str):
        return None
    for h in root.iter(*_HEADINGS):
        t = text_of(h)
        if 5 <= len(t) <= 120 and t not in links and h.find(".//a") is None:
            return t
    return None
