"""The storage contract, held against every backend: SQLite, mongomock, and MongoDB if available."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path
from typing import Any

import pytest

from storage import Outcome, RawPage, RunRecord, SearchQuery, open_store

BODY = "清华大学各单位党委书记抓基层党建工作现场述职评议会在主楼接待厅举行。" * 3
WORD = "述职评议"  # in BODY


def rec(url: str = "http://news.example.edu.cn/info/1/100.htm", **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "url": url,
        "canonical_url": url,
        "site": "example",
        "title": "清华首次举行基层党建工作现场述职评议会",
        "published_at": "2016-03-04T21:16:26+08:00",
        "source": "清华新闻网",
        "authors": ["李含"],
        "photographers": ["杨艳宾"],
        "editors": ["清芷"],
        "text": BODY,
        "language": "zh",
        "fetched_at": "2026-11-27T00:00:00Z",
    }
    base.update(kw)
    return base


def raw(url: str, body: bytes = b"<html>page</html>") -> RawPage:
    return RawPage(url, url, 200, {"Content-Type": "text/html"}, body, "2026-11-27T00:00:00Z")


def test_insert_then_unchanged(store: Any) -> None:
    first = store.upsert(rec(), raw(rec()["url"]))
    assert first.outcome is Outcome.INSERTED
    again = store.upsert(rec(fetched_at="2026-11-28T00:00:00Z"), raw(rec()["url"]))
    assert again.outcome is Outcome.UNCHANGED
    assert again.article_id == first.article_id
    got = store.get(first.article_id)
    assert got["seen_count"] == 2
    assert store.count() == 1


def test_same_url_other_scheme_is_same_article(store: Any) -> None:
    store.upsert(rec("http://news.example.edu.cn/a/1.htm"))
    res = store.upsert(rec("https://news.example.edu.cn/a/1.htm#top"))
    assert res.outcome is Outcome.UNCHANGED
    assert store.count() == 1


def test_changed_body_becomes_new_version(store: Any) -> None:
    a = store.upsert(rec())
    b = store.upsert(rec(text=BODY + "更正：会议地点为主楼接待厅。"))
    assert b.outcome is Outcome.NEW_VERSION
    assert b.version == 2
    assert store.get(a.article_id)["text"].endswith("更正：会议地点为主楼接待厅。")
    versions = store.versions(a.article_id)
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["record"]["text"] == BODY
    assert versions[1]["changed"] == ["text"]
    assert store.count() == 1


def test_other_url_same_content_is_duplicate_alias(store: Any) -> None:
    a = store.upsert(rec("http://news.example.edu.cn/publish/news/4204/1.html"))
    d = store.upsert(rec("http://news.example.edu.cn/publish/news/4205/1.html"))
    assert d.outcome is Outcome.DUPLICATE
    assert d.article_id == a.article_id
    assert store.count() == 1
    got = store.get("http://news.example.edu.cn/publish/news/4205/1.html")
    assert got is not None and got["id"] == a.article_id
    assert "http://news.example.edu.cn/publish/news/4205/1.html" in got["aliases"]
    # The alias is known, so the crawler does not fetch it again.
    assert store.known_urls(["https://news.example.edu.cn/publish/news/4205/1.html"]) == {
        "https://news.example.edu.cn/publish/news/4205/1.html"
    }
    again = store.upsert(rec("http://news.example.edu.cn/publish/news/4205/1.html"))
    assert again.outcome is Outcome.UNCHANGED


def test_short_pages_are_not_merged_by_content(store: Any) -> None:
    store.upsert(rec("http://x.edu/1", text="短讯"))
    res = store.upsert(rec("http://x.edu/2", text="短讯"))
    assert res.outcome is Outcome.INSERTED


def test_get_by_url_and_canonical(store: Any) -> None:
    r = rec("http://x.edu/a?id=1&b=2", canonical_url="http://x.edu/article/1")
    res = store.upsert(r)
    assert store.get("http://x.edu/article/1")["id"] == res.article_id
    assert store.get("http://x.edu/a?b=2&id=1")["id"] == res.article_id
    assert store.get("nope") is None


def test_known_urls(store: Any) -> None:
    store.upsert(rec("http://x.edu/1"))
    assert store.known_urls(["http://x.edu/1", "http://x.edu/2"]) == {"http://x.edu/1"}
    assert store.known_urls([]) == set()


def test_search_chinese_bigram_english_and_filters(store: Any) -> None:
    store.upsert(rec("http://x.edu/1"))
    store.upsert(
        rec(
            "http://x.edu/2",
            title="Climate research award",
            text="The university announced a climate research award for young scholars. " * 3,
            published_at="2020-02-05T10:00:00-05:00",
            authors=["Todd Bates"],
            photographers=[],
            editors=[],
            language="en",
        )
    )
    store.upsert(
        rec(
            "http://x.edu/3",
            title="新学期开学典礼",
            text="新学期开学典礼在综合体育馆举行，校长致辞。" * 4,
            published_at="2017-09-01T09:00:00+08:00",
            authors=["王三"],
        )
    )
    assert [r["url"] for r in store.search(SearchQuery(text="党建"))] == ["http://x.edu/1"]
    assert [r["url"] for r in store.search(SearchQuery(text="CLIMATE award"))] == ["http://x.edu/2"]
    assert [r["url"] for r in store.search(SearchQuery(text="党委书记"))] == ["http://x.edu/1"]
    assert list(store.search(SearchQuery(text="党校"))) == []  # 党 and 校 both occur, not together
    newest_first = [r["url"] for r in store.search(SearchQuery(limit=None))]
    assert newest_first == ["http://x.edu/2", "http://x.edu/3", "http://x.edu/1"]
    in_range = store.search(SearchQuery(since="2016-01-01", until="2017-12-31"))
    assert [r["url"] for r in in_range] == ["http://x.edu/3", "http://x.edu/1"]
    assert [r["url"] for r in store.search(SearchQuery(author="Bates"))] == ["http://x.edu/2"]
    assert [r["url"] for r in store.search(SearchQuery(author="清芷"))] == [
        "http://x.edu/3",
        "http://x.edu/1",
    ]
    assert len(list(store.search(SearchQuery(limit=1)))) == 1
    assert list(store.search(SearchQuery(site="other"))) == []


def test_raw_pages_round_trip(store: Any) -> None:
    body = "<html><body>原始页面</body></html>".encode() * 50
    store.upsert(rec(), raw(rec()["url"], body))
    pairs = list(store.raw_pages(site="example"))
    assert len(pairs) == 1
    record, page = pairs[0]
    assert page.body == body
    assert page.status == 200
    assert record["url"] == rec()["url"]


def test_captures_keep_each_fetch_in_time_order(store: Any) -> None:
    url = rec()["url"]
    page = b"<html>v1</html>" * 40
    sent = {"User-Agent": "uninews/test", "Accept-Encoding": "gzip"}

    def fetch(body: bytes, at: str, record: dict[str, Any]) -> Outcome:
        got = RawPage(url, url, 200, {"Content-Type": "text/html"}, body, at, sent)
        return store.upsert(record, got).outcome

    assert fetch(page, "2026-11-27T00:00:00Z", rec()) is Outcome.INSERTED
    # Refetched, same bytes: logged, not kept twice; the same fetch stored again is no fetch.
    assert fetch(page, "2026-11-28T00:00:00Z", rec()) is Outcome.UNCHANGED
    assert fetch(page, "2026-11-27T00:00:00Z", rec()) is Outcome.UNCHANGED
    # Edited: new bytes kept with the new version.
    edited = rec(text=BODY + "更正。")
    assert fetch(b"<html>v2</html>" * 40, "2026-11-29T00:00:00Z", edited) is Outcome.NEW_VERSION
    other = rec(
        "http://x.edu/o", site="other", text="x " * 50, published_at="2020-01-01T08:00:00+08:00"
    )
    store.upsert(other, raw(other["url"]))

    [(record, caps)] = list(store.captures(site="example"))
    assert record["version"] == 2
    assert [(c.raw.fetched_at, c.stored) for c in caps] == [
        ("2026-11-27T00:00:00Z", True),
        ("2026-11-28T00:00:00Z", False),
        ("2026-11-29T00:00:00Z", True),
    ]
    assert caps[0].raw.body == page and caps[1].raw.body == b""
    assert caps[0].body_sha == caps[1].body_sha != caps[2].body_sha
    assert all(c.raw.request_headers == sent for c in caps)
    assert caps[1].raw.headers == {"Content-Type": "text/html"}
    assert len(list(store.captures())) == 2
    # Publish-date bounds, as everywhere else (the article was published 2016-03-04).
    assert [r["site"] for r, _ in store.captures(since="2016-03-05")] == ["other"]
    assert len(list(store.captures(since="2016-03-04", until="2016-03-04"))) == 1


def test_an_earlier_capture_never_replaces_a_later_record(store: Any) -> None:
    url = rec()["url"]

    def at(when: str, text: str) -> Outcome:
        page = RawPage(url, url, 200, {}, text.encode() * 20, when)
        return store.upsert(rec(text=text, fetched_at=when), page).outcome

    assert at("2026-11-27T00:00:00Z", BODY) is Outcome.INSERTED
    assert at("2026-11-29T00:00:00Z", BODY + "改") is Outcome.NEW_VERSION
    # An old WARC imported now: a capture of version 1 is a known state; one never stored
    # is kept as a page, and neither becomes the current record.
    assert at("2026-11-27T00:00:00.000000+00:00", BODY) is Outcome.UNCHANGED
    assert at("2026-11-28T00:00:00Z", BODY + "旧") is Outcome.EARLIER
    current = store.get(url)
    assert current["version"] == 2 and current["text"] == BODY + "改"
    [(_, caps)] = list(store.captures())
    assert [c.raw.fetched_at[:10] for c in caps if c.stored] == [
        "2026-11-27",
        "2026-11-28",
        "2026-11-29",
    ]
    # A later capture still wins.
    assert at("2026-11-30T00:00:00Z", BODY + "新") is Outcome.NEW_VERSION


def test_pages_of_results_by_keyset_cover_every_match_once(store: Any) -> None:
    from storage.common import position

    # 2 articles per day over 6 days, two undated: ties on the publish time included
    for i in range(14):
        day = f"2016-03-{1 + i // 2:02d}T08:00:00+08:00" if i < 12 else None
        store.upsert(rec(f"http://x.edu/{i}", text=BODY + str(i), published_at=day))
    everything = [r["url"] for r in store.search(SearchQuery(limit=None))]
    assert len(everything) == 14 and everything[-2:] in (
        ["http://x.edu/12", "http://x.edu/13"],
        ["http://x.edu/13", "http://x.edu/12"],
    )
    pages, after = [], None
    while True:
        page = list(store.search(SearchQuery(limit=4, after=after)))
        if not page:
            break
        pages.append([r["url"] for r in page])
        after = position(page[-1])
    assert [len(p) for p in pages] == [4, 4, 4, 2]
    assert [u for p in pages for u in p] == everything
    # a word alone (SQLite walks the archive newest first for it) pages the same way
    word, pages, after = SearchQuery(text=WORD, limit=5), [], None
    assert store.count_matches(word) == 14
    while page := list(store.search(SearchQuery(text=WORD, limit=5, after=after))):
        pages.append([r["url"] for r in page])
        after = position(page[-1])
    assert [u for p in pages for u in p] == everything
    # with filters too: a site and a date range
    q = SearchQuery(site="example", since="2016-03-02", until="2016-03-05", limit=3)
    first = list(store.search(q))
    rest = list(
        store.search(SearchQuery(**{**q.__dict__, "limit": None, "after": position(first[-1])}))
    )
    assert len(first) + len(rest) == 8 and not {r["id"] for r in first} & {r["id"] for r in rest}


def test_pages_by_offset_in_either_order_cover_every_match_once(store: Any) -> None:
    """`offset` (the web's page N) and `oldest` (dated ones reversed, undated still last)."""
    for i in range(14):
        day = f"2016-03-{1 + i // 2:02d}T08:00:00+08:00" if i < 12 else None
        store.upsert(rec(f"http://x.edu/{i}", text=BODY + str(i), published_at=day))
    everything = [r["url"] for r in store.search(SearchQuery(limit=None))]
    for text in (None, WORD, WORD + " 会"):  # all, a word, a lone character (checked in Python)
        for oldest in (False, True):
            pages = [
                [r["url"] for r in store.search(SearchQuery(text=text, limit=4, offset=n, oldest=oldest))]
                for n in (0, 4, 8, 12, 16)
            ]  # fmt: skip
            assert [len(p) for p in pages] == [4, 4, 4, 2, 0], (text, oldest)
            seen = [u for p in pages for u in p]
            assert seen == (everything[:12][::-1] + everything[12:][::-1] if oldest else everything)
    assert set(everything[12:]) == {"http://x.edu/12", "http://x.edu/13"}  # undated: last
    # what a relevance ranking reads: every match's id, title and text, in the same order
    for text in (None, WORD, WORD + " 会", "nothingatall"):
        found = list(store.search(SearchQuery(text=text, limit=None)))
        texts = list(store.match_texts(SearchQuery(text=text, limit=3)))
        assert [t["id"] for t in texts] == [r["id"] for r in found], text
        assert [(t["title"], t["text"]) for t in texts] == [(r["title"], r["text"]) for r in found]


def test_raw_page_and_articles_per_month(store: Any) -> None:
    a = rec("http://x.edu/a", published_at="2016-02-29T23:30:00+08:00")
    b = rec("http://x.edu/b", text=BODY + "b", published_at="2016-03-01T00:30:00+08:00")
    c = rec("http://x.edu/c", text=BODY + "c", published_at="2016-03-15T08:00:00+08:00")
    ids = [store.upsert(r, raw(r["url"], r["url"].encode())).article_id for r in (a, b, c)]
    store.upsert(rec("http://x.edu/d", text=BODY + "d", published_at=None))
    store.upsert(rec("http://y.edu/e", site="other", text=BODY + "e"))
    # local months, as the page gives the date (not UTC: 00:30 on March 1st is March)
    assert store.monthly_counts("example") == [("2016-02", 1), ("2016-03", 2)]
    assert store.monthly_counts("nowhere") == []
    assert store.site_names() == ["example", "other"]
    page = store.raw_page(ids[1])
    assert page is not None and page.body == b"http://x.edu/b"
    assert store.raw_page("0000000000000000") is None


def test_iter_records_and_stats(store: Any) -> None:
    for i in range(5):
        store.upsert(
            rec(
                f"http://x.edu/{i}",
                text=BODY + str(i),
                published_at=f"2016-03-0{i + 1}T08:00:00+08:00",
            )
        )
    assert len(list(store.iter_records())) == 5
    assert list(store.iter_records(site="none")) == []
    [row] = store.stats()
    assert row["site"] == "example"
    assert row["articles"] == 5
    assert (row["earliest"], row["latest"]) == ("2016-03-01", "2016-03-05")


def test_runs_state_heartbeat(store: Any) -> None:
    run_id = store.start_run(RunRecord(site="example", started_at="2026-11-27T00:00:00Z", pid=1))
    store.finish_run(run_id, "ok", {"new": 3}, None)
    [run] = store.runs("example")
    assert (run.status, run.counts, run.ended_at is not None) == ("ok", {"new": 3}, True)
    assert run.node is None  # a local run
    store.start_run(RunRecord(site="other", started_at="2026-11-27T00:00:00Z", id="j1",
                              host="box2", node="http://10.0.0.2:6800"))  # fmt: skip
    [cluster] = store.runs("other")
    assert (cluster.id, cluster.host, cluster.node) == ("j1", "box2", "http://10.0.0.2:6800")
    # Starting a run under an existing id replaces it (the daemon may record a run its child did not).
    store.start_run(RunRecord(site="example", started_at="2026-11-27T01:00:00Z", id=run_id))
    [again] = store.runs("example")
    assert (again.status, again.started_at) == ("running", "2026-11-27T01:00:00Z")
    assert store.get_state("k") is None
    store.set_state("k", {"next": "index_3.html"})
    assert store.get_state("k") == {"next": "index_3.html"}
    store.set_state("k", None)
    assert store.get_state("k") is None
    store.heartbeat("daemon", {"pid": 42})
    beat = store.get_heartbeat("daemon")
    assert beat["pid"] == 42 and beat["at"]
    store.heartbeat("standby:a:1", {"pid": 1})
    store.heartbeat("standby:b:2", {"pid": 2})
    store.heartbeat("standby.x", {"pid": 3})  # no regex or LIKE pattern in the prefix
    beats = store.heartbeats("standby:")
    assert sorted(beats) == ["standby:a:1", "standby:b:2"]
    assert beats["standby:b:2"]["pid"] == 2 and beats["standby:b:2"]["at"]
    assert store.heartbeats("nothing") == {}


def _writer(uri: str, n: int, order: int) -> None:
    """One crawl process: n articles, each under its own URL and under a copy URL (the same
    article listed in two columns), in an order of its own."""
    s = open_store(uri)
    urls = [(f"http://x.edu/{i}", i) for i in range(n)] + [
        (f"http://x.edu/copy/{i}", i) for i in range(n)
    ]
    for url, i in urls[order::2] + urls[1 - order :: 2] if order < 2 else urls[::-1]:
        s.upsert(rec(url, text=BODY + str(i)))
    s.close()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("mongodb", marks=pytest.mark.mongodb)])
