"""Backfills over a date range: only articles in range, resumable after an interruption, polite."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from storage import open_store
from tests.crawling import (
    FAST,
    LEGACY_ARTICLE_URL,
    crawl,
    start_slow,
    summary_counts,
    uninews,
    write_site,
)
from tests.sitegen import SiteSpec, build_site, serve

NEWS = "news.tsinghua.edu.cn"
LISTING = "publish/news/4205/index.html"


def _site(tmp_path: Path, spec: SiteSpec | None = None) -> tuple[Path, object]:
    m = build_site(tmp_path / "site", spec)
    sites = tmp_path / "sites"
    write_site(sites, name="bf", base_url="http://news.tsinghua.edu.cn/", listings=[LISTING],
               article_url=LEGACY_ARTICLE_URL)  # fmt: skip
    return sites, m


def _column(m: object, col: str = "legacy:4205") -> list[tuple[str, str]]:
    """(date, url) of the column's articles, newest first."""
    arts = [(a.record.published_at[:10], a.url) for a in m.articles if a.column == col]  # type: ignore[attr-defined]
    return sorted(arts, reverse=True)


def test_backfill_fetches_only_articles_in_range(tmp_path: Path) -> None:
    sites, m = _site(tmp_path)
    arts = _column(m)
    until, since = arts[3][0], arts[-5][0]  # skip the newest 3 and the oldest 4 days
    in_range = {u for d, u in arts if since <= d <= until}
    store = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    with serve(tmp_path / "site" / NEWS) as server:
        done = uninews("backfill", "bf", "--since", since, "--until", until, "--sites-dir", str(sites),
                       "--store", store, "--base-url", server.url, *FAST)  # fmt: skip
        requests = server.requests
    assert done.returncode == 0, done.stderr[-2000:]
    s = open_store(store)
    stored = {r["url"] for r in s.iter_records()}
    s.close()
    assert stored == in_range - set(m.not_found) - set(m.stubs)
    fetched_articles = {r for r in requests if r.endswith("_.html")}
    out_of_range = {u for d, u in arts if not since <= d <= until}
    assert not any(u.split("news.tsinghua.edu.cn")[1] in fetched_articles for u in out_of_range)


def test_backfill_walks_to_the_end_when_since_is_old(tmp_path: Path) -> None:
    sites, m = _site(tmp_path)
    store = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    with serve(tmp_path / "site" / NEWS) as server:
        done = uninews("backfill", "bf", "--since", "2000-01-01", "--sites-dir", str(sites),
                       "--store", store, "--base-url", server.url, *FAST)  # fmt: skip
        listing_requests = [r for r in server.requests if "/4205/index" in r]
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(listing_requests) == len(m.listing_urls["legacy:4205"])  # type: ignore[attr-defined]
    assert summary_counts(done.stdout)["new"] == len(
        {u for _, u in _column(m)} - set(m.not_found) - set(m.stubs)
    )  # type: ignore[attr-defined]


@pytest.mark.slow
def test_killed_backfill_resumes_without_redoing_finished_pages(tmp_path: Path) -> None:
    sites, m = _site(tmp_path)
    arts = _column(m)
    expected = {u for _, u in arts} - set(m.not_found) - set(m.stubs)  # type: ignore[attr-defined]
    store = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    key = f"backfill:bf:http://news.tsinghua.edu.cn/{LISTING}:2000-01-01:None"
    args = [
        "backfill",
        "bf",
        "--since",
        "2000-01-01",
        "--sites-dir",
        str(sites),
        "--store",
        store,
        *FAST,
    ]
    with serve(tmp_path / "site" / NEWS) as server:
        proc = start_slow(args, server.url)
        deadline = time.monotonic() + 60
        state = None
        while time.monotonic() < deadline and proc.poll() is None:
            s = open_store(store) if (tmp_path / "a.sqlite3").exists() else None
            state = s.get_state(key) if s else None
            n = s.count() if s else 0
            if s:
                s.close()
            if state and state.get("page_no", 1) >= 2 and n < len(expected):
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert state is not None, "the backfill never finished a listing page"
        resume_at = state["page_no"]
        s = open_store(store)
        before = s.count()
        s.close()
        assert 0 < before < len(expected)

        server.reset()
        done = uninews(*args, "--base-url", server.url)
        assert done.returncode == 0, done.stderr[-2000:]
        walked = [r for r in server.requests if "/4205/index" in r]
    finished_pages = m.listing_urls["legacy:4205"][: resume_at - 1]  # type: ignore[attr-defined]
    assert not any(p.split("news.tsinghua.edu.cn")[1] in walked for p in finished_pages)
    s = open_store(store)
    urls = [r["url"] for r in s.iter_records()]
    s.close()
    assert sorted(urls) == sorted(expected)  # every article once, none lost
    again = uninews(*args, "--base-url", "http://127.0.0.1:9")  # finished: nothing to walk
    assert again.returncode == 0 and summary_counts(again.stdout)["listing pages"] == 0


