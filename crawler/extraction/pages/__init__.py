"""Page objects and the rules that pick one for a page (like web-poet's `handle_urls`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from crawler.extraction.pages.base import ArticlePage
from crawler.extraction.pages.cms import (
    FAMILIES,
    DrupalPage,
    VsbPage,
    WebPlusPage,
    WordPressPage,
    detect_family,
)
from crawler.extraction.pages.generic import ReadabilityArticlePage
from crawler.extraction.pages.tsinghua import LegacyNewsPage, ThunewsPage

if TYPE_CHECKING:
    from crawler.sites import Site

# A site file's `layout:` names one of these; otherwise a URL rule, then the page itself decide.
LAYOUTS: dict[str, type[ArticlePage]] = {
    "generic": ReadabilityArticlePage,
    "tsinghua-publish-news": LegacyNewsPage,
    "tsinghua-thunews": ThunewsPage,
    **FAMILIES,
}

# Layouts of one site that no page marks as such (Tsinghua's old templates).
URL_RULES: list[tuple[re.Pattern[str], type[ArticlePage]]] = [
    (re.compile(r"/publish/news/\d+/"), LegacyNewsPage),
    (re.compile(r"/publish/thunews(en)?/\d+/"), ThunewsPage),
]


def page_class(url: str, site: Site | None = None, html: str = "") -> type[ArticlePage]:
    """The page object for a page: the site's declared layout, a URL rule, the CMS family the
    page shows it comes from, or the generic page."""
    if site is not None and site.layout:
        return LAYOUTS[site.layout]
    for rx, cls in URL_RULES:
        if rx.search(url):
            return cls
    family = detect_family(url, html)
    if family is not None:
        return FAMILIES[family]
    return ReadabilityArticlePage


__all__ = [
    "LAYOUTS",
    "ArticlePage",
    "DrupalPage",
    "ReadabilityArticlePage",
    "VsbPage",
    "WebPlusPage",
    "WordPressPage",
    "detect_family",
    "page_class",
]