def test_four_writers_at_once_store_each_article_once(backend: str, tmp_path: Path) -> None:
    """Four crawl processes (a backfill beside the daemon's crawl, say) write the same 300
    articles, each under two URLs, at once: 300 articles, each with its copy as an alias,
    seen 8 times; never an article its own alias."""
    from tests.conftest import store_uri

    uri = store_uri(backend, tmp_path)
    first = open_store(uri)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(uri, 300, k)) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(600)
    try:
        assert [p.exitcode for p in procs] == [0, 0, 0, 0]
        records = list(first.iter_records())
        assert len(records) == first.count() == 300
        for r in records:
            assert r["seen_count"] == 8, r["url"]
            assert len(r["aliases"]) == 1, (r["url"], r["aliases"])
            assert r["aliases"][0] != r["url"]  # never its own alias
        assert first.known_urls([f"http://x.edu/copy/{i}" for i in range(300)]) == {
            f"http://x.edu/copy/{i}" for i in range(300)
        }
    finally:
        if backend == "mongodb":
            first.db.client.drop_database(first.db.name)  # type: ignore[attr-defined]
        first.close()


@pytest.mark.parametrize(
    "uri",
    ["sqlite://", "postgres://x/y", "mongodb://bad host:99999/db"],
)
def test_bad_uris_are_one_line_errors(uri: str) -> None:
    from storage import StorageError

    with pytest.raises(StorageError) as err:
        open_store(uri, connect_timeout_ms=300)
    assert "\n" not in str(err.value)


