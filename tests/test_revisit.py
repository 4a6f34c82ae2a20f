"""Revisits: archived articles checked again with conditional requests; edits become versions,
withdrawals are noticed and kept, a 304 costs nothing; `show --diff`, search and stats say so."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.revisit import next_check, parse_span
from storage import SearchQuery, open_store
from tests.crawling import crawl, summary_counts, uninews
from tests.sitegen.server import LocalSite
from tests.tinysite import ORIGIN, build, site_file


def test_the_policy_checks_at_growing_intervals() -> None:
    after = [parse_span(x) for x in ("1h", "6h", "1d", "3d", "7d", "30d")]
    every = parse_span("180d")
    pub = datetime(2026, 1, 1, 8, tzinfo=UTC)
    assert next_check(after, every, pub, pub, pub) == pub + timedelta(hours=1)
    assert next_check(after, every, pub, pub, pub + timedelta(hours=2)) == pub + timedelta(hours=6)
    assert next_check(after, every, pub, pub, pub + timedelta(days=40)) == pub + timedelta(days=210)
    # an article archived long after publication (a backfill): the next round of `every`
    late = pub + timedelta(days=1000)
    assert late < next_check(after, every, pub, late, late) <= late + every


@pytest.fixture
def archived(tmp_path: Path) -> tuple[Path, Path, str]:
    docroot = build(tmp_path / "www", [[1, 2, 3, 4, 5, 6, 7, 8]])
    sites = tmp_path / "sites"
    site_file(sites)
    store = f"sqlite:///{tmp_path / 'a.db'}"
    return docroot, sites, store


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    stamp = time.time() + 5  # a later Last-Modified than the first fetch saw
    os.utime(path, (stamp, stamp))


def test_revisit_records_edits_withdrawals_and_costs_304s_for_the_rest(
    archived: tuple[Path, Path, str],
) -> None:
    docroot, sites, store = archived
    news = docroot / "news"
    with LocalSite(docroot) as server:
        first = crawl("tiny", sites, store, server.url)
        assert summary_counts(first.stdout)["new"] == 8, first.stdout
        _edit(news / "1.html", "The university opened", "The university proudly opened")  # text
        _edit(news / "2.html", "Story number 2 about", "Story number 2, corrected, about")  # title
        _edit(news / "3.html", "By Jane Doe", "By John Roe")  # byline
        (news / "4.html").unlink()  # deleted: 404
        (news / "5.html").write_text(  # replaced by the CMS's withdrawn-page stub
            '<html><script>window.location.href="/news/index.html"</script></html>', "utf-8"
        )
        _edit(news / "6.html", "1 College Road", "1 College Road, Springfield")  # boilerplate
        server.reset()
        done = uninews("revisit", "tiny", "--all", "--sites-dir", str(sites), "--store", store,
                       "--base-url", server.url, "-s", "AUTOTHROTTLE_ENABLED=false",
                       "-s", "UNINEWS_EXTRACT_WORKERS=0")  # fmt: skip
        hits = {h.path: h.status for h in server.hits}
    assert done.returncode == 0, done.stderr[-2000:]
    counts = summary_counts(done.stdout)
    assert (counts["revisited"], counts["updated"], counts["unchanged"]) == (8, 3, 1), done.stdout
    assert counts["withdrawn"] == 2 and counts["not modified (304)"] == 2
    # every page that did not change cost a 304: nothing downloaded, nothing extracted
    assert hits["/news/7.html"] == hits["/news/8.html"] == 304
    assert hits["/news/6.html"] == 200 and hits["/news/4.html"] == 404
    assert "/news/index.html" not in hits  # a revisit walks no listing

    s = open_store(store)
    try:
        edited = {r["url"] for r in s.search(SearchQuery(changed_since="2000-01-01", limit=None))}
        assert edited == {f"{ORIGIN}/news/{n}.html" for n in (1, 2, 3)}
        gone = {r["url"]: r for r in s.search(SearchQuery(withdrawn=True, limit=None))}
        assert set(gone) == {f"{ORIGIN}/news/{n}.html" for n in (4, 5)}
        assert all(r["withdrawn_at"] for r in gone.values())
        assert s.get(f"{ORIGIN}/news/4.html")["text"]  # type: ignore[index]  # kept, never deleted
        assert s.get(f"{ORIGIN}/news/3.html")["authors"] == ["John Roe"]  # type: ignore[index]
        [row] = s.stats()
        assert (row["edited"], row["withdrawn"]) == (3, 2)
    finally:
        s.close()

    diff = uninews("show", f"{ORIGIN}/news/2.html", "--diff", "--store", store)
    assert diff.returncode == 0, diff.stderr
    assert "title:" in diff.stdout and "Story number 2, corrected, about" in diff.stdout
    text_diff = uninews("show", f"{ORIGIN}/news/1.html", "--diff", "--store", store)
    assert "-The university opened" in text_diff.stdout
    assert "+The university proudly opened" in text_diff.stdout
    listed = uninews("search", "--withdrawn", "--store", store, "--format", "jsonl")
    assert len(listed.stdout.splitlines()) == 2
    stats = json.loads(uninews("stats", "--store", store, "--format", "json").stdout)
    assert (stats[0]["edited"], stats[0]["withdrawn"]) == (3, 2)


def test_a_withdrawn_article_that_comes_back_is_reinstated(
    archived: tuple[Path, Path, str],
) -> None:
    docroot, sites, store = archived
    page = docroot / "news" / "4.html"
    kept = page.read_bytes()
    args = ["revisit", "tiny", "--all", "--sites-dir", str(sites), "--store", store,
            "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "UNINEWS_EXTRACT_WORKERS=0"]  # fmt: skip
    with LocalSite(docroot) as server:
        assert crawl("tiny", sites, store, server.url).returncode == 0
        page.unlink()
        gone = uninews(*args, "--base-url", server.url)
        assert summary_counts(gone.stdout)["withdrawn"] == 1
        page.write_bytes(kept)
        back = uninews(*args, "--base-url", server.url)
    assert summary_counts(back.stdout)["reinstated"] == 1, back.stdout
    s = open_store(store)
    try:
        rec = s.get(f"{ORIGIN}/news/4.html")
        assert rec is not None and "withdrawn_at" not in rec
        assert not list(s.search(SearchQuery(withdrawn=True)))
    finally:
        s.close()


def test_scheduled_crawls_check_only_what_is_due_within_the_cap(
    archived: tuple[Path, Path, str],
) -> None:
    """Nothing is due an hour after publication of these (old) articles: a crawl revisits
    nothing; once due, at most `max_per_run` ride along each crawl."""
    docroot, sites, store = archived
    site_file(sites, revisit={"max_per_run": 3})
    with LocalSite(docroot) as server:
        assert crawl("tiny", sites, store, server.url).returncode == 0
        server.reset()
        quiet = crawl("tiny", sites, store, server.url)
        assert "revisited" not in quiet.stdout
        s = open_store(store)
        s._db.execute("UPDATE articles SET next_check = '2000-01-01T00:00:00.000000Z'")  # type: ignore[attr-defined]
        s.close()
        server.reset()
        due = crawl("tiny", sites, store, server.url)
        assert summary_counts(due.stdout)["revisited"] == 3, due.stdout
        s = open_store(store)
        later = [r for r in s.revisits("tiny", due_before="2100-01-01T00:00:00Z")]
        s.close()
    checked = [r for r in later if r.checks]
    assert len(checked) == 3


def _set_next_check(store: str, due: list[int], later: str = "2100-01-01T00:00:00.000000Z") -> None:
    s = open_store(store)
    db = s._db  # type: ignore[attr-defined]
    db.execute("UPDATE articles SET next_check = ?", (later,))
    for n in due:
        db.execute(
            "UPDATE articles SET next_check = '2000-01-01T00:00:00.000000Z' WHERE url = ?",
            (f"{ORIGIN}/news/{n}.html",),
        )
    s.close()


@pytest.mark.slow
def test_the_daemon_revisits_what_is_due_and_nothing_else(
    archived: tuple[Path, Path, str], tmp_path: Path
) -> None:
    from tests.test_daemon import DaemonProc, wait_for

    docroot, sites, store = archived
    site_file(sites, revisit={"after": ["2s", "5s"], "every": "1h", "max_per_run": 50})
    with LocalSite(docroot) as server:
        assert crawl("tiny", sites, store, server.url).returncode == 0
        _set_next_check(store, due=[2, 5, 7])
        server.reset()
        d = DaemonProc(tmp_path, "--every", "1", "--only", "tiny", "--base-url", f"tiny={server.url}",
                       "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "UNINEWS_EXTRACT_WORKERS=0")  # fmt: skip
        d.uri, d.sites_dir = store, sites
        d.store.close()
        d.store = open_store(store)
        d.start()
        try:
            wait_for(
                "a run that revisited",
                lambda: any(r.counts.get("revisited") for r in d.runs("tiny")),
                timeout=60,
            )
        finally:
            d.close()
        articles = sorted(
            {h.path for h in server.hits if h.path.startswith("/news/") and "index" not in h.path}
        )
    assert articles == ["/news/2.html", "/news/5.html", "/news/7.html"]
    s = open_store(store)
    try:
        due = s.revisits("tiny", due_before="2099-01-01T00:00:00Z")
        assert len(due) == 3 and all(r.checks == 1 for r in due)  # moved on to the policy's next
    finally:
        s.close()


@pytest.mark.slow
def test_an_interrupted_revisit_resumes_without_double_work(
    tmp_path: Path,
) -> None:
    import signal
    import subprocess
    import sys

    from tests.crawling import cli_env

    docroot = build(tmp_path / "www", [list(range(1, 31))])
    sites = tmp_path / "sites"
    site_file(sites)
    store = f"sqlite:///{tmp_path / 'a.db'}"
    args = ["revisit", "tiny", "--due", "--sites-dir", str(sites), "--store", store,
            "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "UNINEWS_EXTRACT_WORKERS=0"]  # fmt: skip
    with LocalSite(docroot) as server:
        assert crawl("tiny", sites, store, server.url).returncode == 0
        _set_next_check(store, due=list(range(1, 31)))
        server.reset()
        proc = subprocess.Popen(
            [sys.executable, "-m", "uninews", *args, "--base-url", server.url,
             "-s", "CONCURRENT_REQUESTS=1", "-s", "DOWNLOAD_DELAY=0.1"],
            env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while server.count("/news/") < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        first = server.count("/news/")
        assert proc.returncode == 130 and 0 < first < 30, out
        done = uninews(*args, "--base-url", server.url)
        assert done.returncode == 0, done.stderr[-2000:]
        paths = [h.path for h in server.hits if h.path.startswith("/news/")]
    assert sorted(paths) == sorted(f"/news/{n}.html" for n in range(1, 31))  # each exactly once
    s = open_store(store)
    try:
        assert not s.revisits("tiny", due_before="2026-01-01T00:00:00Z")
    finally:
        s.close()


def test_a_revisit_with_a_failed_article_is_no_failed_run(
    archived: tuple[Path, Path, str],
) -> None:
    """A revisit walks no listing: one article that errs is one error in a run that is ok;
    the run fails only when no article could be checked at all."""
    from tests.sitegen.server import StatusRule

    docroot, sites, store = archived
    args = ["revisit", "tiny", "--all", "--sites-dir", str(sites), "--store", store,
            "-s", "RETRY_TIMES=0", "-s", "AUTOTHROTTLE_ENABLED=false"]  # fmt: skip
    with LocalSite(docroot) as server:
        assert crawl("tiny", sites, store, server.url).returncode == 0
        server.set_status("/news/1.html", StatusRule(500))
        done = uninews(*args, "--base-url", server.url)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    counts = summary_counts(done.stdout)
    assert (counts["revisited"], counts["errors"]) == (7, 1), done.stdout
    assert "no listing page" not in done.stdout + done.stderr
    down = uninews(*args, "--base-url", "http://127.0.0.1:9")
    assert down.returncode == 1 and "no article could be checked again" in down.stdout
