"""Tests of the CMS-family sites in tests/sitegen (vsb2, webplus, wordpress, drupal).

They test the generator (pages, listings, manifest, expected records), not the crawler."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest

from tests.sitegen import (
    DRUPAL,
    EN_HOST,
    FAMILIES,
    FAMILY_HOSTS,
    GBK_HOST,
    NEWS_HOST,
    VSB2,
    WEBPLUS,
    WORDPRESS,
    WWW_HOST,
    ArticleEntry,
    LocalSite,
    Manifest,
    SiteSpec,
    build_family,
    build_site,
    close_all,
    serve_all,
    us_utc_offset,
)

WS = re.compile(r"[\s\u3000\xa0]+")
DEFAULT_ARTICLES = 71  # what build_site() wrote before the families existed


@pytest.fixture(scope="module")
def fam(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    return build_site(tmp_path_factory.mktemp("families"), SiteSpec(hosts=(), families=FAMILIES))


@pytest.fixture(scope="module")
def servers(fam: Manifest) -> Iterator[dict[str, LocalSite]]:
    sites = serve_all(fam.root, [FAMILY_HOSTS[f] for f in FAMILIES])
    try:
        yield sites
    finally:
        close_all(sites)


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def norm(s: str) -> str:
    return WS.sub(" ", s).strip()


def doc_of(data: bytes) -> lxml.html.HtmlElement:
    doc = lxml.html.fromstring(data.decode("utf-8"))
    for s in doc.xpath("//script"):  # counters and link checks are not page text
        s.drop_tree()
    return doc


def page(m: Manifest, e: ArticleEntry) -> tuple[bytes, lxml.html.HtmlElement]:
    data = m.file_for(e.url).read_bytes()
    return data, doc_of(data)


def text(el: lxml.html.HtmlElement) -> str:
    return norm(el.text_content())


def one(doc: lxml.html.HtmlElement, xp: str) -> lxml.html.HtmlElement:
    found = doc.xpath(xp)
    assert len(found) == 1, (xp, len(found))
    return found[0]


def path_q(url: str) -> str:
    p = urlsplit(url)
    return p.path + (f"?{p.query}" if p.query else "")


def style(el: lxml.html.HtmlElement) -> str:
    return (el.get("style") or "").replace(" ", "").lower()


def body_lines(e: ArticleEntry, doc: lxml.html.HtmlElement) -> list[str]:
    """An independent reading of the body by the manifest's `text` convention (captions, credits,
    in-body bylines, share bars and related links left out; in-body headings kept)."""
    if e.layout in (VSB2, WEBPLUS):
        box = "v_news_content" if e.layout == VSB2 else "wp_articlecontent"
        ps = one(doc, f'//div[@class="{box}"]').xpath(".//p")
        return [text(p) for p in ps if "text-align:center" not in style(p) and text(p)]
    if e.layout == WORDPRESS:
        box = one(doc, '//div[@class="entry-content"]')
        out = []
        for el in box:
            byline = el.xpath('./a[starts-with(@href, "/profiles/")]')
            if (el.tag == "p" and not byline) or el.tag == "h2":
                out.append(text(el))
        return out
    box = one(doc, '//div[contains(@class, "field--name-body")]')
    return [text(el) for el in box if el.tag in ("p", "h2")]


# ---------------------------------------------------------------- the default build


def test_default_build_unchanged(tmp_path: Path) -> None:
    assert SiteSpec().families == ()
    plain = build_site(tmp_path / "plain")
    assert len(plain.articles) == DEFAULT_ARTICLES
    assert plain.families == {}
    assert set(plain.hosts) == {NEWS_HOST, WWW_HOST, EN_HOST, GBK_HOST}
    assert sorted(p.name for p in (tmp_path / "plain").iterdir()) == sorted(plain.hosts)
    # asking for a family adds its site and leaves the rest as it was
    more = build_site(tmp_path / "more", SiteSpec(families=(DRUPAL,)))
    assert [a.record for a in more.articles[:DEFAULT_ARTICLES]] == [
        a.record for a in plain.articles
    ]
    assert len(more.by_layout(DRUPAL)) == 12 and set(more.families) == {DRUPAL}
    with pytest.raises(ValueError, match="unknown family"):
        build_site(tmp_path / "bad", SiteSpec(hosts=(), families=("joomla",)))


# ---------------------------------------------------------------- manifest


def test_family_info(fam: Manifest) -> None:
    assert set(fam.families) == set(FAMILIES)
    assert set(fam.hosts) == set(FAMILY_HOSTS.values())
    for f in FAMILIES:
        info = fam.families[f]
        host = FAMILY_HOSTS[f]
        assert (info.family, info.layout, info.host) == (f, f, host)
        assert fam.hosts[host] == info.origin and info.home_url.startswith(info.origin + "/")
        assert info.list_urls == [fam.listing_urls[c][0] for c in info.columns]
        arts = fam.by_layout(f)
        assert len(arts) == 12 and {a.host for a in arts} == {host}
        assert {a.column for a in arts} == set(info.columns)
        rx = re.compile(info.article_pattern)
        assert all(rx.search(a.path) for a in arts)
        pages = [u for c in info.columns for u in fam.listing_urls[c]]
        assert min(len(fam.listing_urls[c]) for c in info.columns) >= 2
        assert max(len(fam.listing_urls[c]) for c in info.columns) <= 3
        for u in [*pages, info.home_url, info.origin + "/robots.txt"]:
            assert not rx.search(urlsplit(u).path), u
        assert (fam.root / host / "robots.txt").read_text() == fam.robots[host]
        assert fam.robots[host].startswith("User-agent: *\nDisallow: /")
        sf = info.site_file(base_url="http://127.0.0.1:8080")
        assert sf["base_url"] == "http://127.0.0.1:8080/" and sf["layout"] == info.cms
        assert [sf["base_url"] + p for p in sf["listings"]] == [
            "http://127.0.0.1:8080" + path_q(u) for u in info.list_urls
        ]
    assert fam.families[VSB2].cms == "vsb"
    assert {a.variant for a in fam.by_layout(VSB2)} == {"lab", "content", "table"}


def test_manifest_round_trip_and_standalone_build(fam: Manifest, tmp_path: Path) -> None:
    fam.dump(tmp_path / "m.json")
    loaded = Manifest.load(tmp_path / "m.json")
    assert loaded.families == fam.families and loaded.spec.families == FAMILIES
    assert loaded.articles == fam.articles
    for f in FAMILIES:  # a family alone is the same site as in a combined build
        alone = build_family(tmp_path / f, f)
        assert set(alone.families) == {f} and set(alone.hosts) == {FAMILY_HOSTS[f]}
        assert alone.articles == fam.by_layout(f)
        for a in alone.articles:
            assert alone.file_for(a.url).read_bytes() == fam.file_for(a.url).read_bytes()
    other = build_family(tmp_path / "seed7", WEBPLUS, seed=7)
    assert [a.record.title for a in other.articles] != [
        a.record.title for a in fam.by_layout(WEBPLUS)
    ]


# ---------------------------------------------------------------- serving and pagination


def test_everything_listed_is_served(fam: Manifest, servers: dict[str, LocalSite]) -> None:
    for f in FAMILIES:
        info = fam.families[f]
        site = servers[info.host]
        urls = [info.home_url, info.origin + "/robots.txt"]
        urls += [u for c in info.columns for u in fam.listing_urls[c]]
        urls += [u for c in info.columns for u in fam.column_articles(c)]
        for u in urls:
            status, body = fetch(site.url_for(u))
            assert status == 200, u
            assert body == fam.file_for(u).read_bytes(), u
        for a in fam.by_layout(f):
            for im in a.record.images:
                status, body = fetch(site.url_for(im["url"] or ""))
                assert status == 200 and body[:2] == b"\xff\xd8", im["url"]
    # the pagers' aliases of page 1
    assert fetch(servers[FAMILY_HOSTS[WEBPLUS]].url + "/xxyw/list1.htm")[0] == 200
    assert fetch(servers[FAMILY_HOSTS[DRUPAL]].url + "/news?page=0")[0] == 200


def _walk(site: LocalSite, start: str, next_css: str, item_css: str) -> tuple[list[str], list[str]]:
    """Follow a listing's next links from its first page: (pages visited, article links found),
    both as path?query."""
    pages: list[str] = []
    links: list[str] = []
    url: str | None = path_q(start)
    while url and url not in pages:
        pages.append(url)
        status, data = fetch(site.url + url)
        assert status == 200, url
        doc = lxml.html.fromstring(data.decode("utf-8"))
        here = "http://listing.invalid" + url
        links += [path_q(urljoin(here, a.get("href"))) for a in doc.cssselect(item_css)]
        hrefs = [a.get("href") or "" for a in doc.cssselect(next_css)]
        hrefs = [h for h in hrefs if h and not h.startswith("javascript:")]
        url = path_q(urljoin(here, hrefs[0])) if hrefs else None
    return pages, links


def test_pagination_reaches_every_article(fam: Manifest, servers: dict[str, LocalSite]) -> None:
    for f in FAMILIES:
        info = fam.families[f]
        site = servers[info.host]
        status, home = fetch(site.url_for(info.home_url))
        assert status == 200
        hdoc = lxml.html.fromstring(home.decode("utf-8"))
        here = "http://home.invalid" + path_q(info.home_url)
        on_home = {path_q(urljoin(here, h)) for h in hdoc.xpath("//a/@href")}
        rx = re.compile(info.article_pattern)
        for col, start in zip(info.columns, info.list_urls, strict=True):
            assert path_q(start) in on_home, (f, start)
            pages, links = _walk(site, start, info.next_selector, info.item_selector)
            assert pages == [path_q(u) for u in fam.listing_urls[col]], f
            assert all(rx.search(urlsplit(x).path) for x in links), f
            want = [path_q(u) for u in fam.column_articles(col)]
            assert links == want, f  # every article once, newest first


def test_vsb2_pagers(fam: Manifest) -> None:
    first = doc_of(fam.file_for(fam.listing_urls[f"{VSB2}:xyxw"][0]).read_bytes())
    assert first.xpath('//a[@class="Next" and normalize-space()="下页"]/@href') == ["xyxw/2.htm"]
    assert first.xpath('//a[@class="Next" and normalize-space()="尾页"]/@href') == ["xyxw/1.htm"]
    li = first.xpath('//div[@class="list"]//li')[0]
    a, span = li.xpath("./a")[0], li.xpath("./span")[0]
    assert a.get("href").startswith("../info/1012/") and a.get("title")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", span.text)
    last = doc_of(fam.file_for(fam.listing_urls[f"{VSB2}:xyxw"][-1]).read_bytes())
    assert not last.xpath('//a[@class="Next"]') and last.xpath('//span[@class="NextDisabled"]')
    tz = doc_of(fam.file_for(fam.listing_urls[f"{VSB2}:tzgg"][0]).read_bytes())
    assert tz.xpath('//span[contains(@class,"p_next")]/a/@href') == ["tzgg/1.htm"]
    wp_last = doc_of(fam.file_for(fam.listing_urls[f"{WEBPLUS}:xxyw"][-1]).read_bytes())
    assert wp_last.cssselect("div.wp_paging a.next")[0].get("href") == "javascript:void(0);"


# ---------------------------------------------------------------- article pages


def test_titles_carry_the_site_suffix(fam: Manifest) -> None:
    for f in FAMILIES:
        info = fam.families[f]
        for e in fam.by_layout(f):
            _, doc = page(fam, e)
            assert doc.findtext(".//title") == e.record.title + info.title_suffix
            assert not e.record.title.endswith(info.title_suffix.strip(" -|"))
            assert e.record.title == e.record.title.strip() and e.record.title


def test_vsb2_pages(fam: Manifest) -> None:
    seen = {"lab": 0, "content_filled": 0, "content_empty": 0, "table_filled": 0, "table_empty": 0}
    for e in fam.by_layout(VSB2):
        data, doc = page(fam, e)
        r = e.record
        assert b"NewsvoteDWR.getNewsLinkUrl(" in data and b"window.location.href = data" in data
        assert b'src="/system/resource/js/' in data and b"Visual SiteBuilder 9" in data
        assert len(data) > 5000  # a real page, not a redirect stub
        assert r.published_at.endswith("+08:00")
        if e.variant == "lab":
            form = one(doc, '//form[@name="_newscontent_fromname"]')
            assert text(one(form, "./h3")) == r.title
            assert text(one(form, "./h4")) == f"佚名 {r.published_at[:10]} {r.published_at[11:19]}"
            one(form, './/div[@id="vsb_content"]/div[@class="v_news_content"]')
            assert r.authors == [] and r.source == fam.families[VSB2].site_name
            seen["lab"] += 1
        elif e.variant == "content":
            box = one(doc, '//div[@class="content"]')
            assert text(one(box, './div[@class="t"]')) == r.title
            meta = text(one(box, './div[@class="tit_info"]'))
            m = re.fullmatch(
                r"发布时间：(\d{4})年(\d\d)月(\d\d)日 (\d\d):(\d\d) 作者：(\S*) ?来源：(\S*) ?点击率：次",
                meta,
            )
            assert m, meta
            y, mo, d, hh, mi, author, source = m.groups()
            assert r.published_at == f"{y}-{mo}-{d}T{hh}:{mi}:00+08:00"
            assert r.authors == ([author] if author else [])
            assert r.source == (source or fam.families[VSB2].site_name)
            one(box, './form[@name="_newscontent_fromname"]/div[@id="vsb_content"]')
            seen["content_filled" if author else "content_empty"] += 1
        else:
            assert e.variant == "table"
            assert text(one(doc, '//span[@class="STYLE8"]')) == r.title
            cell = one(doc, '//td[contains(., "发布时间:")][not(.//td)]')
            m = re.fullmatch(
                r"来源: ?(\S*) \| 发布时间: (\d{4}-\d\d-\d\d) \| 浏览次数:", text(cell)
            )
            assert m, text(cell)
            assert r.published_at == f"{m.group(2)}T00:00:00+08:00"
            assert r.source == (m.group(1) or fam.families[VSB2].site_name) and r.authors == []
            one(doc, '//form[@name="_newscontent_fromname"]//div[@id="vsb_content_2"]')
            seen["table_filled" if m.group(1) else "table_empty"] += 1
    assert all(seen.values()), seen


def test_webplus_pages(fam: Manifest) -> None:
    sourced = 0
    for e in fam.by_layout(WEBPLUS):
        data, doc = page(fam, e)
        r = e.record
        assert b"sudy-wp-siteId" in data and b"/_upload/" in data
        assert text(one(doc, '//h1[@class="arti_title"]')) == r.title
        metas = one(doc, '//p[@class="arti_metas"]')
        assert (
            text(one(metas, './span[@class="arti_update"]')) == f"发布时间：{r.published_at[:10]}"
        )
        one(metas, './span[@class="arti_views"]/span[@class="WP_VisitCount"]')
        src = metas.xpath('./span[@class="arti_source"]')
        if src:
            sourced += 1
            assert text(src[0]) == f"来源：{r.source}"
        else:
            assert r.source == fam.families[WEBPLUS].site_name
        assert r.published_at.endswith("T00:00:00+08:00") and r.authors == []
        one(doc, '//div[@class="entry"]/div[@class="read"]/div[@class="wp_articlecontent"]')
    assert 0 < sourced < 12


def test_wordpress_pages(fam: Manifest) -> None:
    account = fam.families[WORDPRESS].site_name
    variants = set()
    for e in fam.by_layout(WORDPRESS):
        data, doc = page(fam, e)
        r = e.record
        assert doc.xpath('//meta[@name="generator"]/@content') == ["WordPress 6.4"]
        assert b"/wp-content/themes/" in data
        h1 = one(doc, '//h1[@class="entry-title"]')
        if r.subtitle:
            assert text(one(h1, './span[@class="entry-title-primary"]')) == r.title
            assert text(one(h1, './span[@class="entry-subtitle"]')) == r.subtitle
        else:
            assert text(h1) == r.title
        when = one(doc, '//time[contains(@class,"entry-date")]').get("datetime")
        assert when == r.published_at
        offset = us_utc_offset(datetime.fromisoformat(when).replace(tzinfo=None), -5)
        assert when.endswith(f"{offset:+03d}:00")
        meta = doc.xpath('//meta[@property="article:published_time"]/@content')[0]
        assert meta.endswith("+00:00")
        assert datetime.fromisoformat(meta) == datetime.fromisoformat(when)
        raw = data.decode()
        graph = json.loads(re.search(r'yoast-schema-graph">(.*?)</script>', raw).group(1))["@graph"]  # type: ignore[union-attr]
        ld = next(n for n in graph if n["@type"] == "Article")
        assert r.authors and account not in r.authors and r.source == account
        box = one(doc, '//div[@class="entry-content"]')
        if e.variant == "account":
            assert ld["author"]["name"] == account
            a = one(box, './p/a[starts-with(@href, "/profiles/")]')
            assert [text(a)] == r.authors and "University" in text(one(a.getparent(), "./em"))
        else:
            assert e.variant == "staff" and ld["author"]["name"] == r.authors[0]
            assert not box.xpath('./p/a[starts-with(@href, "/profiles/")]')
        variants.add(e.variant)
        kids = [el for el in box if isinstance(el.tag, str)]
        share = next(i for i, el in enumerate(kids) if "sharedaddy" in (el.get("class") or ""))
        rel = next(i for i, el in enumerate(kids) if el.get("id") == "jp-relatedposts")
        last_p = max(i for i, el in enumerate(kids) if el.tag == "p")
        assert last_p < share < rel
        assert "Related posts" in text(kids[rel])
        for href in kids[rel].xpath(".//a/@href"):
            assert fam.article(href).layout == WORDPRESS
    assert variants == {"account", "staff"}


def test_drupal_pages(fam: Manifest) -> None:
    accounts = 0
    for e in fam.by_layout(DRUPAL):
        data, doc = page(fam, e)
        r = e.record
        assert doc.xpath('//meta[@name="Generator"]/@content') == [
            "Drupal 10 (https://www.drupal.org)"
        ]
        assert b'href="/sites/default/files/' in data and b'href="/core/' in data
        assert text(one(doc, '//h1[@class="page-title"]/span')) == r.title
        t = one(doc, '//div[contains(@class,"field--name-field-date")]//time').get("datetime")
        assert t.endswith("Z")
        local = datetime.fromisoformat(r.published_at)
        assert datetime.fromisoformat(t.replace("Z", "+00:00")) == local
        offset = us_utc_offset(local.replace(tzinfo=None), -6)
        assert r.published_at.endswith(f"{offset:+03d}:00")
        raw = data.decode()
        ld = json.loads(re.search(r'application/ld\+json">(.*?)</script>', raw).group(1))  # type: ignore[union-attr]
        node = ld["@graph"][0]
        assert node["@type"] == "NewsArticle" and node["datePublished"] == r.published_at
        by = text(one(doc, '//div[contains(@class,"field--name-field-author")]'))
        assert by.startswith("By ")
        if e.variant == "account":
            accounts += 1
            assert by == "By drupalnews" and r.authors == []
        else:
            assert r.authors == [by[3:]]
        assert r.source == fam.families[DRUPAL].site_name
        figs = doc.xpath('//div[contains(@class,"field--name-body")]/figure')
        assert len(figs) == len(r.images)
        for fig, im in zip(figs, r.images, strict=True):
            cap = text(one(fig, "./figcaption"))
            assert cap == norm(f"{im['caption']} {im['credit'] or ''}")
    assert accounts == 1


def test_records_follow_the_conventions(fam: Manifest) -> None:
    for f in FAMILIES:
        info = fam.families[f]
        for e in fam.by_layout(f):
            _, doc = page(fam, e)
            r = e.record
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:00", r.published_at)
            lines = r.text.split("\n")
            assert len(lines) >= 2 and all(lines)
            assert body_lines(e, doc) == lines, e.url
            for im in r.images:
                assert im["url"] and im["url"].startswith(info.origin + "/")
                assert im["caption"] and im["caption"] not in lines
                srcs = [urljoin(e.url, s) for s in doc.xpath("//img/@src")]
                assert im["url"] in srcs
            if r.photographers:
                assert all(
                    any(p in (im["credit"] or "") for im in r.images) for p in r.photographers
                )
            assert r.editors == [] and r.reviewers == [] and r.contributors == []
            assert info.site_name not in r.authors
            if f == WORDPRESS:
                assert r.authors  # a person on every post, never the site account
            elif f == WEBPLUS:
                assert r.authors == []