def test_credentials_never_in_errors() -> None:
    from storage import StorageError

    with pytest.raises(StorageError) as err:
        open_store("mongodb://alice:s3cret@127.0.0.1:1/db", connect_timeout_ms=300)
    assert "s3cret" not in str(err.value)
    assert "alice:***@" in str(err.value)


def test_gone_urls_are_known_until_an_article_appears(store: Any) -> None:
    store.mark_gone("http://x.edu/404.htm", "example", "http_404")
    store.mark_gone("http://x.edu/404.htm", "example", "http_404")  # idempotent
    assert store.known_urls(["https://x.edu/404.htm"]) == {"https://x.edu/404.htm"}
    assert store.count() == 0
    store.upsert(rec("http://x.edu/404.htm"))
    assert store.count() == 1
    assert store.known_urls(["http://x.edu/404.htm"]) == {"http://x.edu/404.htm"}


def test_upsert_many_in_one_go(store: Any) -> None:
    from storage.common import prepare

    batch = [
        prepare(rec(f"http://x.edu/{i}", text=BODY + str(i)), raw(f"http://x.edu/{i}"))
        for i in range(5)
    ]
    batch.append(prepare(rec("http://x.edu/0", text=BODY + "0")))  # the same article again
    results = store.upsert_many(batch)
    assert [r.outcome for r in results] == [Outcome.INSERTED] * 5 + [Outcome.UNCHANGED]
    assert store.count() == 5
    assert len(list(store.raw_pages())) == 5


