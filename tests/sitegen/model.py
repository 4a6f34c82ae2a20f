"""Data model of the generated sites: stories, expected records, listings, the spec and the manifest."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Layout names used in the manifest.
LEGACY = "legacy"  # Layout A: news.tsinghua.edu.cn/publish/news (<=2015)
THUNEWS = "thunews"  # Layout B: news.tsinghua.edu.cn/publish/thunews (2016-2020)
VSB = "vsb"  # Layout C: www.tsinghua.edu.cn /news/zxdt.htm + /info/<col>/<id>.htm (2021-)
GBK = "gbk"  # an older Chinese university site encoded in GBK
ENGLISH = "english"  # a Drupal-like English university news site
# CMS families other universities run (SiteSpec.families; tests/sitegen/families.py)
VSB2 = "vsb2"  # VSB (博达) as other universities run it: /info/<col>/<id>.htm, three templates
WEBPLUS = "webplus"  # WebPlus (网站群): /<yyyy>/<mmdd>/c<col>a<id>/page.htm
WORDPRESS = "wordpress"  # an English newsroom on WordPress: /<yyyy>/<mm>/<dd>/<slug>/
DRUPAL = "drupal"  # an English newsroom on Drupal 10: /news/<slug>
FAMILIES = (VSB2, WEBPLUS, WORDPRESS, DRUPAL)

NEWS_HOST = "news.tsinghua.edu.cn"
WWW_HOST = "www.tsinghua.edu.cn"
EN_HOST = "news.example.edu"
GBK_HOST = "bynews.example.edu.cn"
VSB2_HOST = "news.vsbuni.example.edu.cn"
WEBPLUS_HOST = "news.wpuni.example.edu.cn"
WORDPRESS_HOST = "news.wpress.example.edu"
DRUPAL_HOST = "news.drupal.example.edu"
FAMILY_HOSTS = {
    VSB2: VSB2_HOST,
    WEBPLUS: WEBPLUS_HOST,
    WORDPRESS: WORDPRESS_HOST,
    DRUPAL: DRUPAL_HOST,
}

ORIGINS = {
    NEWS_HOST: "http://news.tsinghua.edu.cn",
    WWW_HOST: "https://www.tsinghua.edu.cn",
    EN_HOST: "https://news.example.edu",
    GBK_HOST: "http://bynews.example.edu.cn",
    VSB2_HOST: "http://news.vsbuni.example.edu.cn",
    WEBPLUS_HOST: "https://news.wpuni.example.edu.cn",
    WORDPRESS_HOST: "https://news.wpress.example.edu",
    DRUPAL_HOST: "https://news.drupal.example.edu",
}


# ---------------------------------------------------------------- story (what a page shows)


@dataclass
class Para:
    """One body block. `kind`: p (paragraph), heading (centred bold line kept in the text)."""

    text: str
    kind: str = "p"


@dataclass
class Lead:
    """The lead paragraph: dateline + byline + the rest, e.g. 清华新闻网3月4日电（记者 李含）3月3日，…"""

    dateline: str  # 清华新闻网3月4日电
    roles: list[tuple[str, list[str]]]  # [("记者", ["李含"]), ("摄影", ["许德刚"])]
    rest: str

    @property
    def byline(self) -> str:
        return " ".join(f"{role} {' '.join(names)}" for role, names in self.roles)

    @property
    def text(self) -> str:
        by = f"（{self.byline}）" if self.roles else " "
        return f"{self.dateline}{by}{self.rest}"


@dataclass
class Photo:
    """An image in the body with its caption line and credit (photographer names)."""

    src: str  # URL path on the host, or an absolute URL
    caption: str | None
    credit: list[str]  # photographer names; rendered as 'A B 摄'

    @property
    def credit_text(self) -> str | None:
        return f"{' '.join(self.credit)} 摄" if self.credit else None


Block = Para | Lead | Photo


@dataclass
class SourceLine:
    """The layout-A line `来源：<outlet> <Y-M-D> <names>`."""

    outlet: str  # as printed (may carry 《》)
    date_text: str | None  # as printed, e.g. 2015-1-2 or 2-26
    date_iso: str | None  # zero-padded YYYY-MM-DD
    names: list[str]

    @property
    def text(self) -> str:
        parts = [f"来源：{self.outlet}"]
        if self.date_text:
            parts.append(self.date_text)
        parts.extend(self.names)
        return " ".join(parts)


@dataclass
class Story:
    """Everything one article page shows, independent of the layout that renders it."""

    article_id: str
    title: str
    published: datetime  # naive, local time of the site
    body: list[Block]
    subtitle: str | None = None
    kicker: str | None = None
    source_line: SourceLine | None = None
    site_source: str | None = None  # the site's own name when there is no 来源 line
    contributors: list[str] = field(default_factory=list)  # 供稿
    editors: list[str] = field(default_factory=list)  # 编辑
    reviewers: list[str] = field(default_factory=list)  # 审核
    authors_extra: list[str] = field(default_factory=list)  # names outside the lead (e.g. （袁源）)
    keywords: list[str] = field(default_factory=list)
    summary: str = ""
    utc_offset: str = "+08:00"
    date_only: bool = False  # the page shows only a date; published_at is local midnight

    def body_lines(self) -> list[str]:
        return [b.text for b in self.body if isinstance(b, Para | Lead)]

    def lead(self) -> Lead | None:
        for b in self.body:
            if isinstance(b, Lead):
                return b
        return None

    def photos(self) -> list[Photo]:
        return [b for b in self.body if isinstance(b, Photo)]


# ---------------------------------------------------------------- expected record


@dataclass
class ExpectedRecord:
    """What an extractor must produce for one article page (see tests/sitegen/README in __init__)."""

    title: str
    subtitle: str | None
    published_at: str  # ISO 8601 with the site's UTC offset
    source: str | None
    source_date: str | None
    authors: list[str]
    photographers: list[str]
    editors: list[str]
    reviewers: list[str]
    contributors: list[str]
    text: str
    images: list[dict[str, str | None]]  # {"url": absolute, "caption": ..., "credit": ...}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _dedupe(names: list[str]) -> list[str]:
    out: list[str] = []
    for n in names:
        if n not in out:
            out.append(n)
    return out


def record_for(story: Story, origin: str) -> ExpectedRecord:
    """The expected record of a story served on `origin` (scheme://host)."""
    lead = story.lead()
    authors: list[str] = []
    photographers: list[str] = []
    contributors: list[str] = list(story.contributors)
    if story.source_line:
        authors.extend(story.source_line.names)
    if lead:
        for role, names in lead.roles:
            # Issue #3: 通讯员 (correspondents) are contributors, like 供稿 units.
            bucket = photographers if role in ("摄影", "摄") else authors
            (contributors if role == "通讯员" else bucket).extend(names)
    authors.extend(story.authors_extra)
    images: list[dict[str, str | None]] = []
    for p in story.photos():
        photographers.extend(p.credit)
        url = p.src if "://" in p.src else origin + p.src
        images.append({"url": url, "caption": p.caption, "credit": p.credit_text})
    if story.date_only:
        published = story.published.strftime("%Y-%m-%dT00:00:00") + story.utc_offset
    else:
        published = story.published.strftime("%Y-%m-%dT%H:%M:%S") + story.utc_offset
    if story.source_line:
        source: str | None = story.source_line.outlet.strip("《》")
        source_date = story.source_line.date_iso
    else:
        source, source_date = story.site_source, None
    return ExpectedRecord(
        title=story.title,
        subtitle=story.kicker or story.subtitle,
        published_at=published,
        source=source,
        source_date=source_date,
        authors=_dedupe(authors),
        photographers=_dedupe(photographers),
        editors=list(story.editors),
        reviewers=list(story.reviewers),
        contributors=_dedupe(contributors),
        text="\n".join(story.body_lines()),
        images=images,
    )


# ---------------------------------------------------------------- manifest


@dataclass
class ArticleEntry:
    """One article page the site serves (status 200, real content)."""

    url: str  # origin URL, e.g. http://news.tsinghua.edu.cn/publish/news/4205/2015/<id>/<id>_.html
    host: str
    path: str  # URL path on the host
    layout: str
    column: str  # column key, e.g. legacy:4205
    article_id: str
    encoding: str
    record: ExpectedRecord
    variant: str = ""  # the template variant a family page uses (e.g. vsb2: lab, content, table)


@dataclass
class ListItem:
    """One link on a listing page. kind: article | not_found | stub | external | topic."""

    url: str
    title: str  # as the listing shows it (may be shortened)
    date: str  # YYYY-MM-DD
    kind: str = "article"
    summary: str = ""


@dataclass
class Column:
    """One paginated listing and the links it shows, newest first."""

    key: str  # e.g. legacy:4205
    layout: str
    host: str
    col: str  # 4205, 9648, zxdt, news, xwzh
    name: str  # 综合新闻 ...
    per_page: int
    items: list[ListItem] = field(default_factory=list)
    added: int = 0  # how many add_articles() calls touched this column

    def pages(self) -> list[list[ListItem]]:
        n = max(1, -(-len(self.items) // self.per_page))
        return [self.items[i * self.per_page : (i + 1) * self.per_page] for i in range(n)]


@dataclass
class SiteSpec:
    """What `build_site` generates; every default matches the scenario in the package docstring."""

    seed: int = 2015
    hosts: tuple[str, ...] = (NEWS_HOST, WWW_HOST, EN_HOST, GBK_HOST)
    # legacy columns: id -> number of distinct articles listed (the cross-posted one counts in both)
    legacy_columns: dict[str, int] = field(default_factory=lambda: {"4205": 17, "4204": 9})
    legacy_start: str = "2015-01-05"
    legacy_end: str = "2015-04-28"
    items_per_page: int = 8
    thunews_articles: int = 12  # column 9648, including the seed article
    vsb_articles: int = 20
    english_articles: int = 10
    gbk_articles: int = 3
    traps: bool = (
        True  # 404 link, withdrawn stub, repeated link, cross-posted duplicate, topic links
    )
    new_articles: int = 3  # default n for add_articles()
    robots_disallow: dict[str, list[str]] = field(default_factory=dict)  # host -> paths
    size_kb: int | None = None  # mean article page size; None: natural sizes (about 20-60 KB)
    write_images: bool = True  # write small placeholder JPEGs for the images pages reference
    workers: int = 0  # processes for big builds (>= 400 pages); 0 = one per CPU, 1 = no fork
    # CMS-family sites to add (vsb2, webplus, wordpress, drupal): each adds its own host, columns,
    # articles and a Manifest.families entry; none by default, so the default build is unchanged.
    families: tuple[str, ...] = ()
    family_articles: int = 12  # articles per family site
    family_per_page: int = 0  # listing items per page; 0 = the family's own (3 for vsb2, else 5)
    # how family home pages link their columns: default | more | submenu | index (sitegen/homes.py)
    family_home: str = "default"


@dataclass
class FamilyInfo:
    """One generated CMS-family site: what a site file or a discovery run from the home page needs."""

    family: str  # vsb2, webplus, wordpress, drupal
    layout: str  # the layout name of its articles in the manifest (= family)
    cms: str  # the CMS family as the crawler names it: vsb, webplus, wordpress, drupal
    host: str
    origin: str  # scheme://host
    site_name: str  # the site's own name: the record's `source` when a page names no 来源
    title_suffix: str  # what <title> appends to the headline ("-研究生院", " - Tiny State News")
    timezone: str  # IANA zone of the site's local times
    language: str  # zh or en
    home_url: str
    list_urls: list[str]  # the first listing page of each column, in column order
    columns: list[str]  # column keys (Manifest.columns, Manifest.listing_urls)
    article_pattern: str  # regex on the URL path, as a site file's article_url writes it
    next_selector: str  # CSS selector of the next-page link on a listing page
    item_selector: str  # CSS selector of the article links on a listing page

    def site_file(self, name: str | None = None, base_url: str | None = None) -> dict[str, Any]:
        """A site-file mapping (crawler/sites/*.yaml keys) for this site; base_url defaults to
        the origin (pass a local server's URL to crawl it)."""
        base = (base_url or self.origin).rstrip("/") + "/"
        return {
            "name": name or f"sitegen-{self.family}",
            "title": self.site_name,
            "base_url": base,
            "language": self.language,
            "timezone": self.timezone,
            "listings": [u.split("://", 1)[1].split("/", 1)[1] for u in self.list_urls],
            "article_url": self.article_pattern,
            "pagination": {"next": self.next_selector},
            "layout": self.cms,
            "source": self.site_name,
        }


@dataclass
class Manifest:
    """Everything `build_site` wrote and what a correct crawl + extraction must find."""

    root: Path
    spec: SiteSpec
    hosts: dict[str, str]  # host -> origin (scheme://host)
    articles: list[ArticleEntry] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)  # listed, but the server answers 404
    stubs: list[str] = field(default_factory=list)  # withdrawn: 200 + JS redirect only
    external: list[str] = field(default_factory=list)  # listed links that are not articles
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # same content, two URLs
    repeated: list[str] = field(default_factory=list)  # listed twice on the same listing page
    listing_urls: dict[str, list[str]] = field(default_factory=dict)  # column -> pages, in order
    listing_items: dict[str, list[str]] = field(default_factory=dict)  # page URL -> linked URLs
    columns: dict[str, Column] = field(default_factory=dict)
    robots: dict[str, str] = field(default_factory=dict)  # host -> robots.txt text
    families: dict[str, FamilyInfo] = field(default_factory=dict)  # family -> its site

    # -- lookups

    def article(self, url: str) -> ArticleEntry:
        for a in self.articles:
            if a.url == url:
                return a
        raise KeyError(url)

    def urls(self, host: str | None = None, layout: str | None = None) -> list[str]:
        return [
            a.url
            for a in self.articles
            if (host is None or a.host == host) and (layout is None or a.layout == layout)
        ]

    def by_layout(self, layout: str) -> list[ArticleEntry]:
        return [a for a in self.articles if a.layout == layout]

    def column_articles(self, key: str) -> list[str]:
        """URLs of the real articles a column lists (in listing order, without repeats)."""
        known = {a.url for a in self.articles}
        out: list[str] = []
        for it in self.columns[key].items:
            if it.url in known and it.url not in out:
                out.append(it.url)
        return out

    def docroot(self, host: str) -> Path:
        """The directory to serve for one host."""
        return self.root / host

    def file_for(self, url: str) -> Path:
        """Where the page for an origin URL lives on disk (it may not exist: see not_found)."""
        from .paths import file_for_path

        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return file_for_path(self.root / parts.hostname, path)  # type: ignore[operator]

    def local_url(self, url: str, base_url: str) -> str:
        """Rewrite an origin URL onto a local server's base URL (http://127.0.0.1:PORT)."""
        parts = urlsplit(url)
        tail = parts.path + (f"?{parts.query}" if parts.query else "")
        return base_url.rstrip("/") + tail

    # -- (de)serialisation

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["root"] = str(self.root)
        d["duplicates"] = [list(p) for p in self.duplicates]
        return d

    def dump(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1), "utf-8")

    @classmethod
    def load(cls, path: Path) -> Manifest:
        d = json.loads(path.read_text("utf-8"))
        spec = SiteSpec(
            **{
                **d["spec"],
                "hosts": tuple(d["spec"]["hosts"]),
                "families": tuple(d["spec"].get("families", ())),
            }
        )
        arts = [
            ArticleEntry(**{**a, "record": ExpectedRecord(**a["record"])}) for a in d["articles"]
        ]
        cols = {
            k: Column(**{**c, "items": [ListItem(**i) for i in c["items"]]})
            for k, c in d["columns"].items()
        }
        return cls(
            root=Path(d["root"]),
            spec=spec,
            hosts=d["hosts"],
            articles=arts,
            not_found=d["not_found"],
            stubs=d["stubs"],
            external=d["external"],
            duplicates=[(a, b) for a, b in d["duplicates"]],
            repeated=d["repeated"],
            listing_urls=d["listing_urls"],
            listing_items=d["listing_items"],
            columns=cols,
            robots=d["robots"],
            families={k: FamilyInfo(**f) for k, f in d.get("families", {}).items()},
        )
