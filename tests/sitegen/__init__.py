"""Fake-but-realistic university news sites (Tsinghua layouts A/B/C, a GBK site, an English site, and on
request VSB, WebPlus, WordPress and Drupal sites of other universities) and a local server.

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

CMS-family sites, only when asked (`SiteSpec(families=("vsb2", "webplus", "wordpress", "drupal"))`
or `build_family(root, "vsb2")`; each is described by `Manifest.families[<family>]`, a FamilyInfo
with its home page, column list URLs, article URL regex, next-link selector and a `site_file()`):

- news.vsbuni.example.edu.cn (vsb2, VSB/博达 outside Tsinghua): /index.htm; lists /xwzx/xyxw.htm,
  /xwzx/xyxw/<K>.htm (K counts down; a.Next 下页) and /xwzx/tzgg.htm (span.p_next pager);
  articles /info/<col>/<id>.htm in three templates (variant lab: h3 + h4 "佚名 <date time>";
  content: div.content > div.t + 发布时间/作者/来源/点击率 line; table: span.STYLE8 + 来源: | 发布时间:).
- news.wpuni.example.edu.cn (webplus, WebPlus/网站群): /main.htm; /xxyw/list.htm, list2.htm ...
  (list1.htm = list.htm); articles /<yyyy>/<mmdd>/c5405a<id>/page.htm (date only on the page).
- news.wpress.example.edu (wordpress): /; /news/, /news/page/2/ ...; /<yyyy>/<mm>/<dd>/<slug>/.
  Local times with the page's own offset (-04:00/-05:00); Yoast meta and JSON-LD in UTC; variant
  account: filed under the site account "Tiny State News", the person in an in-body <p> byline
  (authors: the person only). The byline <p>, category label, share bar and Related posts are not text.
- news.drupal.example.edu (drupal, Drupal 10): /; /news, /news?page=1 ... (?page=0 = /news);
  /news/<slug>. time[datetime] is UTC ("Z"), JSON-LD and article:published_time carry the local
  offset (-06:00/-05:00), which published_at keeps; variant account: "By drupalnews" (no author).

Expected-record conventions: `text` is the body paragraphs joined by "\\n" (whitespace runs collapsed,
U+3000 indents dropped, entities decoded), keeping the lead paragraph whole (dateline included) and
in-body headings, and leaving out headline, kicker/subtitle, 来源 line, captions, photo credits and the
供稿/编辑/审核 trailer. `subtitle` holds the kicker (引题) or subtitle. `source` is the 来源 outlet
(book-title marks removed) or else the site's own name. Image `credit` is the credit line as shown
("杨艳宾 摄", "Photo: Jane Doe"); the names are in `photographers`. A date-only page gets local midnight.
"""

from __future__ import annotations

from .builder import add_articles, build_site, seed_article_page
from .families import build_family, us_utc_offset
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
    DRUPAL,
    DRUPAL_HOST,
    EN_HOST,
    ENGLISH,
    FAMILIES,
    FAMILY_HOSTS,
    GBK,
    GBK_HOST,
    LEGACY,
    NEWS_HOST,
    ORIGINS,
    THUNEWS,
    VSB,
    VSB2,
    VSB2_HOST,
    WEBPLUS,
    WEBPLUS_HOST,
    WORDPRESS,
    WORDPRESS_HOST,
    WWW_HOST,
    ArticleEntry,
    Column,
    ExpectedRecord,
    FamilyInfo,
    ListItem,
    Manifest,
    SiteSpec,
    Story,
)
from .seed import SEED_ID, SEED_URL, seed_story
from .server import Hit, LocalSite, StatusRule, close_all, serve, serve_all

__all__ = [
    "DRUPAL",
    "DRUPAL_HOST",
    "ENGLISH",
    "EN_HOST",
    "FAMILIES",
    "FAMILY_HOSTS",
    "GBK",
    "GBK_HOST",
    "LEGACY",
    "NEWS_HOST",
    "ORIGINS",
    "SEED_ID",
    "SEED_URL",
    "THUNEWS",
    "VSB",
    "VSB2",
    "VSB2_HOST",
    "WEBPLUS",
    "WEBPLUS_HOST",
    "WORDPRESS",
    "WORDPRESS_HOST",
    "WWW_HOST",
    "ArticleEntry",
    "Column",
    "ExpectedRecord",
    "FamilyInfo",
    "Hit",
    "ListItem",
    "LocalSite",
    "Manifest",
    "SiteSpec",
    "StatusRule",
    "Story",
    "add_articles",
    "build_family",
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
    "us_utc_offset",
    "vsb_article",
    "vsb_listing",
    "withdrawn_stub",
]
