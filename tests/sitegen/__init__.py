"""Fake-but-realistic university news sites (Tsinghua layouts A/B/C, a GBK site, an English site) and a local server.

Typical use in a test::

    from tests.sitegen import build_site, serve
    manifest = build_site(tmp_path)                      # writes tmp_path/<host>/<path>
    with serve(manifest.docroot("news.tsinghua.edu.cn")) as site:
        ...  # crawl site.url, compare with manifest.articles[i].record

Hosts and paths (origin URLs in the manifest; one server per host):

- news.tsinghua.edu.cn: layout A listings /publish/news/<col>/index.html, index_2.html ...;
  articles /publish/news/<col>/<yyyy>/<id>/<id>_.html; layout B listing /publish/thunews/9648/index.html,
  index_2.html; articles /publish/thunews/9648/<yyyy>/<id>/<id>_.html (the seed article among them).
- www.tsinghua.edu.cn: layout C list /news/zxdt.htm, /news/zxdt/<K>.htm (K counts down); /info/1182/<id>.htm.
- bynews.example.edu.cn: GBK pages /xwzh/index.htm, /xwzh/<yyyy-mm>/<id>.htm, /cn/ReadNews.asp?NewsID=<n>.
- news.example.edu: Drupal-like /news, /news?page=1, /news/<slug>.

Expected-record conventions: `text` is the body paragraphs joined by "\\n" (whitespace runs collapsed,
U+3000 indents dropped, entities decoded), keeping the lead paragraph whole (dateline included) and
in-body headings, and leaving out headline, kicker/subtitle, 来源 line, captions, photo credits and the
供稿/编辑/审核 trailer. `subtitle` holds the kicker (引题) or subtitle. `source` is the 来源 outlet
(book-title marks removed) or else the site's own name. Image `credit` is the credit line as shown
("杨艳宾 摄", "Photo: Jane Doe"); the names are in `photographers`. A date-only page gets local midnight.
"""

from __future__ import annotations

from .builder import add_articles, build_site, seed_article_page
from .layouts import (
    english_article,
    english_listing,
    gbk_article,
    gbk_listing,
    legacy_article,
    legacy_listing,
    robots_txt,
    thunews_article,
    thunews_listing,
    vsb_article,
    vsb_listing,
    withdrawn_stub,
)
from .model import (
    EN_HOST,
    ENGLISH,
    GBK,
    GBK_HOST,
    LEGACY,
    NEWS_HOST,
    ORIGINS,
    THUNEWS,
    VSB,
    WWW_HOST,
    ArticleEntry,
    Column,
    ExpectedRecord,
    ListItem,
    Manifest,
    SiteSpec,
    Story,
)
from .seed import SEED_ID, SEED_URL, seed_story
from .server import Hit, LocalSite, StatusRule, close_all, serve, serve_all

__all__ = [
    "ENGLISH",
    "EN_HOST",
    "GBK",
    "GBK_HOST",
    "LEGACY",
    "NEWS_HOST",
    "ORIGINS",
    "SEED_ID",
    "SEED_URL",
    "THUNEWS",
    "VSB",
    "WWW_HOST",
    "ArticleEntry",
    "Column",
    "ExpectedRecord",
    "Hit",
    "ListItem",
    "LocalSite",
    "Manifest",
    "SiteSpec",
    "StatusRule",
    "Story",
    "add_articles",
    "build_site",
    "close_all",
    "english_article",
    "english_listing",
    "gbk_article",
    "gbk_listing",
    "legacy_article",
    "legacy_listing",
    "robots_txt",
    "seed_article_page",
    "seed_story",
    "serve",
    "serve_all",
    "thunews_article",
    "thunews_listing",
    "vsb_article",
    "vsb_listing",
    "withdrawn_stub",
]
