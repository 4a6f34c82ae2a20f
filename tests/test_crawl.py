"""End to end: `uninews crawl` against a local site in the real layouts, then the query commands."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from storage import open_store
from tests.crawling import FAST, LEGACY_ARTICLE_URL, crawl, summary_counts, uninews, write_site
from tests.sitegen import LocalSite, Manifest, add_articles, build_site, serve

NEWS = "news.tsinghua.edu.cn"
LISTINGS = [
    "publish/news/4205/index.html",
    "publish/news/4204/index.html",
    "publish/thunews/9648/index.html",
]


@dataclass
class Crawled:
    root: Path
    manifest: Manifest
    server: LocalSite
    sites_dir: Path
    store: str
    first: dict[str, int]
    first_requests: list[str]


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    tmp = tmp_path_factory.mktemp("legacy")
    manifest = build_site(tmp / "site")
    sites_dir = tmp / "sites"
    write_site(
        sites_dir,
        name="thu-test",
        base_url="http://news.tsinghua.edu.cn/",
        listings=LISTINGS,
        article_url=LEGACY_ARTICLE_URL,
        source="清华新闻网",
    )
    store = f"sqlite:///{tmp / 'archive.sqlite3'}"
    with serve(tmp / "site" / NEWS) as server:
        done = uninews(
            "crawl", "thu-test", "--sites-dir", str(sites_dir), "--store", store,
            "--base-url", server.url, *FAST[:-2], "-s", "UNINEWS_EXTRACT_WORKERS=1",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        yield Crawled(
            tmp, manifest, server, sites_dir, store, summary_counts(done.stdout), server.requests
        )


def _news_articles(m: Manifest) -> list[str]:
    return [
        a.url
        for a in m.articles
        if a.host == NEWS and a.column.split(":")[1] in ("4205", "4204", "9648")
    ]


def test_every_article_stored_once_with_title_and_date(legacy: Crawled) -> None:
    m = legacy.manifest
    urls = _news_articles(m)
    dup_seconds = {b for _, b in m.duplicates}
    s = open_store(legacy.store)
    try:
        assert s.count() == len(set(urls) - dup_seconds)
        for url in urls:
            rec = s.get(url)
            assert rec is not None, url
            expected = m.article(url).record
            assert rec["title"] == expected.title
            assert rec["published_at"] == expected.published_at
            # Two URLs of one article: stored once, under whichever was fetched first.
            twins = {a for a, b in m.duplicates if b == url} | {
                b for a, b in m.duplicates if a == url
            }
            assert rec["url"] in {url, *twins}
        for url in m.not_found + m.stubs:
            assert s.get(url) is None
    finally:
        s.close()
    counts = legacy.first
    assert counts["new"] == len(set(urls) - dup_seconds)
    assert counts["duplicates"] == len(m.duplicates)
    assert counts["not articles"] == len(m.not_found) + len(m.stubs)
    assert counts["errors"] == 0


def test_an_article_listed_twice_is_fetched_once(legacy: Crawled) -> None:
    for url in legacy.manifest.repeated:
        assert legacy.first_requests.count(_path(url)) == 1
    assert not any("weixin" in r or "/10512/" in r for r in legacy.first_requests)


def test_the_record_has_every_field(legacy: Crawled) -> None:
    m = legacy.manifest
    entry = next(
        a for a in m.articles if a.host == NEWS and a.record.images and a.layout == "thunews"
    )
    s = open_store(legacy.store)
    rec = s.get(entry.url)
    pairs = list(s.raw_pages())
    s.close()
    assert rec is not None
    for field in ("id", "url", "canonical_url", "site", "title", "published_at", "source", "authors",
                  "editors", "photographers", "text", "html", "images", "language", "fetched_at", "fetch"):  # fmt: skip
        assert field in rec, field
    assert rec["site"] == "thu-test"
    assert rec["language"] == "zh"
    assert rec["published_at"].endswith("+08:00")
    assert rec["fetch"]["status"] == 200
    assert rec["images"][0]["url"].startswith(
        "http://news.tsinghua.edu.cn/"
    )  # origin, not the mirror
    raw = next(p for r, p in pairs if r["id"] == rec["id"])
    assert raw.body == m.file_for(entry.url).read_bytes()


def test_unchanged_recrawl_costs_one_request_per_listing(legacy: Crawled) -> None:
    legacy.server.reset()
    done = uninews("crawl", "thu-test", "--sites-dir", str(legacy.sites_dir), "--store", legacy.store,
                   "--base-url", legacy.server.url, *FAST)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    counts = summary_counts(done.stdout)
    assert counts["new"] == 0 and counts["articles fetched"] == 0
    pages = [r for r in legacy.server.requests if r != "/robots.txt"]
    assert sorted(pages) == sorted("/" + p for p in LISTINGS)


def test_three_new_articles_cost_three_article_requests(legacy: Crawled) -> None:
    new = add_articles(legacy.root / "site", legacy.manifest, 3, column="legacy:4205")
    legacy.server.reset()
    done = uninews("crawl", "thu-test", "--sites-dir", str(legacy.sites_dir), "--store", legacy.store,
                   "--base-url", legacy.server.url, *FAST)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert summary_counts(done.stdout)["new"] == 3
    reqs = legacy.server.requests
    articles = [r for r in reqs if "_.html" in r]
    assert sorted(articles) == sorted(_path(a.url) for a in new)
    # Page 1 of 4205 now has the 3 new items; page 2 starts with articles already archived.
    assert len([r for r in reqs if "/4205/index" in r]) <= 2


def test_search_show_stats_export(legacy: Crawled, tmp_path: Path) -> None:
    m = legacy.manifest
    target = next(a for a in m.articles if a.layout == "thunews" and "党建" not in a.record.text)
    word = target.record.title[:4]
    out = uninews("search", word, "--store", legacy.store, "--format", "json")
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert target.url in [r["url"] for r in found]
    assert all(word in r["title"] + r["text"] for r in found)
    # newest first
    dates = [r["published_at"] for r in found]
    assert dates == sorted(dates, reverse=True)

    author = target.record.authors[0] if target.record.authors else target.record.editors[0]
    by = uninews("search", "--author", author, "--store", legacy.store, "--format", "jsonl")
    assert target.url in [json.loads(line)["url"] for line in by.stdout.splitlines()]

    day = target.record.published_at[:10]
    ranged = uninews(
        "search", "--since", day, "--until", day, "--store", legacy.store, "--format", "csv"
    )
    rows = list(csv.DictReader(ranged.stdout.splitlines()))
    assert target.url in [r["url"] for r in rows]
    assert all(r["published_at"][:10] == day for r in rows)

    table = uninews("search", word, "--store", legacy.store, "--limit", "1")
    assert table.returncode == 0 and len(table.stdout.strip().splitlines()) == 2  # header + 1 row

    show = uninews("show", target.url, "--store", legacy.store, "--format", "json")
    rec = json.loads(show.stdout)
    assert rec["title"] == target.record.title
    text = uninews("show", rec["id"], "--store", legacy.store)
    assert target.record.title in text.stdout and "published:" in text.stdout

    stats = uninews("stats", "--store", legacy.store, "--format", "json")
    [row] = json.loads(stats.stdout)
    assert row["site"] == "thu-test"
    assert row["articles"] >= len(_news_articles(m)) - len(m.duplicates)

    out_file = tmp_path / "all.jsonl"
    exp = uninews("export", "--store", legacy.store, "-o", str(out_file))
    assert exp.returncode == 0
    lines = out_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == row["articles"]
    assert len({json.loads(line)["id"] for line in lines}) == len(lines)
    csv_out = uninews("export", "--store", legacy.store, "--format", "csv")
    assert len(list(csv.DictReader(csv_out.stdout.splitlines()))) == row["articles"]


def test_show_unknown_article_is_one_line_error(legacy: Crawled) -> None:
    out = uninews("show", "0000000000000000", "--store", legacy.store)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "no article" in out.stderr


@pytest.mark.parametrize(
    ("host", "origin", "listing", "article_url", "layout"),
    [
        (
            "www.tsinghua.edu.cn",
            "https://www.tsinghua.edu.cn/",
            "news/zxdt.htm",
            r"^/info/\d+/\d+\.htm$",
            "vsb",
        ),
        (
            "bynews.example.edu.cn",
            "http://bynews.example.edu.cn/",
            "xwzh/index.htm",
            r"^/(xwzh/\d{4}-\d{2}/\d+\.htm|cn/ReadNews\.asp\?NewsID=\d+)$",
            "gbk",
        ),
        ("news.example.edu", "https://news.example.edu/", "news", r"^/news/[a-z0-9-]+$", "english"),
    ],
)
def test_other_layouts_crawl_completely(
    tmp_path: Path, host: str, origin: str, listing: str, article_url: str, layout: str
) -> None:
    m = build_site(tmp_path / "site")
    sites = tmp_path / "sites"
    write_site(sites, name="t", base_url=origin, listings=[listing], article_url=article_url,
               language="en" if layout == "english" else "zh")  # fmt: skip
    store = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    with serve(tmp_path / "site" / host) as server:
        done = crawl(
            "t",
            sites,
            store,
            server.url,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    expected = [a for a in m.articles if a.layout == layout]
    s = open_store(store)
    try:
        assert s.count() == len(expected)
        for a in expected:
            rec = s.get(a.url)
            assert rec is not None, a.url
            assert rec["title"] == a.record.title
            assert rec["published_at"] == a.record.published_at
    finally:
        s.close()
