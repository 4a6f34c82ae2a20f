"""Page objects and the rules that pick one for a URL (like web-poet's `handle_urls`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from crawler.extraction.pages.base import ArticlePage
from crawler.extraction.pages.generic import ReadabilityArticlePage
from crawler.extraction.pages.tsinghua import LegacyNewsPage, ThunewsPage, VsbPage

if TYPE_CHECKING:
    from crawler.sites import Site

# A site file's `layout:` names one of these; otherwise the first URL rule that matches wins.
LAYOUTS: dict[str, type[ArticlePage]] = {
    "generic": ReadabilityArticlePage,
    "tsinghua-publish-news": LegacyNewsPage,
    "tsinghua-thunews": ThunewsPage,
    "vsb": VsbPage,
}

URL_RULES: list[tuple[re.Pattern[str], type[ArticlePage]]] = [
    (re.compile(r"/publish/news/\d+/"), LegacyNewsPage),
    (re.compile(r"/publish/thunews(en)?/\d+/"), ThunewsPage),
    (re.compile(r"/info/\d+/\d+\.htm$"), VsbPage),
]


def page_class(url: str, site: Site | None = None, html: str = "") -> type[ArticlePage]:
    """The page object for a URL: the site's declared layout, a URL rule, or the generic page."""
    if site is not None and site.layout:
        return LAYOUTS[site.layout]
    for rx, cls in URL_RULES:
        if rx.search(url):
            return cls
    if "_newscontent_fromname" in html or "v_news_content" in html:
        return VsbPage
    return ReadabilityArticlePage


__all__ = ["LAYOUTS", "ArticlePage", "ReadabilityArticlePage", "page_class"]
