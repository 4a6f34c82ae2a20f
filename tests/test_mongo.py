"""MongoDB as a production store: retries that never apply a write twice, racing writers, server
refusals, oversized records, long scans. On mongomock here (faults injected, interleavings
forced); the `mongodb`-marked tests run the same against a real server when MONGODB_URI is set."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from storage import Outcome, RecordError, SearchQuery, StorageError, open_store
from storage.mongo import INDEXES, MongoStore
from tests.conftest import store_uri
from tests.test_store_contract import BODY, raw, rec

pytest.importorskip("mongomock")


@pytest.fixture
def mongo(tmp_path: Any) -> Iterator[MongoStore]:
    store: Any = open_store(f"mongomock://localhost/t{uuid.uuid4().hex[:8]}")
    yield store
    store.close()


class AppliedThenLost:
    """A collection whose `method` raises AutoReconnect `times` times after the server applied
    the write: the connection dropped before the reply came back."""

    def __init__(self, coll: Any, method: str, times: int = 1) -> None:
        self._coll = coll
        self._method = method
        self.left = times

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._coll, name)
        if name != self._method:
            return attr

        def write(*args: Any, **kwargs: Any) -> Any:
            from pymongo.errors import AutoReconnect

            result = attr(*args, **kwargs)
            if self.left > 0:
                self.left -= 1
                raise AutoReconnect("connection closed after the write")
            return result

        return write


def _fast_retries(store: MongoStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import storage.mongo

    monkeypatch.setattr(storage.mongo.time, "sleep", lambda s: None)


URL = "http://news.example.edu.cn/info/1/100.htm"


def test_a_lost_reply_to_the_insert_stores_the_article_and_its_raw_page_once(
    mongo: MongoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fast_retries(mongo, monkeypatch)
    flaky = AppliedThenLost(mongo.articles, "insert_one")
    mongo.articles = flaky  # type: ignore[assignment]
    res = mongo.upsert(rec(URL), raw(URL))
    assert flaky.left == 0  # the fault happened
    assert res.outcome is Outcome.INSERTED
    got = mongo.get(URL)
    assert got is not None and got["seen_count"] == 1 and got["version"] == 1
    assert mongo.raw.count_documents({}) == 1


def test_a_lost_reply_to_a_sighting_counts_it_once(
    mongo: MongoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fast_retries(mongo, monkeypatch)
    mongo.upsert(rec(URL), raw(URL))
    flaky = AppliedThenLost(mongo.articles, "update_one")
    mongo.articles = flaky  # type: ignore[assignment]
    res = mongo.upsert(rec(URL, fetched_at="2026-11-28T00:00:00Z"), raw(URL))
    assert flaky.left == 0
    assert res.outcome is Outcome.UNCHANGED
    assert mongo.get(URL)["seen_count"] == 2  # type: ignore[index]


def test_a_lost_reply_to_a_new_version_keeps_both_versions_and_the_page(
    mongo: MongoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fast_retries(mongo, monkeypatch)
    mongo.upsert(rec(URL), raw(URL))
    flaky = AppliedThenLost(mongo.articles, "replace_one")
    mongo.articles = flaky  # type: ignore[assignment]
    res = mongo.upsert(rec(URL, title="更正后的标题"), raw(URL, b"<html>edited</html>"))
    assert flaky.left == 0
    assert (res.outcome, res.version) == (Outcome.NEW_VERSION, 2)
    assert [v["version"] for v in mongo.versions(res.article_id)] == [1, 2]
    assert mongo.raw.count_documents({}) == 2
    assert mongo.get(URL)["seen_count"] == 2  # type: ignore[index]


def test_a_lost_reply_to_the_raw_page_write_keeps_the_page(
    mongo: MongoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fast_retries(mongo, monkeypatch)
    mongo.raw = AppliedThenLost(mongo.raw, "update_one")  # type: ignore[assignment]
    assert mongo.upsert(rec(URL), raw(URL)).outcome is Outcome.INSERTED
    assert len(list(mongo.raw_pages())) == 1


def test_a_server_gone_for_good_is_a_store_error(
    mongo: MongoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fast_retries(mongo, monkeypatch)
    mongo.retry_seconds = 2
    mongo.articles = AppliedThenLost(mongo.articles, "find_one", times=10**6)  # type: ignore[assignment]
    with pytest.raises(StorageError, match="unreachable"):
        mongo.upsert(rec(URL), raw(URL))


# --- racing writers (forced interleavings) ----------------------------------------------------
def _second_writer(store: MongoStore) -> MongoStore:
    return MongoStore(store.db, safe_uri=store.safe_uri)


def test_a_writer_that_loses_the_race_for_its_own_url_never_aliases_it_to_itself(
    mongo: MongoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B looks the URL up (absent); A inserts it; B then finds A's document by content. Before,
    B recorded a duplicate: the URL became an alias of its own article."""
    a = _second_writer(mongo)
    real_find = mongo._find

    def find_then_a_inserts(url_keys: list[str]) -> Any:
        found = real_find(url_keys)
        if found is None and not a.articles.count_documents({}):
            a.upsert(rec(URL), raw(URL))
        return found

    monkeypatch.setattr(mongo, "_find", find_then_a_inserts)
    res = mongo.upsert(rec(URL), raw(URL))
    assert res.outcome is Outcome.UNCHANGED
    assert mongo.aliases.count_documents({}) == 0
    got = mongo.get(URL)
    assert got is not None and got["aliases"] == [] and got["seen_count"] == 2


