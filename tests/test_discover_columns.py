"""`uninews sites discover` finds every news column however the home page links it: a heading's
"MORE" link, a sub-menu, a column index page; `-v` gives each candidate's verdict; and on a real
VSB site (../shared), the crawl of the discovered file archives every article of its columns."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

import lxml.html
import pytest
import yaml

from crawler.discover_columns import index_children, is_more_link, page_candidates
from storage import open_store
from tests.conftest import SHARED
from tests.crawling import crawl, uninews
from tests.sitegen import FAMILIES, build_family, serve

VIA = {"more": "heading", "submenu": "sub-menu", "index": "index"}


def _discover(home_url: str, server_url: str, sites: Path, name: str = "found") -> tuple[dict, str]:
    sites.mkdir(exist_ok=True)
    out = uninews("-v", "sites", "discover", home_url, "--base-url", server_url, "--name", name,
                  "-o", str(sites / f"{name}.yaml"), "--delay", "0")  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    data = yaml.safe_load((sites / f"{name}.yaml").read_text(encoding="utf-8"))
    return data, out.stderr


@pytest.mark.parametrize("variant", sorted(VIA))
@pytest.mark.parametrize("family", FAMILIES)
def test_discover_finds_the_main_column_however_the_home_page_links_it(
    family: str, variant: str, tmp_path: Path
) -> None:
    manifest = build_family(tmp_path / "site", family, family_home=variant)
    info = manifest.families[family]
    with serve(manifest.docroot(info.host)) as server:
        data, log = _discover(info.home_url, server.url, tmp_path / "sites")
    listings = {urljoin(data["base_url"], u) for u in data["listings"]}
    assert listings == set(info.list_urls), log[-3000:]
    for url in info.list_urls:
        assert f" {url} (via {VIA[variant]}): kept: " in log, log[-3000:]
    # The decoys are seen and dropped, with the reason.
    decoy = "下载中心" if info.language == "zh" else "Resources"
    assert f"candidate {decoy} " in log and f"'{decoy}' names no news column" in log
    if variant == "index":
        assert "dropped: a column index" in log
    assert "candidate page(s) seen" in log


def test_more_links_in_every_spelling() -> None:
    for text in ("MORE", "更多", "更多>>", "更多 ···", "more »", "查看更多", "View all", "[更多]"):
        assert is_more_link(text), text
    for text in ("学院新闻", "More about our history", "Morehouse", "更多精彩视频专题"):
        assert not is_more_link(text), text


def test_a_heading_names_the_column_its_more_link_leads_to() -> None:
    page = """<html><body>
    <dl><dt><span>学校新闻</span> <a href="xxxw.htm">更多 ···</a></dt><dd><a href="info/1/2.htm">x</a></dd></dl>
    <div class="box"><div class="tt"><h3><span>通知公告</span></h3><div><a href="/tzgg.htm">MORE</a></div></div></div>
    <section><h2>Campus news</h2><p>Latest</p><a href="/news/">more &raquo;</a></section>
    <div><h2>下载中心</h2><a href="/xzzx.htm">更多</a></div>
    </body></html>"""
    tree = lxml.html.document_fromstring(page)
    found = {c.url: c for c in page_candidates(tree, "http://u.edu.cn/index.htm", {"u.edu.cn"})}
    assert found["http://u.edu.cn/xxxw.htm"].label == "学校新闻"
    assert found["http://u.edu.cn/tzgg.htm"].label == "通知公告"
    assert found["http://u.edu.cn/news/"].label == "Campus news"
    assert all(found[u].via == "heading" and not found[u].verdict for u in list(found)[:3])
    assert found["http://u.edu.cn/xzzx.htm"].verdict == "dropped: '下载中心' names no news column"


MIRROR = SHARED / "corpus" / "sites" / "yjszs.cqjtu.edu.cn"


@pytest.mark.shared
def test_discover_and_crawl_a_real_vsb_site(tmp_path: Path) -> None:
    """The real mirror: 学校新闻 and 通知公告 are linked only by headings with 更多 links (and
    通知公告 by the nav); the discovered file's crawl archives every article they list."""
    if not MIRROR.is_dir():
        pytest.skip("../shared/corpus/sites is absent")
    with serve(MIRROR) as server:
        data, log = _discover(
            "http://yjszs.cqjtu.edu.cn/index.htm", server.url, tmp_path / "s", "cq"
        )
        store = f"sqlite:///{tmp_path / 'a.db'}"
        done = crawl("cq", tmp_path / "s", store, server.url, "--full")
    assert done.returncode == 0, done.stderr[-2000:]
    assert set(data["listings"]) == {"xxxw.htm", "tzgg.htm"}, log[-3000:]
    assert (data["language"], data["timezone"], data["layout"]) == ("zh", "Asia/Shanghai", "vsb")
    listed = set()
    for page in ("xxxw.htm", "tzgg.htm"):
        tree = lxml.html.parse(str(MIRROR / page)).getroot()
        listed |= {
            urljoin("http://yjszs.cqjtu.edu.cn/" + page, h)
            for h in tree.xpath("//a/@href")
            if h.startswith("info/")
        }
    s = open_store(store)
    try:
        stored = {r["url"] for r in s.iter_records()}
    finally:
        s.close()
    assert len(listed) == 12 and stored == listed


