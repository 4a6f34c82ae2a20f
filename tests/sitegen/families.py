"""The CMS-family sites (`SiteSpec.families`, `build_family`): VSB (博达) as other universities run
it, WebPlus (网站群), an English WordPress newsroom and an English Drupal 10 newsroom.

Each family gets its own host, 12 articles (spec.family_articles) over 2-3 listing pages per
column, a home page, robots.txt and a `FamilyInfo` in `Manifest.families`. Everything is seeded
from (spec.seed, family) alone, so a family's pages and records do not depend on what else is
built with it.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import family_layouts as F
from .builder import _spread
from .homes import HomeColumn, home_pages
from .layouts import Link, robots_txt
from .model import (
    DRUPAL,
    FAMILIES,
    FAMILY_HOSTS,
    ORIGINS,
    VSB2,
    WEBPLUS,
    WORDPRESS,
    ArticleEntry,
    Block,
    Column,
    FamilyInfo,
    ListItem,
    Manifest,
    Para,
    Photo,
    SiteSpec,
    SourceLine,
    Story,
    record_for,
)
from .text import EnWriter, ZhWriter

if TYPE_CHECKING:
    from .builder import _Gen

PER_PAGE = {VSB2: 3, WEBPLUS: 5, WORDPRESS: 5, DRUPAL: 5}
ROBOTS_DISALLOW = {
    VSB2: ["/ssjg.jsp"],
    WEBPLUS: ["/_web/"],
    WORDPRESS: ["/wp-admin/"],
    DRUPAL: ["/admin/", "/search/", "/user/"],
}
VSB2_VARIANTS = ("table", "content", "lab")  # by age: the oldest pages use the table template
VSB2_SOURCES = ("研究生院", "研究生院", "党委宣传部")
WEBPLUS_SOURCES = ("党委宣传部", "科学技术研究院", "研究生院", "教务处")
NOTICE_TITLES = (
    "关于开展{year}年研究生{x}工作的通知",
    "关于做好{year}年{x}相关工作的通知",
    "{year}年研究生{x}结果公示",
    "关于{year}年研究生{x}安排的通知",
)
NOTICE_TOPICS = (
    "学位论文抽检",
    "国家奖学金评审",
    "暑期学校报名",
    "学术交流基金申请",
    "导师遴选",
    "中期考核",
    "学位授予",
    "课程教学质量评估",
    "创新实践项目申报",
)
EN_HEADINGS = (
    "What comes next",
    "Building on earlier work",
    "A campus-wide effort",
    "From the lab to the community",
    "Why it matters",
)
WP_CATEGORIES = ("Research", "Campus Life", "Health", "Arts", "Community")


def _zh(s: str, uni: str) -> str:
    """Generated Chinese text names Tsinghua here and there; the family sites name their own."""
    return s.replace("清华大学", uni).replace("清华", uni[:2])


def _zh_title(w: ZhWriter, uni: str) -> str:
    return _zh(w.title(), uni)


def _notice_title(rng: random.Random, year: int) -> str:
    """A 通知公告 headline: 关于开展2019年研究生学位论文抽检工作的通知."""
    return rng.choice(NOTICE_TITLES).format(year=year, x=rng.choice(NOTICE_TOPICS))


def _en(s: str, name: str) -> str:
    return s.replace("Northfield", name)


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789ABCDEF") for _ in range(n))


def _slugify(title: str, taken: set[str]) -> str:
    slug = "-".join("".join(ch for ch in title.lower() if ch.isalnum() or ch == " ").split())
    slug = slug[:60].rstrip("-")
    while slug in taken:
        slug += "-2"
    taken.add(slug)
    return slug


def us_utc_offset(t: datetime, standard: int) -> int:
    """The UTC offset (hours) of a US time zone with `standard` offset at local time t: daylight
    time from the second Sunday of March to the first Sunday of November (2:00)."""
    mar1, nov1 = datetime(t.year, 3, 1), datetime(t.year, 11, 1)
    start = mar1 + timedelta(days=(6 - mar1.weekday()) % 7 + 7, hours=2)
    end = nov1 + timedelta(days=(6 - nov1.weekday()) % 7, hours=2)
    return standard + 1 if start <= t < end else standard


def _offset_text(hours: int) -> str:
    return f"{hours:+03d}:00"


class _Family:
    """Shared plumbing: titles unique within the family, entries, listings, robots."""

    def __init__(self, g: _Gen, family: str) -> None:
        self.g = g
        self.family = family
        self.host = FAMILY_HOSTS[family]
        self.origin = ORIGINS[self.host]
        self.spec = g.spec
        self.rng = random.Random(f"{g.spec.seed}:{family}")
        self.per_page = g.spec.family_per_page or PER_PAGE[family]
        self.titles: set[str] = set()

    def unique(self, make: Callable[[], str]) -> str:
        for _ in range(50):
            t = make()
            if t not in self.titles:
                self.titles.add(t)
                return t
        t = f"{make()}（{len(self.titles)}）"
        self.titles.add(t)
        return t

    def write(self, path: str, data: bytes) -> None:
        self.g.write(self.host, path, data)

    def add(self, story: Story, path: str, column: str, aid: str, variant: str) -> ArticleEntry:
        self.write_images(story)
        e = ArticleEntry(
            url=self.origin + path,
            host=self.host,
            path=path,
            layout=self.family,
            column=column,
            article_id=aid,
            encoding="utf-8",
            record=record_for(story, self.origin),
            variant=variant,
        )
        self.g.m.articles.append(e)
        return e

    def write_images(self, story: Story) -> None:
        self.g.write_images(self.host, story)

    def listing(
        self,
        col: Column,
        path_for: Callable[[int, int], str],
        render: Callable[[list[ListItem], int, int], bytes],
    ) -> list[bytes]:
        pages = col.pages()
        total = len(pages)
        urls: list[str] = []
        out: list[bytes] = []
        for p, items in enumerate(pages, 1):
            path = path_for(p, total)
            data = render(items, p, total)
            self.write(path, data)
            url = self.origin + path
            urls.append(url)
            self.g.m.listing_items[url] = [it.url for it in items]
            out.append(data)
        self.g.m.columns[col.key] = col
        self.g.m.listing_urls[col.key] = urls
        return out

    def home(self, path: str, default: bytes, title: str, columns: list[HomeColumn]) -> None:
        """The home page: the family's own, or the variant `spec.family_home` asks for."""
        if self.spec.family_home == "default":
            self.write(path, default)
            return
        for p, data in home_pages(self.spec.family_home, self.family, title, path, columns).items():
            self.write(p, data)

    def robots(self) -> None:
        extra = self.spec.robots_disallow.get(self.host, [])
        data = robots_txt([*ROBOTS_DISALLOW[self.family], *extra])
        self.write("/robots.txt", data)
        self.g.m.robots[self.host] = data.decode()


