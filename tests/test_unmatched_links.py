"""No silent loss of article links: links a listing shows in its list of news that the site's
`article_url` rejects are counted per run and named by the crawl, `status` and `sites check`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html
import yaml

from crawler.listing_misses import unmatched_links
from crawler.sites import Site
from tests.crawling import crawl, uninews
from tests.sitegen import WORDPRESS, build_family, serve

SITE = Site(
    name="t",
    title="t",
    base_url="https://news.u.edu/",
    listings=["news/"],
    article_url=r"^/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/$",
)


def test_links_in_the_list_of_news_that_the_pattern_rejects() -> None:
    page = """<html><body>
    <ul class="menu"><li><a href="/about/">About</a></li><li><a href="/news/">News</a></li></ul>
    <ul class="posts">
      <li><a href="/2024/05/02/fine-slug/">Fine</a> <a href="/category/research/">Research</a>
          <span>2024-05-02</span></li>
      <li><a href="/2024/05/01/Capital_Slug/">A story the pattern misses</a> <span>2024-05-01</span></li>
      <li><a href="/2024/04/30/another-fine/">Another</a> <span>2024-04-30</span></li>
      <li><a href="https://elsewhere.org/x/">Off site</a> <span>2024-04-29</span></li>
    </ul>
    <ul class="pager"><li><a href="/news/page/2/">Next</a></li></ul>
    </body></html>"""
    tree = lxml.html.document_fromstring(page)
    assert unmatched_links(tree, "https://news.u.edu/news/", SITE) == [
        "https://news.u.edu/2024/05/01/Capital_Slug/"
    ]


def test_a_listing_no_link_of_which_matches_names_its_dated_items() -> None:
    items = "".join(
        f'<li><a href="/info/10/{n}.htm">Title {n}</a><span>2024-05-0{n}</span></li>'
        for n in range(1, 5)
    )
    tree = lxml.html.document_fromstring(f"<html><body><ul>{items}</ul></body></html>")
    assert len(unmatched_links(tree, "https://news.u.edu/news/", SITE)) == 4


def test_a_crawl_counts_and_names_the_articles_its_pattern_misses(tmp_path: Path) -> None:
    manifest = build_family(tmp_path / "site", WORDPRESS)
    info = manifest.families[WORDPRESS]
    data = info.site_file(name="narrow")
    # Too narrow, as a hand-written pattern can be: slugs starting a-m only.
    data["article_url"] = r"^/\d{4}/\d{2}/\d{2}/[a-m][a-z0-9-]*/$"
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "narrow.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    missed = {
        a.url for a in manifest.articles if not re.match("[a-m]", a.url.rstrip("/").split("/")[-1])
    }
    assert 0 < len(missed) < len(manifest.articles)
    store = f"sqlite:///{tmp_path / 'a.db'}"
    with serve(manifest.docroot(info.host)) as server:
        done = crawl("narrow", sites, store, server.url, "--full")
        check = uninews("sites", "check", "narrow", "--sites-dir", str(sites), "--base-url",
                        server.url, "--delay", "0", "--format", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    n = len(missed)
    shown = f"{n} link{'' if n == 1 else 's'} on listings matched no article_url, e.g. "
    assert shown in done.stdout

    status = uninews("status", "--store", store, "--sites-dir", str(sites), "--format", "json")
    row = next(s for s in json.loads(status.stdout)["sites"] if s["site"] == "narrow")
    assert row["unmatched_links"]["count"] == n
    assert row["unmatched_links"]["examples"] and set(row["unmatched_links"]["examples"]) <= missed
    table = uninews("status", "--store", store, "--sites-dir", str(sites))
    assert f"narrow: {shown}" in table.stdout

    assert check.returncode == 0, check.stderr[-2000:]
    on_first_page = set(manifest.listing_items[info.list_urls[0]])
    assert missed & on_first_page
    assert set(json.loads(check.stdout)["unmatched_links"]) == missed & on_first_page
