"""Where a site's news columns are: candidates from a home page, each with a verdict.

A home page links its news columns in several ways, and a site often uses only one of them
for its main column: a navigation menu or one of its sub-menus, a section heading with a
"MORE"/"更多" link beside it (`<h2>学院新闻</h2> … <a href="xwzx/xyxw.htm">MORE</a>`), a
column index page (`xwzx.htm`, "新闻中心") that links its sub-columns the same ways, or a feed
the page advertises. Every such link becomes a `Candidate`; its verdict says why it was kept
or dropped, so `sites discover -v` can show what was seen.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from crawler.extraction.text import fold, text_of
from crawler.listing import links

logger = logging.getLogger(__name__)

# Names of news columns, in the languages of the sites we archive.
NEWS_NAMES = re.compile(
    r"新闻|要闻|动态|资讯|综合|通知|公告|快讯|头条|校园|学术|媒体|聚焦|报道|"
    r"\bnews\b|\bstories\b|\bpress\b|\bannouncements?\b|\bevents?\b|\bnewsroom\b|\bfeatures?\b",
    re.I,
)
# The link beside a section heading that leads to the whole column.
_MORE = re.compile(
    r"^(?:更多|查看更多|更多内容|更多新闻|more|more news|more stories|view all|view more|see all|"
    r"see more|all news|all stories|read more)$",
    re.I,
)
_MORE_DECOR = " \u00a0>»›→+·.…:：[]【】()（）"
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6", "dt", "strong", "b", "span", "div", "p", "font")
_HEADING_CLASS = re.compile(r"tit|head|name|label|caption", re.I)
_MENU_HINT = re.compile(r"nav|menu", re.I)
MAX_LABEL = 20  # a column's name is short; a longer link text is a headline
# A pager's links, which sit under a column's own path too (/news/page/2/, xyxw/3.htm).
_PAGER = re.compile(
    r"^\W*(?:\d+|下一?页|上一?页|首页|尾页|末页|next|prev(?:ious)?|first|last|older|newer)"
    r"(?:\s*(?:page|posts|entries))?\W*$",
    re.I,
)

# Where a candidate came from, best first: what the order of fetching follows.
VIA_ORDER = ("heading", "sub-menu", "menu", "index", "link", "feed", "sitemap")


@dataclass
class Candidate:
    url: str
    label: str
    via: str  # heading | sub-menu | menu | index | link | feed | sitemap (robots.txt) | start
    verdict: str = ""  # "kept: …" or "dropped: …", set as discovery decides
    score: int = 0  # how news-like its list is: dated article links, plus pagination

    @property
    def kept(self) -> bool:
        return self.verdict.startswith("kept")

    def line(self) -> str:
        return f"{self.label} {self.url} (via {self.via}): {self.verdict or 'not looked at'}"


def is_more_link(text: str) -> bool:
    """A "MORE" / "更多>>" / "more »" / "View all" link text."""
    return bool(_MORE.match(text.strip(_MORE_DECOR)))


def _heading_beside(a: HtmlElement) -> str:
    """The section heading a "MORE" link sits beside: the nearest short text before it in the
    same box (a few levels up), e.g. `<dt><span>学校新闻</span> <a>更多</a></dt>`."""
    more = text_of(a)
    for depth, box in enumerate(a.iterancestors()):
        if depth >= 4 or box.tag in ("body", "html"):
            break
        for el in box.iter(*_HEADINGS):
            if el is a or a in el.iterancestors() or el in a.iterancestors():
                continue
            text = text_of(el).replace(more, "").strip()
            heading = (
                el.tag[0] == "h"
                or el.tag == "dt"
                or _HEADING_CLASS.search(f"{el.get('class') or ''} {el.get('id') or ''}")
            )
            if text and len(text) <= MAX_LABEL and (heading or len(box) <= 3):
                return text
        # The box's own text, once the link's is removed: `<div>通知公告 <a>更多</a></div>`
        rest = text_of(box).replace(more, "").strip()
        if rest and len(rest) <= MAX_LABEL:
            return rest
    return ""


def _menu_depth(a: HtmlElement) -> int:
    """How many lists deep a link sits inside a navigation menu (0: not in a menu)."""
    lists = 0
    in_menu = False
    for anc in a.iterancestors():
        if anc.tag in ("ul", "ol"):
            lists += 1
        hint = f"{anc.get('class') or ''} {anc.get('id') or ''}"
        if anc.tag == "nav" or _MENU_HINT.search(hint):
            in_menu = True
    return lists if in_menu else 0


def _label(a: HtmlElement) -> str:
    return text_of(a) or fold(a.get("title"))


def page_candidates(
    tree: HtmlElement, page_url: str, hosts: set[str], listed: Collection[str] = ()
) -> list[Candidate]:
    """Every link of a page that may lead to a news column, with where it sits, best first.

    Links whose name is no news name are candidates too (dropped at once, with the reason), but
    only where columns are linked: menus and "MORE" links; any other link counts when its
    text names news and it is no headline of the page's own lists (`listed`).
    """
    found: dict[str, Candidate] = {}
    for a, url in links(tree, page_url):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname not in hosts or url in listed:
            continue
        text = _label(a)
        if not text:
            continue
        if is_more_link(text):
            via, label = "heading", _heading_beside(a) or text
        else:
            depth = _menu_depth(a)
            via = "sub-menu" if depth >= 2 else "menu" if depth == 1 else "link"
            label = text
            if len(label) > MAX_LABEL or (via == "link" and not NEWS_NAMES.search(label)):
                continue
        old = found.get(url)
        if old is None or VIA_ORDER.index(via) < VIA_ORDER.index(old.via):
            # A column linked both ways keeps its better name and place.
            named = label if NEWS_NAMES.search(label) or old is None else old.label
            found[url] = Candidate(url, named, via)
    for feed in _feeds(tree, page_url, hosts):
        found.setdefault(feed.url, feed)
    out = list(found.values())
    for c in out:
        if c.via != "feed" and not NEWS_NAMES.search(c.label):
            c.verdict = f"dropped: {c.label!r} names no news column"
    out.sort(key=lambda c: (bool(c.verdict), VIA_ORDER.index(c.via)))
    return out


def _feeds(tree: HtmlElement, page_url: str, hosts: set[str]) -> Iterator[Candidate]:
    """The RSS/Atom feeds a page advertises (`<link rel="alternate" type="…rss+xml">`)."""
    for el in tree.iter("link"):
        kind = (el.get("type") or "").lower()
        if "alternate" not in (el.get("rel") or "").lower() or not kind.endswith(
            ("rss+xml", "atom+xml")
        ):
            continue
        url = urljoin(page_url, (el.get("href") or "").strip()).split("#", 1)[0]
        if urlsplit(url).hostname in hosts and "comments" not in url:
            yield Candidate(url, fold(el.get("title")) or "feed", "feed")


def index_children(
    tree: HtmlElement, page_url: str, hosts: set[str], seen: set[str]
) -> list[Candidate]:
    """The sub-columns a column index page (`xwzx.htm`, "新闻中心") links: its news-named
    "MORE" and menu links, and links under its own path (`xwzx/xyxw.htm`)."""
    stem = urlsplit(page_url).path.rsplit(".", 1)[0].rstrip("/") + "/"
    out = []
    for c in page_candidates(tree, page_url, hosts):
        if c.url in seen or c.via == "feed":
            continue
        under = urlsplit(c.url).path.startswith(stem) and stem != "/" and not _PAGER.match(c.label)
        if c.verdict and not under:
            continue
        if under and c.verdict:
            c.verdict = ""  # a column of a news index is news, whatever its own name
        c.via = "index"
        out.append(c)
    return out


def report_lines(candidates: list[Candidate]) -> list[str]:
    """One line per candidate with its verdict, for `sites discover -v`."""
    return [f"  candidate {c.line()}" for c in candidates]