def test_robots_txt_is_obeyed(tmp_path: Path) -> None:
    sites, _ = _site(tmp_path, SiteSpec(robots_disallow={NEWS: ["/publish/news/4205/2015/"]}))
    store = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    with serve(tmp_path / "site" / NEWS) as server:
        done = crawl(
            "bf",
            sites,
            store,
            server.url,
        )
        requests = server.requests
    assert done.returncode == 0, done.stderr[-2000:]
    assert "/robots.txt" in requests
    assert not [r for r in requests if r.startswith("/publish/news/4205/2015/")]
    assert summary_counts(done.stdout)["new"] == 0


def test_server_errors_are_retried_with_backoff(tmp_path: Path) -> None:
    sites, m = _site(tmp_path)
    store = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    first_article = _column(m)[0][1].split("news.tsinghua.edu.cn")[1]
    status = {"/" + LISTING: (503, 2), first_article: (429, 1)}
    with serve(tmp_path / "site" / NEWS, status=status, retry_after=1) as server:
        started = time.monotonic()
        done = uninews("crawl", "bf", "--sites-dir", str(sites), "--store", store, "--base-url", server.url,
                       "--max-pages", "1", *FAST)  # fmt: skip
        elapsed = time.monotonic() - started
        requests = server.requests
    assert done.returncode == 0, done.stderr[-2000:]
    assert requests.count("/" + LISTING) == 3
    assert requests.count(first_article) == 2
    assert elapsed >= 1.0  # Retry-After: 1 was honoured
    s = open_store(store)
    assert s.get("http://news.tsinghua.edu.cn" + first_article) is not None
    s.close()


def test_user_agent_names_uninews_and_a_contact(tmp_path: Path) -> None:
    sites, _ = _site(tmp_path)
    store = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    with serve(tmp_path / "site" / NEWS) as server:
        done = uninews("crawl", "bf", "--sites-dir", str(sites), "--store", store, "--base-url", server.url,
                       "--max-pages", "1", "-s", "UNINEWS_CONTACT=https://archive.example.org/contact", *FAST)  # fmt: skip
        agents = {h.headers.get("User-Agent") for h in server.hits}
    assert done.returncode == 0
    assert agents == {agents.copy().pop()}
    ua = agents.pop()
    assert (
        ua is not None and ua.startswith("uninews/") and "https://archive.example.org/contact" in ua
    )


@pytest.mark.slow
def test_killed_incremental_crawl_then_rerun_finishes_the_job(tmp_path: Path) -> None:
    """kill -9 after the first listing page's articles are archived: the rerun must not stop at
    that (now archived) page, or the articles behind it would never be fetched."""
    sites, m = _site(tmp_path)
    expected = {u for _, u in _column(m)} - set(m.not_found) - set(m.stubs)  # type: ignore[attr-defined]
    first_page = set(m.listing_items[m.listing_urls["legacy:4205"][0]]) & expected  # type: ignore[attr-defined]
    store = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    args = ["crawl", "bf", "--sites-dir", str(sites), "--store", store, *FAST]
    with serve(tmp_path / "site" / NEWS) as server:
        proc = start_slow(args, server.url)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if (tmp_path / "a.sqlite3").exists():
                s = open_store(store)
                have = {r["url"] for r in s.iter_records()}
                s.close()
                if first_page <= have:
                    break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        s = open_store(store)
        before = s.count()
        s.close()
        assert before < len(expected), "the crawl finished before it could be interrupted"
        done = uninews(*args, "--base-url", server.url)
    assert done.returncode == 0, done.stderr[-2000:]
    s = open_store(store)
    urls = sorted(r["url"] for r in s.iter_records())
    s.close()
    assert urls == sorted(expected)