def test_revisits_due_checks_and_withdrawals(store: Any) -> None:
    from storage.base import NOT_MODIFIED, REINSTATED, WITHDRAWN
    from storage.common import prepare

    urls = [f"http://x.edu/{i}" for i in range(3)]
    for i, url in enumerate(urls):
        p = prepare(rec(url, text=BODY + str(i)), RawPage(url, url, 200, {"ETag": f'"e{i}"',
                    "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"}, b"<html/>", "2026-11-27T00:00:00Z"))  # fmt: skip
        p.index["next_check"] = f"2026-11-2{7 + i}T01:00:00.000000Z"
        store.upsert_many([p])
    due = store.revisits("example", due_before="2026-11-28T12:00:00Z")
    assert [r.url for r in due] == urls[:2]  # the most overdue first; the third is not due
    assert (due[0].etag, due[0].last_modified) == ('"e0"', "Mon, 01 Jan 2024 00:00:00 GMT")
    assert len(store.revisits("example")) == 3 and store.revisits("example", limit=1)
    store.record_check(
        due[0].article_id, NOT_MODIFIED, "2026-11-28T12:00:00Z", "2026-12-28T01:00:00Z"
    )
    store.record_check(due[1].article_id, WITHDRAWN, "2026-11-28T12:00:00Z", "2026-12-28T01:00:00Z")
    store.record_check(due[1].article_id, WITHDRAWN, "2026-11-29T12:00:00Z", "2027-01-28T01:00:00Z")
    assert store.revisits("example", due_before="2026-11-28T12:00:00Z") == []
    gone = list(store.search(SearchQuery(withdrawn=True)))
    assert [r["url"] for r in gone] == [urls[1]]
    assert gone[0]["withdrawn_at"] == "2026-11-28T12:00:00Z"  # when first noticed
    [row] = store.stats()
    assert (row["edited"], row["withdrawn"]) == (0, 1)
    # edits: a new version is found by --changed-since, and keeps its revisit state
    store.upsert(rec(urls[1], text=BODY + "1", title="更正"))
    changed = list(store.search(SearchQuery(changed_since="2000-01-01")))
    assert [r["url"] for r in changed] == [urls[1]] and changed[0]["withdrawn_at"]
    store.record_check(due[1].article_id, REINSTATED, "2026-11-30T12:00:00Z", None)
    assert not list(store.search(SearchQuery(withdrawn=True)))
    [row] = store.stats()
    assert (row["edited"], row["withdrawn"]) == (1, 0)
    assert [r.withdrawn for r in store.revisits("example")] == [False] * 3