def test_two_urls_with_the_same_content_at_once_make_one_article(
    mongo: MongoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B finds no article with its content; A inserts the same content under another URL;
    B inserts. The unique content index makes B's insert fail, and B records an alias."""
    a = _second_writer(mongo)
    real = mongo.articles
    copy = "http://news.example.edu.cn/info/2/100.htm"

    class ContentLookupRace:
        def __getattr__(self, name: str) -> Any:
            attr = getattr(real, name)
            if name != "find_one":
                return attr

            def find_one(flt: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
                found = attr(flt, *args, **kwargs)
                if "content_hash" in flt and not a.articles.count_documents({}):
                    a.upsert(rec(URL), raw(URL))  # A, between B's lookup and B's insert
                return found

            return find_one

    mongo.articles = ContentLookupRace()  # type: ignore[assignment]
    res = mongo.upsert(rec(copy), raw(copy))
    assert res.outcome is Outcome.DUPLICATE
    assert real.count_documents({}) == 1
    assert mongo.get(copy)["url"] == URL  # type: ignore[index]


# --- what the server refuses -------------------------------------------------------------------
def test_a_record_too_large_for_a_document_loses_its_html_then_fails_alone(
    mongo: MongoStore,
) -> None:
    from storage.common import prepare

    big_html = rec("http://x.edu/big-html", html="<p>" + "x" * (16 * 1024 * 1024) + "</p>")
    res = mongo.upsert(big_html, raw(big_html["url"]))
    assert res.outcome is Outcome.INSERTED
    stored = mongo.get(big_html["url"])
    assert stored is not None and stored["html"] is None and stored["text"] == BODY

    too_big = rec("http://x.edu/big-text", text="字" * (6 * 1024 * 1024))  # 18 MB of UTF-8
    batch = [prepare(rec(f"http://x.edu/{i}", text=BODY + str(i))) for i in range(3)]
    batch.insert(1, prepare(too_big))
    results = mongo.upsert_many(batch)
    assert isinstance(results[1], RecordError) and "big-text" in str(results[1])
    assert [r.outcome for r in results if not isinstance(r, RecordError)] == [Outcome.INSERTED] * 3
    assert mongo.count() == 4


class FakeBucket:
    """GridFSBucket's calls the store makes, in memory: mongomock's own GridFS does not run with
    pymongo 4.20 (the real one is exercised by the `mongodb` test below)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def find(self, flt: dict[str, Any]) -> Any:
        class Found(list):  # type: ignore[type-arg]
            def limit(self, n: int) -> Found:
                return self

        return Found([flt["_id"]] if flt["_id"] in self.files else [])

    def upload_from_stream_with_id(self, file_id: str, name: str, data: bytes) -> None:
        self.files[file_id] = data

    def open_download_stream(self, file_id: str) -> Any:
        import io

        return io.BytesIO(self.files[file_id])


def _big_page(store: MongoStore) -> bytes:
    import os

    body = os.urandom(17 * 1024 * 1024)  # incompressible: 17 MB compressed too
    store.upsert(rec(URL), raw(URL, body))
    return body


def test_a_raw_page_over_the_document_limit_goes_to_gridfs(
    mongo: MongoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = FakeBucket()
    monkeypatch.setattr(mongo, "_bucket", lambda: bucket)
    body = _big_page(mongo)
    [(record, page)] = list(mongo.raw_pages())
    assert record["url"] == URL and page.body == body
    doc = mongo.raw.find_one({})
    assert doc is not None and doc["body"] is None and doc["body_gridfs"] in bucket.files


@pytest.mark.mongodb
def test_a_raw_page_over_the_document_limit_on_a_real_server(real: MongoStore) -> None:
    body = _big_page(real)
    [(_, page)] = list(real.raw_pages())
    assert page.body == body


def test_opening_on_a_conflicting_hand_made_index_is_one_line(tmp_path: Any) -> None:
    import mongomock

    client = mongomock.MongoClient()
    client.uninews.articles.create_index([("title", 1)], name="pub_first_v2")
    with pytest.raises(StorageError) as err:
        MongoStore._open(client, "uninews", "mongodb://h/uninews", readonly=False)
    assert "\n" not in str(err.value) and "conflicts with uninews' own" in str(err.value)


def test_a_user_who_may_only_read_can_query_and_is_told_why_crawls_fail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mongomock
    from pymongo.errors import OperationFailure

    client = mongomock.MongoClient()
    MongoStore._open(client, "uninews", "mongodb://h/uninews", readonly=False).upsert(rec(URL))

    def not_authorized(*args: Any, **kwargs: Any) -> None:
        raise OperationFailure("not authorized on uninews to execute command", code=13)

    monkeypatch.setattr(mongomock.collection.Collection, "create_index", not_authorized)
    with pytest.raises(StorageError) as err:
        MongoStore._open(client, "uninews", "mongodb://h/uninews", readonly=False)
    assert "readWrite" in str(err.value) and "\n" not in str(err.value)
    reader = MongoStore._open(client, "uninews", "mongodb://h/uninews", readonly=True)
    assert [r["url"] for r in reader.search(SearchQuery(text="党建"))] == [URL]


def test_a_query_of_a_database_that_is_no_archive_creates_nothing() -> None:
    import mongomock

    client = mongomock.MongoClient()
    with pytest.raises(StorageError, match="no archive"):
        MongoStore._open(client, "empty", "mongodb://h/empty", readonly=True)
    assert client.empty.list_collection_names() == []


def test_old_index_names_are_dropped_for_the_new_ones() -> None:
    import mongomock

    client = mongomock.MongoClient()
    client.uninews.articles.create_index([("site", 1), ("pub_utc", -1)], name="site_pub")
    client.uninews.articles.create_index("terms", name="terms")
    MongoStore._open(client, "uninews", "mongodb://h/uninews", readonly=False)
    names = set(client.uninews.articles.index_information())
    assert not names & {"site_pub", "terms"}
    assert {o["name"] for c, _, o in INDEXES if c == "articles"} <= names


# --- long scans ------------------------------------------------------------------------------
def test_known_urls_asks_in_chunks(mongo: MongoStore, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    real = mongo.articles.find

    def spy(flt: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        sizes.append(len(flt["url_key"]["$in"]))
        return real(flt, *args, **kwargs)

    mongo.upsert(rec("http://x.edu/7"))
    monkeypatch.setattr(mongo.articles, "find", spy)
    urls = [f"http://x.edu/{i}" for i in range(2500)]
    assert mongo.known_urls(urls) == {"http://x.edu/7"}
    assert sizes == [1000, 1000, 500]


def test_reprocessing_sees_each_article_once_while_records_change(mongo: MongoStore) -> None:
    for i in range(30):
        url = f"http://x.edu/{i}"
        mongo.upsert(
            rec(url, text=BODY + str(i), published_at=f"2016-03-{1 + i % 28:02d}T08:00:00+08:00"),
            raw(url),
        )
    seen = []
    for record, _ in mongo.raw_pages():
        seen.append(record["id"])
        # A new version mid-scan moves the record in every sort order; it must not come round twice.
        mongo.upsert({**{k: v for k, v in record.items() if k not in ("id",)}, "title": "新"})
    assert len(seen) == len(set(seen)) == 30


# --- queries served by indexes ------------------------------------------------------------
def _serving(
    index_keys: list[tuple[str, int]], equal: set[str], sort: list[tuple[str, int]]
) -> bool:
    """Whether an index serves a sort after equality on some fields (MongoDB's rule)."""
    fields = [f for f, _ in index_keys]
    i = 0
    while i < len(fields) and fields[i] in equal:
        i += 1
    rest = index_keys[i : i + len(sort)]
    return rest == sort or rest == [(f, -d) for f, d in sort]


@pytest.mark.parametrize(
    ("equal", "sort"),
    [
        (set(), [("pub_utc", -1), ("first_seen", -1)]),  # export, search without filters
        ({"site"}, [("pub_utc", -1), ("first_seen", -1)]),  # --site
        ({"terms"}, [("pub_utc", -1), ("first_seen", -1)]),  # a keyword
        ({"site"}, [("pub_utc", 1)]),  # stats: a site's first article
    ],
)
def test_every_sort_the_store_asks_for_has_an_index(
    equal: set[str], sort: list[tuple[str, int]]
) -> None:
    assert any(_serving(keys_, equal, sort) for c, keys_, _ in INDEXES if c == "articles")


def test_search_pushes_its_limit_to_the_server(
    mongo: MongoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(30):
        mongo.upsert(rec(f"http://x.edu/{i}", text=BODY + str(i)))
    limits: list[int] = []
    real_find = mongo.articles.find

    def spy(*args: Any, **kwargs: Any) -> Any:
        cursor = real_find(*args, **kwargs)
        real_limit = cursor.limit

        def limit(n: int) -> Any:
            limits.append(n)
            return real_limit(n)

        cursor.limit = limit
        return cursor

    monkeypatch.setattr(mongo.articles, "find", spy)
    assert len(list(mongo.search(SearchQuery(text="党建", limit=5)))) == 5
    assert limits == [5]
    assert mongo.count_matches(SearchQuery(text="党建")) == 30


def test_a_date_range_is_bounded_on_the_indexed_instant_and_exact_on_the_local_day(
    mongo: MongoStore,
) -> None:
    # 00:30 in Shanghai on 3 March is 16:30 UTC on 2 March: it belongs to the 3rd.
    mongo.upsert(rec("http://x.edu/a", text=BODY + "a", published_at="2016-03-03T00:30:00+08:00"))
    mongo.upsert(rec("http://x.edu/b", text=BODY + "b", published_at="2016-03-02T23:30:00+08:00"))
    mongo.upsert(rec("http://x.edu/c", text=BODY + "c", published_at="2016-03-03T23:59:00-10:00"))
    flt = MongoStore._filter(None, "2016-03-03", "2016-03-03")
    assert "pub_utc" in flt  # an index bound
    got = {
        r["url"]
        for r in mongo.search(SearchQuery(since="2016-03-03", until="2016-03-03", limit=None))
    }
    assert got == {"http://x.edu/a", "http://x.edu/c"}


# --- against a real server (GitHub Actions: mongo:7) ----------------------------------------
@pytest.fixture
def real(tmp_path: Any) -> Iterator[MongoStore]:
    store: Any = open_store(store_uri("mongodb", tmp_path))
    yield store
    store.db.client.drop_database(store.db.name)
    store.close()


def _plan(explained: dict[str, Any]) -> str:
    return str(explained.get("queryPlanner", {}).get("winningPlan", explained))


def _fill(store: MongoStore, n: int = 200) -> None:
    for i in range(n):
        store.upsert(rec(f"http://x.edu/{i}", text=BODY + str(i), site="s" + str(i % 3)))


QUERIES: list[tuple[str, Callable[[MongoStore], Any]]] = [
    (
        "search",
        lambda s: (
            s.articles.find({"terms": {"$all": ["党建"]}})
            .sort([("pub_utc", -1), ("first_seen", -1)])
            .limit(20)
        ),
    ),
    (
        "search --site",
        lambda s: (
            s.articles.find({"site": "s1"}).sort([("pub_utc", -1), ("first_seen", -1)]).limit(20)
        ),
    ),
    ("export", lambda s: s.articles.find({}).sort([("pub_utc", -1), ("first_seen", -1)])),
    (
        "since/until",
        lambda s: s.articles.find(MongoStore._filter("s1", "2016-03-01", "2016-03-31")).sort(
            [("pub_utc", -1), ("first_seen", -1)]
        ),
    ),
    (
        "stats first",
        lambda s: (
            s.articles.find({"site": "s1", "pub_utc": {"$ne": None}})
            .sort([("pub_utc", 1)])
            .limit(1)
        ),
    ),
]


@pytest.mark.mongodb
@pytest.mark.parametrize(("name", "query"), QUERIES, ids=[q[0] for q in QUERIES])
def test_queries_use_indexes_on_a_real_server(
    real: MongoStore, name: str, query: Callable[[MongoStore], Any]
) -> None:
    _fill(real)
    plan = _plan(query(real).explain())
    assert "COLLSCAN" not in plan, plan
    assert "'stage': 'SORT'" not in plan, plan  # no blocking sort


@pytest.mark.mongodb
def test_counts_use_indexes_on_a_real_server(real: MongoStore) -> None:
    _fill(real)
    cmd = {"aggregate": "articles", "pipeline": [{"$match": {}}, {"$group": {"_id": 1, "n": {"$sum": 1}}}],
           "hint": "_id_", "explain": True}  # fmt: skip
    assert "COLLSCAN" not in str(real.db.command(cmd))
    assert real.count() == 200 and real.count("s1") == 67
    assert [r["articles"] for r in real.stats()] == [67, 67, 66]


@pytest.mark.mongodb
def test_a_17_mb_record_on_a_real_server(real: MongoStore) -> None:
    big = rec("http://x.edu/big", html="<p>" + "x" * (17 * 1024 * 1024) + "</p>")
    assert real.upsert(big, raw(big["url"])).outcome is Outcome.INSERTED
    assert real.get(big["url"])["html"] is None  # type: ignore[index]


@pytest.mark.mongodb
def test_a_cursor_timeout_does_not_break_reprocessing(real: MongoStore) -> None:
    for i in range(50):
        url = f"http://x.edu/{i}"
        real.upsert(rec(url, text=BODY + str(i)), raw(url))
    real.db.client.admin.command("setParameter", 1, cursorTimeoutMillis=1000)
    try:
        import time

        seen = 0
        for _ in real.raw_pages():
            seen += 1
            if seen == 1:
                time.sleep(2.5)  # past the server's cursor timeout: nothing may depend on one
        assert seen == 50
    finally:
        real.db.client.admin.command("setParameter", 1, cursorTimeoutMillis=600000)


def _with_auth() -> None:
    import os

    if not os.environ.get("MONGODB_AUTH"):
        pytest.skip("MONGODB_AUTH is not set: the server has no authentication on")


@pytest.mark.mongodb
def test_a_read_only_user_on_a_real_server(real: MongoStore, tmp_path: Any) -> None:
    from urllib.parse import urlsplit, urlunsplit

    _with_auth()
    real.upsert(rec(URL))
    name = real.db.name
    real.db.command("createUser", "reader", pwd="reader-pw", roles=[{"role": "read", "db": name}])
    base = urlsplit(store_uri("mongodb", tmp_path))
    reader_uri = urlunsplit(base._replace(netloc=f"reader:reader-pw@{base.hostname}:{base.port}",
                                          path=f"/{name}", query=""))  # fmt: skip
    reader: Any = open_store(reader_uri, readonly=True)
    try:
        assert [r["url"] for r in reader.search(SearchQuery(text="党建"))] == [URL]
    finally:
        reader.close()
    with pytest.raises(StorageError, match="readWrite"):
        open_store(reader_uri)
    wrong = urlunsplit(base._replace(netloc=f"reader:nope@{base.hostname}:{base.port}",
                                     path=f"/{name}", query=""))  # fmt: skip
    with pytest.raises(StorageError, match="authSource=admin"):
        open_store(wrong)
    real.db.command("dropUser", "reader")


def _explain_find(db: Any, coll: str, flt: dict[str, Any], **extra: Any) -> str:
    return str(
        db.command("explain", {"find": coll, "filter": flt, **extra}, verbosity="queryPlanner")
    )


DOC_FINDS: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("1 site and month", "articles", {"site": "example", "pub_date": {"$gte": "2016-03-01", "$lt": "2016-04-01"}}, {"sort": {"pub_utc": -1}}),
    ("2 person", "articles", {"people": "李含"}, {"sort": {"pub_utc": -1}}),
    ("2 part of a name", "articles", {"people": {"$regex": "smith", "$options": "i"}}, {"hint": "people_v2"}),
    ("3 Chinese keyword", "articles", {"terms": {"$all": ["党建"]}}, {"sort": {"pub_utc": -1}}),
    ("4 English keyword", "articles", {"terms": {"$all": ["quantum", "computing"]}}, {}),
    ("5 by url_key", "articles", {"url_key": "x.edu/1"}, {}),
    ("5 versions", "versions", {"article_id": "1238548e0739aa75"}, {"sort": {"version": 1}}),
    ("6 aliases of one", "aliases", {"article_id": "1238548e0739aa75"}, {}),
    ("9 latest raw page", "raw_pages", {"article_id": "1238548e0739aa75"}, {"sort": {"fetched_at": -1}, "limit": 1}),
]  # fmt: skip


@pytest.mark.mongodb
@pytest.mark.parametrize(("name", "coll", "flt", "extra"), DOC_FINDS, ids=[q[0] for q in DOC_FINDS])
def test_documented_queries_use_an_index_on_a_real_server(
    real: MongoStore, name: str, coll: str, flt: dict[str, Any], extra: dict[str, Any]
) -> None:
    _fill(real)
    plan = _explain_find(real.db, coll, flt, **extra)
    assert "COLLSCAN" not in plan and "'stage': 'SORT'" not in plan, plan


@pytest.mark.mongodb
def test_documented_alias_and_run_aggregations_use_an_index_on_a_real_server(
    real: MongoStore,
) -> None:
    from tests.test_deploy_files import DOC_QUERY_6

    _fill(real)
    real.upsert(rec("http://x.edu/copy/1", text=BODY + "1", site="s1"))
    plan = str(real.db.command("aggregate", "aliases", pipeline=DOC_QUERY_6, explain=True))
    assert "COLLSCAN" not in plan, plan
    runs = [
        {"$sort": {"site": 1, "started_at": -1}},
        {"$group": {"_id": "$site", "s": {"$first": "$status"}}},
    ]
    plan = str(real.db.command("aggregate", "runs", pipeline=runs, explain=True))
    assert "COLLSCAN" not in plan, plan