def test_feeds_and_sitemaps_that_list_articles_join_the_site_file(tmp_path: Path) -> None:
    manifest = build_family(tmp_path / "site", "vsb2")
    info = manifest.families["vsb2"]
    root = manifest.docroot(info.host)
    articles = [a.url for a in manifest.articles]
    urls = "".join(f"<url><loc>{u}</loc></url>" for u in articles)
    (root / "sitemap.xml").write_text(
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    )
    (root / "empty.xml").write_text('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>')
    robots = root / "robots.txt"
    robots.write_text(
        robots.read_text()
        + f"\nSitemap: {info.origin}/sitemap.xml\nSitemap: {info.origin}/empty.xml\n"
    )
    items = "".join(f"<item><title>t</title><link>{u}</link></item>" for u in articles[:5])
    (root / "rss.xml").write_text(f'<rss version="2.0"><channel>{items}</channel></rss>')
    home = root / "index.htm"
    feed = '<link rel="alternate" type="application/rss+xml" title="RSS" href="/rss.xml">'
    text = home.read_text(encoding="utf-8")
    home.write_text(text.replace("</HEAD>", feed + "</HEAD>", 1), encoding="utf-8")
    assert feed in home.read_text(encoding="utf-8")
    with serve(root) as server:
        data, log = _discover(info.home_url, server.url, tmp_path / "sites")
    assert data["sitemaps"] == [f"{info.origin}/sitemap.xml"]
    assert data["feeds"] == [f"{info.origin}/rss.xml"]
    assert f"{info.origin}/rss.xml (via feed): kept: 5 article links" in log
    assert f"{info.origin}/empty.xml (via sitemap): dropped: 0 links to articles" in log


def test_a_column_index_gives_its_columns_not_its_pager() -> None:
    page = """<html><body>
    <div class="menu"><ul><li><a href="/xwzx/xyxw.htm">学院新闻</a></li>
      <li><a href="/xwzx/kydt.htm">科研</a></li><li><a href="/about.htm">学院概况</a></li></ul></div>
    <nav class="pagination"><ul><li><a href="/xwzx/2.htm">2</a></li>
      <li><a href="/xwzx/3.htm">下一页</a></li><li><a href="/xwzx/9.htm">尾页</a></li></ul></nav>
    </body></html>"""
    tree = lxml.html.document_fromstring(page)
    kids = index_children(tree, "http://u.edu.cn/xwzx.htm", {"u.edu.cn"}, set())
    # 科研 names no news, but a news index's own column is news; 学院概况 is not under it.
    assert [(c.url, c.via) for c in kids] == [
        ("http://u.edu.cn/xwzx/xyxw.htm", "index"),
        ("http://u.edu.cn/xwzx/kydt.htm", "index"),
    ]
