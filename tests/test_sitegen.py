"""Tests of the fake-site generator and local server in tests/sitegen."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest

from tests.sitegen import (
    EN_HOST,
    ENGLISH,
    GBK,
    GBK_HOST,
    LEGACY,
    NEWS_HOST,
    SEED_URL,
    THUNEWS,
    VSB,
    WWW_HOST,
    ArticleEntry,
    LocalSite,
    Manifest,
    SiteSpec,
    add_articles,
    build_site,
    seed_article_page,
    serve,
)

WS = re.compile(r"[\s\u3000\xa0]+")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    return build_site(tmp_path_factory.mktemp("sites"))


@pytest.fixture(scope="module")
def news(site: Manifest) -> Iterator[LocalSite]:
    with serve(site.docroot(NEWS_HOST)) as s:
        yield s


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def norm(s: str) -> str:
    return WS.sub(" ", s).strip()


def lines_of(el: lxml.html.HtmlElement) -> list[str]:
    """One line per block; a <br> starts a new line; whitespace collapsed; empty lines dropped."""
    for br in el.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return [n for n in (norm(x) for x in el.text_content().split("\n")) if n]


def style(p: lxml.html.HtmlElement) -> str:
    return (p.get("style") or "").lower().replace(" ", "")


def reference_text(entry: ArticleEntry, page: bytes) -> str:
    """An independent, layout-aware reading of a page's body (the manifest's `text` convention)."""
    doc = lxml.html.fromstring(page.decode(entry.encoding))
    out: list[str] = []
    if entry.layout == LEGACY:
        started = False
        for p in doc.xpath('//div[@id="datalist_detail"]//p'):
            centred, kai = (
                "text-align:center" in style(p),
                bool(p.xpath('.//span[contains(@style,"楷体")]')),
            )
            if not started and (centred or not norm(p.text_content())):
                continue  # headline, subtitle, 来源 line
            started = True
            if kai or "text-align:right" in style(p) or (centred and p.xpath(".//img")):
                continue
            out.extend(lines_of(p))
    elif entry.layout == THUNEWS:
        for p in doc.xpath('//article[@class="article"]//p'):
            if "text-indent:2em" in style(p):
                out.extend(lines_of(p))
    elif entry.layout == VSB:
        for p in doc.xpath('//div[@class="v_news_content"]//p'):
            if "text-indent" in style(p):
                out.extend(lines_of(p))
    elif entry.layout == GBK:
        for td in doc.xpath('//td[@id="zoom"] | //td[@class="content"]'):
            for junk in td.xpath('.//*[@align="right"]'):
                junk.drop_tree()
            out.extend(lines_of(td))
    else:
        for p in doc.xpath('//div[contains(@class,"field--name-body")]//p'):
            out.extend(lines_of(p))
    return "\n".join(out)


# ---------------------------------------------------------------- building


def test_default_site_files(site: Manifest) -> None:
    root = site.root
    for host in (NEWS_HOST, WWW_HOST, EN_HOST, GBK_HOST):
        assert (root / host / "robots.txt").read_text() == "User-agent: *\nDisallow:\n"
    layouts = {a.layout for a in site.articles}
    assert layouts == {LEGACY, THUNEWS, VSB, GBK, ENGLISH}
    for a in site.articles:
        f = site.file_for(a.url)
        assert f.is_file(), a.url
        if a.layout == LEGACY:
            assert 20_000 <= f.stat().st_size <= 62_000, (a.url, f.stat().st_size)
    assert len(site.not_found) == 1 and not site.file_for(site.not_found[0]).exists()
    (stub,) = site.stubs
    data = site.file_for(stub).read_bytes()
    assert len(data) < 500 and b'window.location.href="/publish/news/index.html"' in data
    assert len(site.listing_urls[f"{LEGACY}:4205"]) == 3
    assert len(site.listing_urls[f"{LEGACY}:4204"]) in (1, 2)
    assert len(site.listing_urls[f"{THUNEWS}:9648"]) == 2
    assert len(site.listing_urls[f"{VSB}:zxdt"]) == 3


def test_traps_and_dates(site: Manifest) -> None:
    (a, b) = site.duplicates[0]
    assert "/4204/" in a and "/4205/" in b
    assert site.article(a).record == site.article(b).record
    # a URL listed twice on the same listing page
    (rep,) = site.repeated
    assert any(items.count(rep) == 2 for items in site.listing_items.values())
    # dates descend through the pagination and span several months
    col = site.columns[f"{LEGACY}:4205"]
    seen: set[str] = set()
    dates = [it.date for it in col.items if not (it.url in seen or seen.add(it.url))]  # type: ignore[func-returns-value]
    assert dates == sorted(dates, reverse=True)
    assert dates[-1] < "2015-02-01" and dates[0] > "2015-04-01"
    # the id timestamp is not the page date on some pages
    legacy = site.by_layout(LEGACY)
    differ = [
        e for e in legacy if e.article_id[:14] != re.sub(r"\D", "", e.record.published_at)[:14]
    ]
    assert 0 < len(differ) < len(legacy)


def test_records_match_pages(site: Manifest) -> None:
    for e in site.articles:
        page = site.file_for(e.url).read_bytes()
        assert reference_text(e, page) == e.record.text, e.url
        assert e.record.text and e.record.title
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:00", e.record.published_at)
        for im in e.record.images:
            assert (im["url"] or "").startswith(site.hosts[e.host])


def test_legacy_page_structure(site: Manifest) -> None:
    e = next(
        a for a in site.by_layout(LEGACY) if a.record.source and a.record.source != "清华新闻网"
    )
    doc = lxml.html.fromstring(site.file_for(e.url).read_bytes().decode())
    assert doc.findtext(".//title") == f"{e.record.title} - 清华大学新闻网"
    hidden = doc.xpath('//div[@id="hidden_detail"]')[0]
    assert hidden.get("style") == "display:none;"
    visible = doc.xpath('//div[@id="datalist_detail"]')[0]
    for script in visible.xpath(".//script"):
        script.drop_tree()
    assert norm(hidden.text_content()) == norm(visible.text_content())
    stamp = e.record.published_at[:19].replace("T", " ")
    assert doc.xpath('//div[@id="title_detail_picwriter"]')[0].text == f"[更新：{stamp}]"
    assert doc.xpath('//span[@id="item_total"]')


def test_seed_article(site: Manifest) -> None:
    url, page, rec = seed_article_page()
    assert (
        url == SEED_URL == "http://news.tsinghua.edu.cn/publish/thunews/9648/2016/"
        "20160307091125373933095/20160307091125373933095_.html"
    )
    assert site.article(url).record == rec
    assert rec.published_at == "2016-03-04T21:16:26+08:00"
    assert (rec.source, rec.authors, rec.photographers, rec.editors) == (
        "清华新闻网",
        ["李含"],
        ["杨艳宾"],
        ["清芷"],
    )
    assert rec.subtitle == "落实全面从严治党主体责任 强化抓基层 打基础鲜明导向"
    assert [i["caption"] for i in rec.images] == ["述职评议会现场。", "陈旭作总结讲话。"]
    assert rec.text.startswith("清华新闻网3月4日电（记者 李含）3月3日，")
    assert "编辑" not in rec.text and "摄" not in rec.text.split("\n")[1]
    doc = lxml.html.fromstring(page.decode())
    assert doc.findtext(".//title") == rec.title
    assert (
        doc.xpath('string(//div[@class="articletime"])')
        == "2016年03月04日 21:16:26\u3000\u3000清华新闻网"
    )


# ---------------------------------------------------------------- serving and crawling


def follow(site_: LocalSite, start: str, next_xpath: str) -> tuple[list[str], list[str]]:
    """Follow next-page links from a listing; return (listing URLs, linked URLs) as origin-relative paths."""
    pages, links = [], []
    url: str | None = site_.url_for(start)
    while url:
        status, _, body = fetch(url)
        assert status == 200, url
        pages.append(urlsplit(url).path)
        doc = lxml.html.fromstring(body)
        links += [urljoin(url, h) for h in doc.xpath("//li//a/@href")]
        nxt = doc.xpath(next_xpath)
        url = site_.url_for(urljoin(url, nxt[0])) if nxt else None
    return pages, links


def test_listing_chain_reaches_every_article(site: Manifest, news: LocalSite) -> None:
    for key, xp in (
        (f"{LEGACY}:4205", '//div[@id="pages_sec"]//a[normalize-space()="下一页"]/@href'),
        (f"{LEGACY}:4204", '//div[@id="pages_sec"]//a[normalize-space()="下一页"]/@href'),
        (f"{THUNEWS}:9648", '//a[normalize-space()="下一页"]/@href'),
    ):
        pages, links = follow(news, site.listing_urls[key][0], xp)
        assert pages == [urlsplit(u).path for u in site.listing_urls[key]]
        paths = {urlsplit(u).path for u in links}
        want = {urlsplit(it.url).path for it in site.columns[key].items if "://news." in it.url}
        assert want <= paths, key
        assert {urlsplit(u).path for u in site.column_articles(key)} <= paths
    first = lxml.html.fromstring(site.file_for(site.listing_urls[f"{LEGACY}:4205"][0]).read_bytes())
    pager = first.xpath('//div[@id="pages_sec"]')[0]
    assert not pager.xpath('.//a[normalize-space()="首页" or normalize-space()="上一页"]')
    assert pager.xpath(".//select/@onchange") or b"doGo(" in lxml.html.tostring(pager)
    last = lxml.html.fromstring(site.file_for(site.listing_urls[f"{LEGACY}:4205"][-1]).read_bytes())
    assert not last.xpath(
        '//div[@id="pages_sec"]//a[normalize-space()="下一页" or normalize-space()="末页"]'
    )


def test_served_statuses(site: Manifest, news: LocalSite) -> None:
    news.reset()
    art = site.by_layout(LEGACY)[0]
    status, headers, body = fetch(news.url_for(art.url))
    assert status == 200 and headers["Content-Type"] == "text/html"
    assert body == site.file_for(art.url).read_bytes()
    assert fetch(news.url_for(site.not_found[0]))[0] == 404
    status, _, body = fetch(news.url_for(site.stubs[0]) + "?x=1")
    assert status == 200 and len(body) < 500
    assert fetch(news.url + "/robots.txt")[1]["Content-Type"] == "text/plain"
    assert news.requests[-1] == "/robots.txt" and news.requests[-2].endswith("_.html?x=1")
    assert news.count(lambda p: p.endswith("_.html")) == 2
    assert news.count("robots") == 1


def test_scripted_failures_and_headers(site: Manifest, tmp_path: Path) -> None:
    art = site.by_layout(LEGACY)[0].path
    with serve(
        site.docroot(NEWS_HOST),
        status={art: (503, 2), "/gone": 410},
        retry_after=7,
        headers={art: {"Content-Type": "text/html; charset=utf-8", "X-Test": "1"}},
    ) as s:
        first, second, third = fetch(s.url + art), fetch(s.url + art), fetch(s.url + art)
        assert (first[0], second[0], third[0]) == (503, 503, 200)
        assert first[1]["Retry-After"] == "7"
        assert third[1]["Content-Type"] == "text/html; charset=utf-8" and third[1]["X-Test"] == "1"
        assert fetch(s.url + "/gone")[0] == 410
        s.reset()
        assert fetch(s.url + art)[0] == 503 and s.requests == [art]
    with serve(site.docroot(EN_HOST)) as en:
        p0, p1 = fetch(en.url + "/news"), fetch(en.url + "/news?page=1")
        assert p0[0] == p1[0] == 200 and p0[2] != p1[2]
        assert fetch(en.url + "/news?page=9")[2] == p0[2]  # unknown query: the plain page


def test_gbk_pages(site: Manifest) -> None:
    pages = site.by_layout(GBK)
    assert {e.encoding for e in pages} == {"gbk"}
    assert any("?" in e.path for e in pages)  # /cn/ReadNews.asp?NewsID=...
    for e in pages:
        raw = site.file_for(e.url).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        text = raw.decode("gbk")
        assert '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' in text
        assert e.record.title in text and f"（{e.record.authors[0]}）" in text
    assert any("镕" in e.record.authors[0] for e in pages)  # GBK-only character
    assert any("发表时间：" in site.file_for(e.url).read_bytes().decode("gbk") for e in pages)


def test_english_page(site: Manifest) -> None:
    e = site.by_layout(ENGLISH)[0]
    doc = lxml.html.fromstring(site.file_for(e.url).read_bytes())
    (ld,) = [json.loads(s) for s in doc.xpath('//script[@type="application/ld+json"]/text()')]
    art = ld["@graph"][0]
    assert art["@type"] == "NewsArticle" and art["datePublished"] == e.record.published_at
    full = doc.xpath('string(//p[@class="full-name"])')
    assert e.record.authors == [full] and art["author"]["name"] == full.split()[0]
    assert doc.xpath('//meta[@property="og:title"]/@content') == [e.record.title]
    assert re.fullmatch(r"[A-Z][a-z]+ \d{1,2}, 2020", doc.xpath('string(//p[@class="date"])'))


def test_vsb_pagination_counts_down(site: Manifest) -> None:
    urls = site.listing_urls[f"{VSB}:zxdt"]
    assert [urlsplit(u).path for u in urls] == [
        "/news/zxdt.htm",
        "/news/zxdt/2.htm",
        "/news/zxdt/1.htm",
    ]
    with serve(site.docroot(WWW_HOST)) as www:
        pages, links = follow(www, urls[0], '//span[contains(@class,"p_next")]/a/@href')
        assert pages == ["/news/zxdt.htm", "/news/zxdt/2.htm", "/news/zxdt/1.htm"]
        for e in site.by_layout(VSB):
            assert www.url_for(e.url) in links
    first = lxml.html.fromstring(site.file_for(urls[0]).read_bytes())
    assert first.xpath('//span[contains(@class,"p_last")]/a/@href') == ["zxdt/1.htm"]
    assert b"<!--Announced by Visual SiteBuilder 9-->" in site.file_for(urls[0]).read_bytes()
    e = site.by_layout(VSB)[0]
    art = site.file_for(e.url).read_bytes()
    assert b'<form name="_newscontent_fromname">' in art and b"_jsq_(" in art


def test_add_articles_puts_new_items_on_page_one(tmp_path: Path) -> None:
    spec = SiteSpec(hosts=("news.tsinghua.edu.cn", "www.tsinghua.edu.cn"), thunews_articles=5)
    m = build_site(tmp_path, spec)
    key = f"{LEGACY}:4205"
    old_first = m.listing_items[m.listing_urls[key][0]]
    old_count = len(m.columns[key].items)
    new = add_articles(tmp_path, m, 3)
    assert len(new) == 3 and all(
        site_file.is_file() for site_file in (m.file_for(e.url) for e in new)
    )
    page1 = m.listing_items[m.listing_urls[key][0]]
    assert page1[:3] == [e.url for e in new]
    assert page1[3:] == old_first[: len(page1) - 3]
    assert len(m.columns[key].items) == old_count + 3
    assert (
        new[0].record.published_at
        > new[-1].record.published_at
        > max(a.record.published_at for a in m.articles if a.column == key and a not in new)
    )
    doc = lxml.html.fromstring(m.file_for(m.listing_urls[key][0]).read_bytes())
    assert doc.xpath('//div[@id="datalist_sec2"]//li/a/@href')[:3] == [e.path for e in new]
    vsb_new = add_articles(tmp_path, m, 2, f"{VSB}:zxdt")
    assert m.listing_items[m.listing_urls[f"{VSB}:zxdt"][0]][:2] == [e.url for e in vsb_new]


def test_deterministic_and_robots(tmp_path: Path) -> None:
    spec = SiteSpec(hosts=(GBK_HOST, EN_HOST), robots_disallow={EN_HOST: ["/news/private"]})
    a, b = build_site(tmp_path / "a", spec), build_site(tmp_path / "b", spec)
    assert [e.record for e in a.articles] == [e.record for e in b.articles]
    assert (
        tmp_path / "a" / EN_HOST / "robots.txt"
    ).read_text() == "User-agent: *\nDisallow: /news/private\n"
    loaded = Manifest.load(_dump(a, tmp_path / "m.json"))
    assert loaded.articles == a.articles and loaded.columns == a.columns


def _dump(m: Manifest, path: Path) -> Path:
    m.dump(path)
    return path
