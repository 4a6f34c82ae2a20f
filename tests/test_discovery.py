"""Sitemaps and feeds as sources of article URLs, with their dates used for ranges."""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from pathlib import Path

from storage import open_store
from tests.crawling import FAST, LEGACY_ARTICLE_URL, crawl, summary_counts, uninews, write_site
from tests.sitegen import Manifest, build_site, serve

NEWS = "news.tsinghua.edu.cn"


def _write_sources(m: Manifest, docroot: Path) -> tuple[list[str], list[str]]:
    legacy = [a for a in m.articles if a.column == "legacy:4205"]
    thunews = [a for a in m.articles if a.column == "thunews:9648"]
    urls = "".join(
        f"<url><loc>{a.url}</loc><news:news><news:publication_date>{a.record.published_at}"
        f"</news:publication_date><news:title>{a.record.title}</news:title></news:news></url>"
        for a in legacy
    )
    (docroot / "sitemap-news.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        f' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>',
        encoding="utf-8",
    )
    (docroot / "sitemap.xml").write_text(
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<sitemap><loc>/sitemap-news.xml</loc></sitemap></sitemapindex>",
        encoding="utf-8",
    )
    items = "".join(
        f"<item><title>{a.record.title}</title><link>{a.url}</link>"
        f"<pubDate>{format_datetime(datetime.fromisoformat(a.record.published_at))}</pubDate></item>"
        for a in thunews
    )
    (docroot / "rss.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>',
        encoding="utf-8",
    )
    return [a.url for a in legacy], [a.url for a in thunews]


def test_sitemaps_and_feeds_feed_the_crawl(tmp_path: Path) -> None:
    m = build_site(tmp_path / "site")
    from_sitemap, from_feed = _write_sources(m, tmp_path / "site" / NEWS)
    sites = tmp_path / "sites"
    write_site(sites, name="sm", base_url="http://news.tsinghua.edu.cn/", sitemaps=["sitemap.xml"],
               feeds=["rss.xml"], article_url=LEGACY_ARTICLE_URL)  # fmt: skip
    store = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    gone = set(m.not_found) | set(m.stubs)
    with serve(tmp_path / "site" / NEWS) as server:
        first = crawl("sm", sites, store, server.url)
        assert first.returncode == 0, first.stderr[-2000:]
        server.reset()
        again = crawl("sm", sites, store, server.url)
        second_requests = server.requests
    s = open_store(store)
    stored = {r["url"] for r in s.iter_records()} | {
        a for r in s.iter_records() for a in r["aliases"]
    }
    s.close()
    assert set(from_sitemap + from_feed) - gone <= stored
    assert summary_counts(again.stdout)["articles fetched"] == 0
    assert sorted(r for r in second_requests if r != "/robots.txt") == [
        "/rss.xml",
        "/sitemap-news.xml",
        "/sitemap.xml",
    ]


def test_backfill_uses_sitemap_dates(tmp_path: Path) -> None:
    m = build_site(tmp_path / "site")
    from_sitemap, _ = _write_sources(m, tmp_path / "site" / NEWS)
    dates = sorted(m.article(u).record.published_at[:10] for u in from_sitemap)
    since, until = dates[4], dates[-5]
    sites = tmp_path / "sites"
    write_site(sites, name="sm", base_url="http://news.tsinghua.edu.cn/", sitemaps=["sitemap.xml"],
               article_url=LEGACY_ARTICLE_URL)  # fmt: skip
    store = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    with serve(tmp_path / "site" / NEWS) as server:
        done = uninews("backfill", "sm", "--since", since, "--until", until, "--sites-dir", str(sites),
                       "--store", store, "--base-url", server.url, *FAST)  # fmt: skip
        fetched = [r for r in server.requests if r.endswith("_.html")]
    assert done.returncode == 0, done.stderr[-2000:]
    expected = [u for u in from_sitemap if since <= m.article(u).record.published_at[:10] <= until]
    assert sorted(fetched) == sorted(u.split(NEWS)[1] for u in expected)
