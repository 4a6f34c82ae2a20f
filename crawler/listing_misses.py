"""Links a listing shows in its list of news that its site's `article_url` rejects.

A pattern too narrow for some of a site's articles (a slug with capitals, a nested column) loses
them with no trace: the crawler never requests them. These are the links to count and name
(`uninews status`, `uninews sites check`): in the lists that hold the listing's article links,
the other items' links to the site's own pages; or, on a listing where no link matched, the
links of list items that show a date.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from lxml.html import HtmlElement

from crawler.extraction.text import text_of
from crawler.listing import _ITEM_TAGS, Capped, _item_date, links, next_page
from crawler.sites import Site

EXAMPLES = 5  # unmatched links a run keeps to name
MIN_DATED_ITEMS = 3  # a list of news without a matching link: this many dated items at least


def _item(a: HtmlElement) -> HtmlElement | None:
    return next((x for x in a.iterancestors() if x.tag in _ITEM_TAGS), None)


def unmatched_links(
    tree: HtmlElement, page_url: str, site: Site, cap: Capped | None = None
) -> list[str]:
    """URLs of links in the page's list of news that `site.is_article_url` rejects, each once.

    `cap`: the page's own, from reading its article links: its verdicts are reused, and a page
    not read whole (past UNINEWS_MAX_LINKS, or matching past its time budget) is not judged."""
    cap = cap or Capped(page_url, site)
    if cap.slow or cap.skipped:
        return []
    found = list(links(tree, page_url))
    own = [
        (a, url)
        for a, url in found
        if urlsplit(url).scheme in ("http", "https")
        and site.owns_host(urlsplit(url).hostname or "")
    ]
    lists: set[HtmlElement] = set()
    for a, url in own:
        item = _item(a)
        if item is not None and item.getparent() is not None and cap.is_article_url(url):
            lists.add(item.getparent())
    if not lists:
        dated: dict[HtmlElement, int] = {}
        for a, _url in own:
            item = _item(a)
            if item is not None and item.getparent() is not None and _item_date(a, site):
                dated[item.getparent()] = dated.get(item.getparent(), 0) + 1
        lists = {parent for parent, n in dated.items() if n >= MIN_DATED_ITEMS}
    if not lists:
        return []
    pager = next_page(tree, page_url, site)
    # Per item, its headline: the link with the longest text. An item that holds an article
    # link is fine whatever else it links (a category, an author, "read more").
    heads: dict[HtmlElement, tuple[int, str]] = {}
    matched: set[HtmlElement] = set()
    for a, url in own:
        item = _item(a)
        if item is None or item.getparent() not in lists:
            continue
        if cap.is_article_url(url):
            matched.add(item)
        elif url not in (pager, page_url):
            length = len(text_of(a))
            if item not in heads or length > heads[item][0]:
                heads[item] = (length, url)
    out: list[str] = []
    for item, (_n, url) in heads.items():
        if item not in matched and url not in out:
            out.append(url)
    return out