# ---------------------------------------------------------------- VSB (博达), other universities


def build_vsb2(g: _Gen) -> FamilyInfo:
    f = _Family(g, VSB2)
    rng = f.rng
    n = f.spec.family_articles
    cats = ["xyxw"] * (n - n // 3) + ["tzgg"] * (n // 3)
    rng.shuffle(cats)
    times = sorted(_spread(rng, n, datetime(2017, 9, 4), datetime(2020, 12, 18)))  # oldest first
    nid = 1200 + rng.randrange(100)
    metas: list[dict[str, Any]] = []
    filled = {"content": 0, "table": 0}
    for k, t in enumerate(times):
        nid += rng.randint(3, 60)
        cat = cats[k]
        variant = VSB2_VARIANTS[min(k * 3 // max(n, 1), 2)] if n >= 3 else VSB2_VARIANTS[k % 3]
        w = ZhWriter(rng, t.year)
        if cat == "tzgg":
            title = f.unique(partial(_notice_title, rng, t.year))
        else:
            title = f.unique(partial(_zh_title, w, F.VSB2_UNI))
        fill = False
        if variant in filled:
            fill = filled[variant] % 2 == 1  # every other page of a template names 作者/来源
            filled[variant] += 1
        metas.append(
            {"t": t, "cat": cat, "variant": variant, "id": nid, "title": title, "filled": fill}
        )
    by_cat: dict[str, list[dict[str, Any]]] = {"xyxw": [], "tzgg": []}
    for m in reversed(metas):  # newest first, as lists show them
        by_cat[m["cat"]].append(m)
    for cat, ms in by_cat.items():
        col_id = F.VSB2_COL_IDS[cat]
        for j, m in enumerate(ms):
            srng = random.Random(f"{f.spec.seed}:{VSB2}:{m['id']}")
            w = ZhWriter(srng, m["t"].year)
            paras = [_zh(p, F.VSB2_UNI) for p in w.paragraphs(srng.randint(8, 24))]
            body: list[Block] = []
            for i, ptext in enumerate(paras):
                if cat == "xyxw" and i == 2 and srng.random() < 0.4:
                    body.append(Para(_zh(w.heading(), F.VSB2_UNI), "heading"))
                body.append(Para(ptext))
                if cat == "xyxw" and i == 0 and srng.random() < 0.6:
                    h = _hex(srng, 32)
                    src = f"/__local/{h[0]}/{h[1:3]}/{h[3:5]}/{h[5:32]}_{_hex(srng, 8)}.jpg"
                    credit = w.names(1) if srng.random() < 0.6 else []
                    body.append(Photo(src, _zh(w.caption(), F.VSB2_UNI), credit))
            story = Story(str(m["id"]), m["title"], m["t"], body, keywords=w.keywords())
            story.summary = paras[0][:120]
            variant = m["variant"]
            byline = F.Byline("")
            source_shown = ""
            if variant == "lab":
                byline = F.Byline("佚名")  # the anonymous marker: no author
            elif m["filled"]:
                source_shown = srng.choice(VSB2_SOURCES)
                if variant == "content":
                    byline = F.Byline(w.name())
                    story.authors_extra = [byline.shown]
            if source_shown:
                story.source_line = SourceLine(source_shown, None, None, [])
            else:
                story.site_source = F.VSB2_SITE
            if variant == "content":
                story.published = m["t"].replace(second=0)  # the page shows minutes only
            elif variant == "table":
                story.date_only = True
            prev = Link(f"{ms[j - 1]['id']}.htm", ms[j - 1]["title"], "") if j > 0 else None
            nxt = (
                Link(f"{ms[j + 1]['id']}.htm", ms[j + 1]["title"], "") if j + 1 < len(ms) else None
            )
            path = f"/info/{col_id}/{m['id']}.htm"
            f.write(
                path,
                F.vsb2_article(story, cat, m["id"], variant, byline, source_shown, prev, nxt),
            )
            f.add(story, path, f"{VSB2}:{cat}", str(m["id"]), variant)
            m["summary"] = story.summary
    cols: list[tuple[str, list[ListItem]]] = []
    for cat, pager in (("xyxw", "classic"), ("tzgg", "sys")):
        items = [
            ListItem(
                f"{f.origin}/info/{F.VSB2_COL_IDS[cat]}/{m['id']}.htm",
                m["title"],
                m["t"].strftime("%Y-%m-%d"),
                summary=m["summary"],
            )
            for m in by_cat[cat]
        ]
        col = Column(f"{VSB2}:{cat}", VSB2, f.host, cat, F.VSB2_COL_NAMES[cat], f.per_page, items)
        n_items = len(items)

        def path_for(p: int, total: int, cat: str = cat) -> str:
            return f"/xwzx/{cat}.htm" if p == 1 else f"/xwzx/{cat}/{total - p + 1}.htm"

        def render(
            its: list[ListItem],
            p: int,
            total: int,
            cat: str = cat,
            pager: str = pager,
            n_items: int = n_items,
        ) -> bytes:
            return F.vsb2_listing(cat, its, p, total, n_items, pager)

        f.listing(col, path_for, render)
        cols.append((cat, items))
    homes = [
        HomeColumn(F.VSB2_COL_NAMES[cat], f"{f.origin}/xwzx/{cat}.htm", items)
        for cat, items in cols
    ]
    f.home("/index.htm", F.vsb2_home(cols), F.VSB2_SITE, homes)
    f.robots()
    return FamilyInfo(
        family=VSB2,
        layout=VSB2,
        cms="vsb",
        host=f.host,
        origin=f.origin,
        site_name=F.VSB2_SITE,
        title_suffix=F.VSB2_SUFFIX,
        timezone="Asia/Shanghai",
        language="zh",
        home_url=f.origin + "/index.htm",
        list_urls=[f.origin + "/xwzx/xyxw.htm", f.origin + "/xwzx/tzgg.htm"],
        columns=[f"{VSB2}:xyxw", f"{VSB2}:tzgg"],
        article_pattern=r"^/info/\d+/\d+\.htm$",
        next_selector="a.Next, span.p_next a",
        item_selector="div.list li > a",
    )


# ---------------------------------------------------------------- WebPlus (网站群)


def build_webplus(g: _Gen) -> FamilyInfo:
    f = _Family(g, WEBPLUS)
    rng = f.rng
    col, col_id, name = F.WEBPLUS_COLUMN
    times = sorted(
        _spread(rng, f.spec.family_articles, datetime(2024, 3, 4), datetime(2024, 6, 28))
    )
    aid = 612000 + rng.randrange(1000)
    metas: list[dict[str, Any]] = []
    for t in times:
        aid += rng.randint(5, 90)
        w = ZhWriter(rng, t.year)
        title = f.unique(partial(_zh_title, w, F.WEBPLUS_UNI))
        path = f"/{t:%Y}/{t:%m%d}/c{col_id}a{aid}/page.htm"
        metas.append({"t": t, "id": aid, "title": title, "path": path})
    metas.reverse()
    for m in metas:
        srng = random.Random(f"{f.spec.seed}:{WEBPLUS}:{m['id']}")
        w = ZhWriter(srng, m["t"].year)
        paras = [_zh(p, F.WEBPLUS_UNI) for p in w.paragraphs(srng.randint(8, 26))]
        body: list[Block] = []
        for i, ptext in enumerate(paras):
            body.append(Para(ptext))
            if i == 1 and srng.random() < 0.65:
                h = _hex(srng, 32).lower()
                src = f"/_upload/article/images/{h[:2]}/{h[2:4]}/{h[4:20]}/{h[20:28]}-{h[28:32]}-{h[8:12]}.jpg"
                credit = w.names(1) if srng.random() < 0.5 else []
                body.append(Photo(src, _zh(w.caption(), F.WEBPLUS_UNI), credit))
        story = Story(str(m["id"]), m["title"], m["t"], body, keywords=w.keywords(), date_only=True)
        story.summary = paras[0][:100]
        source_shown = srng.choice(WEBPLUS_SOURCES) if srng.random() < 0.5 else ""
        if source_shown:
            story.source_line = SourceLine(source_shown, None, None, [])
        else:
            story.site_source = F.WEBPLUS_SITE
        f.write(m["path"], F.webplus_article(story, str(m["id"]), source_shown))
        f.add(story, m["path"], f"{WEBPLUS}:{col}", str(m["id"]), "sourced" if source_shown else "")
        m["summary"] = story.summary
    items = [
        ListItem(
            f.origin + m["path"], m["title"], m["t"].strftime("%Y-%m-%d"), summary=m["summary"]
        )
        for m in metas
    ]
    column = Column(f"{WEBPLUS}:{col}", WEBPLUS, f.host, col, name, f.per_page, items)
    n_items = len(items)
    pages = f.listing(
        column,
        lambda p, total: F.webplus_list_path(col, p),
        lambda its, p, total: F.webplus_listing(its, p, total, n_items, f.per_page),
    )
    if len(pages) > 1:
        f.write(f"/{col}/list1.htm", pages[0])  # what the pager's 第一页/上一页 link to
    home = HomeColumn(name, f.origin + F.webplus_list_path(col, 1), items)
    f.home("/main.htm", F.webplus_home(items), F.WEBPLUS_SITE, [home])
    f.robots()
    return FamilyInfo(
        family=WEBPLUS,
        layout=WEBPLUS,
        cms="webplus",
        host=f.host,
        origin=f.origin,
        site_name=F.WEBPLUS_SITE,
        title_suffix=F.WEBPLUS_SUFFIX,
        timezone="Asia/Shanghai",
        language="zh",
        home_url=f.origin + "/main.htm",
        list_urls=[f.origin + F.webplus_list_path(col, 1)],
        columns=[f"{WEBPLUS}:{col}"],
        article_pattern=r"^/\d{4}/\d{4}/c\d+a\d+/page\.htm$",
        next_selector="div.wp_paging a.next",
        item_selector="#wp_news_w3 li.news span.news_title a",
    )


# ---------------------------------------------------------------- WordPress


def build_wordpress(g: _Gen) -> FamilyInfo:
    f = _Family(g, WORDPRESS)
    rng = f.rng
    times = sorted(
        _spread(rng, f.spec.family_articles, datetime(2024, 9, 3), datetime(2024, 12, 12), (8, 18))
    )
    slugs: set[str] = set()
    metas: list[dict[str, Any]] = []
    pid = 2300 + rng.randrange(200)
    for k, t in enumerate(times):
        pid += rng.randint(3, 40)
        title = f.unique(lambda: _en(EnWriter(rng).title(), "Tiny State"))
        slug = _slugify(title, slugs)
        off = us_utc_offset(t, -5)
        metas.append(
            {
                "t": t,
                "k": k,
                "id": pid,
                "title": title,
                "slug": slug,
                "path": f"/{t:%Y}/{t:%m}/{t:%d}/{slug}/",
                "off": off,
                "iso": t.strftime("%Y-%m-%dT%H:%M:%S") + _offset_text(off),
                "utc": (t - timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + "+00:00",
            }
        )
    metas.reverse()
    url = {m["id"]: F.WORDPRESS_ORIGIN + m["path"] for m in metas}
    for j, m in enumerate(metas):
        srng = random.Random(f"{f.spec.seed}:{WORDPRESS}:{m['id']}")
        w = EnWriter(srng)
        person = w.name()
        paras = [_en(p, "Tiny State") for p in w.paragraphs(srng.randint(12, 30))]
        body: list[Block] = []
        for i, ptext in enumerate(paras):
            if i == 3 and srng.random() < 0.5:
                body.append(Para(srng.choice(EN_HEADINGS), "heading"))
            body.append(Para(ptext))
            if i == 1 and srng.random() < 0.6:
                src = f"{F.WORDPRESS_ORIGIN}/wp-content/uploads/{m['t']:%Y}/{m['t']:%m}/{m['slug'][:30].rstrip('-')}-{m['id']}-1024x683.jpg"
                body.append(Photo(src, _en(w.caption(), "Tiny State"), []))
        subtitle = _en(w.dek(), "Tiny State") if m["k"] % 3 == 1 else None
        story = Story(
            str(m["id"]),
            m["title"],
            m["t"],
            body,
            subtitle=subtitle,
            site_source=F.WORDPRESS_SITE,
            authors_extra=[person],
            utc_offset=_offset_text(m["off"]),
        )
        story.summary = paras[0][:180]
        account = m["k"] % 2 == 0
        byline = F.Byline(
            person,
            account=F.WORDPRESS_SITE if account else "",
            profile=f"/profiles/{F._slug(person)}" if account else "",
        )
        others = [x for x in metas if x is not m]
        related = [
            Link(url[x["id"]], x["title"], x["t"].strftime("%Y-%m-%d"))
            for x in others[j % 4 : j % 4 + 3]
        ]
        newer = metas[j - 1] if j > 0 else None
        older = metas[j + 1] if j + 1 < len(metas) else None
        post = F.WpPost(
            post_id=m["id"],
            url=url[m["id"]],
            iso_local=m["iso"],
            iso_utc=m["utc"],
            category=srng.choice(WP_CATEGORIES),
            byline=byline,
            related=related,
            prev=Link(url[older["id"]], older["title"], "") if older else None,
            nxt=Link(url[newer["id"]], newer["title"], "") if newer else None,
        )
        f.write(m["path"], F.wordpress_article(story, post))
        f.add(
            story, m["path"], f"{WORDPRESS}:news", str(m["id"]), "account" if account else "staff"
        )
        m["summary"] = story.summary
    items = [
        ListItem(url[m["id"]], m["title"], m["t"].strftime("%Y-%m-%d"), summary=m["summary"])
        for m in metas
    ]
    posts = {url[m["id"]]: (m["id"], m["iso"]) for m in metas}
    column = Column(f"{WORDPRESS}:news", WORDPRESS, f.host, "news", "News", f.per_page, items)
    f.listing(
        column,
        lambda p, total: F.wordpress_list_path(p),
        lambda its, p, total: F.wordpress_listing(its, p, total, posts),
    )
    home = HomeColumn("News", f.origin + F.wordpress_list_path(1), items)
    f.home("/", F.wordpress_home(items), F.WORDPRESS_SITE, [home])
    f.robots()
    return FamilyInfo(
        family=WORDPRESS,
        layout=WORDPRESS,
        cms="wordpress",
        host=f.host,
        origin=f.origin,
        site_name=F.WORDPRESS_SITE,
        title_suffix=F.WORDPRESS_SUFFIX,
        timezone="America/New_York",
        language="en",
        home_url=f.origin + "/",
        list_urls=[f.origin + F.wordpress_list_path(1)],
        columns=[f"{WORDPRESS}:news"],
        article_pattern=r"^/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/$",
        next_selector="a.next.page-numbers",
        item_selector="article.post h2.entry-title a",
    )


# ---------------------------------------------------------------- Drupal 10


def build_drupal(g: _Gen) -> FamilyInfo:
    f = _Family(g, DRUPAL)
    rng = f.rng
    n = f.spec.family_articles
    times = sorted(_spread(rng, n, datetime(2024, 2, 5), datetime(2024, 4, 26), (8, 18)))
    slugs: set[str] = set()
    metas: list[dict[str, Any]] = []
    nid = 4100 + rng.randrange(300)
    for t in times:
        nid += rng.randint(2, 30)
        title = f.unique(lambda: _en(EnWriter(rng).title(), "Lakeshore"))
        slug = _slugify(title, slugs)
        off = us_utc_offset(t, -6)
        metas.append(
            {
                "t": t,
                "id": nid,
                "title": title,
                "slug": slug,
                "path": f"/news/{slug}",
                "off": off,
                "iso": t.strftime("%Y-%m-%dT%H:%M:%S") + _offset_text(off),
                "utc": (t - timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + "Z",
            }
        )
    metas.reverse()
    account_at = min(3, len(metas) - 1)  # one story is filed under the site account
    for j, m in enumerate(metas):
        srng = random.Random(f"{f.spec.seed}:{DRUPAL}:{m['id']}")
        w = EnWriter(srng)
        person = w.name()
        paras = [_en(p, "Lakeshore") for p in w.paragraphs(srng.randint(10, 26))]
        body: list[Block] = []
        credit = None
        for i, ptext in enumerate(paras):
            if i == 4 and srng.random() < 0.4:
                body.append(Para(srng.choice(EN_HEADINGS), "heading"))
            body.append(Para(ptext))
            if i == 0 and srng.random() < 0.65:
                photographer = w.name()
                credit = f"Photo: {photographer}"
                src = (
                    f"/sites/default/files/inline-images/{m['slug'][:28].rstrip('-')}-{m['id']}.jpg"
                )
                body.append(Photo(src, _en(w.caption(), "Lakeshore"), [photographer]))
        is_account = j == account_at
        byline = F.Byline(F.DRUPAL_ACCOUNT if is_account else person)
        story = Story(
            str(m["id"]),
            m["title"],
            m["t"],
            body,
            site_source=F.DRUPAL_SITE,
            authors_extra=[] if is_account else [person],
            utc_offset=_offset_text(m["off"]),
        )
        story.summary = paras[0][:200]
        related = [
            Link(x["path"], x["title"], x["t"].strftime("%Y-%m-%d"))
            for x in [x for x in metas if x is not m][j % 3 : j % 3 + 3]
        ]
        node = F.DrupalNode(
            nid=m["id"],
            slug=m["slug"],
            iso_local=m["iso"],
            iso_utc_z=m["utc"],
            byline=byline,
            photo_credit=credit,
            related=related,
        )
        f.write(m["path"], F.drupal_article(story, node))
        e = f.add(story, m["path"], f"{DRUPAL}:news", str(m["id"]), "account" if is_account else "")
        for im in e.record.images:
            im["credit"] = credit
        m["summary"] = story.summary
    items = [
        ListItem(
            f.origin + m["path"], m["title"], m["t"].strftime("%Y-%m-%d"), summary=m["summary"]
        )
        for m in metas
    ]
    utc = {f.origin + m["path"]: m["utc"] for m in metas}
    dom = hashlib.md5(f"{f.spec.seed}:{DRUPAL}".encode(), usedforsecurity=False).hexdigest()
    column = Column(f"{DRUPAL}:news", DRUPAL, f.host, "news", "News", f.per_page, items)
    pages = f.listing(
        column,
        lambda p, total: F.drupal_list_path(p),
        lambda its, p, total: F.drupal_listing(its, p, total, utc, dom),
    )
    if len(pages) > 1:
        f.write("/news?page=0", pages[0])  # what page 2's "previous" links to
    home = HomeColumn("News", f.origin + F.drupal_list_path(1), items)
    f.home("/", F.drupal_home(items), F.DRUPAL_SITE, [home])
    f.robots()
    return FamilyInfo(
        family=DRUPAL,
        layout=DRUPAL,
        cms="drupal",
        host=f.host,
        origin=f.origin,
        site_name=F.DRUPAL_SITE,
        title_suffix=F.DRUPAL_SUFFIX,
        timezone="America/Chicago",
        language="en",
        home_url=f.origin + "/",
        list_urls=[f.origin + F.drupal_list_path(1)],
        columns=[f"{DRUPAL}:news"],
        article_pattern=r"^/news/[a-z0-9-]+$",
        next_selector="li.pager__item--next a",
        item_selector="div.views-row h3 a",
    )


BUILDERS: dict[str, Callable[[_Gen], FamilyInfo]] = {
    VSB2: build_vsb2,
    WEBPLUS: build_webplus,
    WORDPRESS: build_wordpress,
    DRUPAL: build_drupal,
}


def build_families(g: _Gen) -> None:
    """Build every family `g.spec.families` names (called by build_site)."""
    for family in g.spec.families:
        if family not in BUILDERS:
            raise ValueError(f"unknown family {family!r}; known: {', '.join(FAMILIES)}")
        host = FAMILY_HOSTS[family]
        g.m.hosts[host] = ORIGINS[host]
        g.m.families[family] = BUILDERS[family](g)


def build_family(root: Path, family: str, **spec: Any) -> Manifest:
    """Build one family's site alone under root/<host>/ (SiteSpec fields may be passed, e.g. seed)."""
    from .builder import build_site

    return build_site(root, SiteSpec(**{"hosts": (), **spec, "families": (family,)}))


def family_hosts(families: Sequence[str]) -> list[str]:
    return [FAMILY_HOSTS[f] for f in families]


__all__ = [
    "BUILDERS",
    "PER_PAGE",
    "build_drupal",
    "build_families",
    "build_family",
    "build_vsb2",
    "build_webplus",
    "build_wordpress",
    "family_hosts",
    "us_utc_offset",
]