def test_a_lock_is_held_by_one_until_released(store: Any) -> None:
    info = {"pid": 4321, "host": "other-box", "since": "2026-12-02T00:00:00Z"}
    first = store.lock("daemon", info)
    assert first is not None and first.held()
    assert store.lock("daemon", {"pid": 1, "host": "box3"}) is None  # held: nobody else
    assert store.lock_holder("daemon") == info  # `uninews status` names who holds it
    assert store.lock("crawl:tiny", info) is not None  # other names are other locks
    first.release()
    assert not first.held() and store.lock_holder("daemon") is None
    again = store.lock("daemon", info)
    assert again is not None and again.held()
    again.release()


def test_a_lease_nobody_renews_expires_and_is_taken_over(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MongoDB's locks are leases: a holder that stops renewing (its machine died, the network
    went) loses the lease at its expiry, and a standby takes it. (SQLite's are OS locks, freed
    the moment the holder's process dies: tests/test_daemon.py kills one.)"""
    import storage.mongo

    if not isinstance(store, storage.mongo.MongoStore):
        pytest.skip("SQLite's locks are OS locks, released when their process dies")
    monkeypatch.setattr(storage.mongo, "LEASE_SECONDS", 0.5)
    dead = store.lock("daemon", {"pid": 4321, "host": "other-box"})
    assert dead is not None
    dead._stop.set()  # its renewing thread stops, as it would with its machine
    storage.mongo._LIVE_TOKENS.discard(dead._token)
    assert store.lock("daemon", {"pid": 1, "host": "box3"}) is None  # not yet expired
    deadline = time.monotonic() + 5
    while (taker := store.lock("daemon", {"pid": 1, "host": "box3"})) is None:
        assert time.monotonic() < deadline, "the lease never expired"
        time.sleep(0.05)
    assert taker.held() and not dead.held()
    assert store.lock_holder("daemon") == {"pid": 1, "host": "box3"}
    taker.release()


def test_leases_are_timed_by_the_servers_clock(store: Any) -> None:
    """Daemons on machines whose clocks disagree must agree on when a lease expires: MongoDB
    leases are stamped and judged by the server's clock (measured once per store)."""
    from datetime import UTC, datetime, timedelta

    import storage.mongo

    if not isinstance(store, storage.mongo.MongoStore):
        pytest.skip("SQLite's locks are OS locks: no clock involved")
    server_now = datetime.now(UTC) + timedelta(seconds=100)  # this machine is 100 s behind
    store.db.command = lambda *a, **k: {"localTime": server_now.replace(tzinfo=None)}
    store._skew = None
    assert abs(store.clock() - (time.time() + 100)) < 5
    lease = store.lock("daemon", {"pid": 1, "host": "h"})
    assert lease is not None
    expires = store.locks_c.find_one({"_id": "daemon"})["expires_at"]
    assert abs(expires - (time.time() + 100 + storage.mongo.LEASE_SECONDS)) < 5
    assert lease.held() and store.lock_holder("daemon") == {"pid": 1, "host": "h"}
    lease.release()


def test_a_moved_article_keeps_its_new_address_as_an_alias(store: Any) -> None:
    a = store.upsert(rec("http://x.edu/old/1.htm"), raw("http://x.edu/old/1.htm"))
    b = store.upsert(rec("http://x.edu/old/2.htm", text=BODY + "二"))
    assert store.add_alias(a.article_id, "http://x.edu/new/1.htm")
    assert store.add_alias(a.article_id, "http://x.edu/new/1.htm")  # idempotent
    assert store.get("http://x.edu/new/1.htm")["id"] == a.article_id
    assert "http://x.edu/new/1.htm" in store.known_urls(["http://x.edu/new/1.htm"])
    # Never another article's address, never its own as an alias, never for an unknown id.
    assert not store.add_alias(a.article_id, "http://x.edu/old/2.htm")
    assert not store.add_alias(b.article_id, "http://x.edu/new/1.htm")
    assert store.get("http://x.edu/old/2.htm")["id"] == b.article_id
    assert store.add_alias(a.article_id, "https://x.edu/old/1.htm#top")
    assert store.get(a.article_id).get("aliases") == ["http://x.edu/new/1.htm"]
    assert not store.add_alias("0" * 16, "http://x.edu/new/9.htm")
    # The next crawl of the new address finds the article there: no second article.
    again = store.upsert(rec("http://x.edu/new/1.htm"))
    assert again.article_id == a.article_id and store.count() == 2


def test_revisits_carry_what_the_archived_version_says_of_itself(store: Any) -> None:
    fetch = {"encoding": "gb18030", "decode_faults": 0, "status": 200}
    store.upsert(rec("http://x.edu/1.htm", fetch=fetch))
    [rv] = store.revisits("example")
    assert (rv.title, rv.encoding, rv.decode_faults) == (rec()["title"], "gb18030", 0)


def test_a_versions_time_is_when_it_was_first_seen_and_never_moves(store: Any) -> None:
    url = "http://x.edu/v/1.htm"
    store.upsert(rec(url, fetched_at="2026-11-01T00:00:00Z"))
    store.upsert(rec(url, title="改过的标题", fetched_at="2026-11-02T00:00:00Z"))
    before = [(v["version"], v["first_seen"]) for v in store.versions(store.get(url)["id"])]
    assert before == [(1, "2026-11-01T00:00:00Z"), (2, "2026-11-02T00:00:00Z")]
    # Later fetches of the same content: the current version is seen again, not new.
    store.upsert(rec(url, title="改过的标题", fetched_at="2026-11-05T00:00:00Z"))
    store.upsert(rec(url, title="改过的标题", fetched_at="2026-11-09T00:00:00Z"))
    after = [(v["version"], v["first_seen"]) for v in store.versions(store.get(url)["id"])]
    assert after == before


def test_fill_counts_are_the_archives_not_a_runs(store: Any) -> None:
    long = BODY * 2  # over 200 characters
    store.upsert(rec("http://x.edu/f/1.htm", text=long))
    store.upsert(rec("http://x.edu/f/2.htm", text="短讯：明日停电。" + BODY[:20], authors=[]))
    store.upsert(rec("http://x.edu/f/3.htm", text=long + "三", source=None, images=[{"url": "u"}]))
    store.upsert(rec("http://y.edu/1.htm", site="other"))
    got = store.fill_counts("example")
    assert got == {"articles": 3, "title": 3, "published_at": 3, "authors": 2, "source": 2,
                   "text": 2, "images": 1}  # fmt: skip
    assert store.fill_counts("nowhere")["articles"] == 0
