"""The storage contract for archived binaries (images, attachments, styles), over every backend."""

from __future__ import annotations

import os
from typing import Any

import pytest

from storage import Outcome, open_store
from storage.blobs import ARCHIVED, Blob, BlobOutcome, blob_sha
from tests.test_store_contract import rec

PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(2000)
DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "研究生招生简章".encode() * 50


def blob(url: str, body: bytes, mime: str = "image/png", name: str | None = None) -> Blob:
    return Blob(url, blob_sha(body), len(body), mime, name, "2026-11-27T00:00:00Z", '"e1"', None)


def test_a_file_is_kept_once_and_found_by_url(store: Any) -> None:
    a = "http://news.example.edu.cn/__local/A/1.png"
    b = "https://news.example.edu.cn/images/same.png"
    assert store.blob_for_url(a) is None
    assert store.put_blob(blob(a, PNG), PNG) is BlobOutcome.STORED
    # The same bytes under another URL, and the same URL fetched again: no second copy.
    assert store.put_blob(blob(b, PNG), PNG) is BlobOutcome.KNOWN
    assert store.put_blob(blob(a, PNG), PNG) is BlobOutcome.KNOWN
    assert store.blob_stats() == {"files": 1, "bytes": len(PNG), "urls": 2}
    found = store.blob_for_url("https://news.example.edu.cn/__local/A/1.png#x")
    assert found == blob(a, PNG)
    got = store.get_blob(blob_sha(PNG))
    assert got is not None and got[1] == PNG and got[0].mime == "image/png"
    assert store.get_blob("0" * 64) is None


def test_an_attachment_keeps_its_name_and_type(store: Any) -> None:
    url = "http://yjs.example.edu.cn/system/_content/download.jsp?urltype=news.DownloadAttachUrl&owner=1&wbfileid=7"
    mime = "application/msword"
    store.put_blob(blob(url, DOC, mime, "2027年招生简章.doc"), DOC)
    found = store.blob_for_url(url)
    assert found is not None
    assert (found.name, found.mime, found.size) == ("2027年招生简章.doc", mime, len(DOC))
    assert [b.url for b in store.iter_blobs()] == [url]


def test_a_url_that_serves_new_bytes_points_at_them_and_the_old_stay(store: Any) -> None:
    url = "http://news.example.edu.cn/images/banner.png"
    store.put_blob(blob(url, PNG), PNG)
    other = PNG + b"edited"
    assert store.put_blob(blob(url, other), other) is BlobOutcome.STORED
    found = store.blob_for_url(url)
    assert found is not None and found.sha256 == blob_sha(other)
    assert store.get_blob(blob_sha(PNG)) is not None  # a stored version may still show it
    assert store.blob_stats()["files"] == 2


def test_bytes_that_do_not_match_their_hash_are_refused(store: Any) -> None:
    url = "http://news.example.edu.cn/images/x.png"
    with pytest.raises(ValueError, match="do not match"):
        store.put_blob(blob(url, PNG), PNG + b"x")
    assert store.blob_for_url(url) is None
    assert store.blob_stats()["files"] == 0


def test_an_archived_copy_on_the_record_never_makes_a_new_version(store: Any) -> None:
    image = {"url": "http://news.example.edu.cn/__local/A/1.png", "caption": "主楼", "credit": None}
    first = store.upsert(rec(images=[image]))
    archived = {**image, ARCHIVED: blob(image["url"], PNG).ref()}
    again = store.upsert(rec(images=[archived], fetched_at="2026-11-28T00:00:00Z"))
    assert again.outcome is Outcome.UNCHANGED and again.version == first.version
    # A real change of the images still is one, and says which field changed.
    moved = store.upsert(rec(images=[{**archived, "caption": "新主楼"}]))
    assert moved.outcome is Outcome.NEW_VERSION
    assert store.versions(first.article_id)[-1]["changed"] == ["images"]
    assert store.get(first.article_id)["images"][0][ARCHIVED]["sha256"] == blob_sha(PNG)


def test_blobs_survive_reopening_and_read_only_opens(tmp_path: Any) -> None:
    uri = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    s = open_store(uri)
    s.put_blob(blob("http://x.edu.cn/a.png", PNG), PNG)
    s.close()
    ro = open_store(uri, readonly=True)
    try:
        got = ro.get_blob(blob_sha(PNG))
        assert got is not None and got[1] == PNG
        assert ro.blob_stats()["files"] == 1
    finally:
        ro.close()


def test_a_file_past_the_document_limit_goes_to_gridfs(monkeypatch: pytest.MonkeyPatch) -> None:
    from storage import mongo_blobs
    from tests.test_mongo import FakeBucket

    store: Any = open_store("mongomock://localhost/blobs_gridfs")
    bucket = FakeBucket()
    monkeypatch.setattr(store, "_blob_bucket", lambda: bucket)
    monkeypatch.setattr(mongo_blobs, "INLINE_MAX", 1000)
    try:
        url = "http://yjs.example.edu.cn/big.doc"
        assert store.put_blob(blob(url, DOC, "application/msword"), DOC) is BlobOutcome.STORED
        assert store.put_blob(blob(url, DOC, "application/msword"), DOC) is BlobOutcome.KNOWN
        assert list(bucket.files) == [blob_sha(DOC)]
        doc = store.db["blobs"].find_one({})
        assert doc["body"] is None
        got = store.get_blob(blob_sha(DOC))
        assert got is not None and got[1] == DOC and got[0].url == url
    finally:
        store.close()


@pytest.mark.mongodb
def test_a_file_past_the_document_limit_on_a_real_server(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage import mongo_blobs
    from tests.conftest import store_uri

    store: Any = open_store(store_uri("mongodb", tmp_path))
    monkeypatch.setattr(mongo_blobs, "INLINE_MAX", 1000)
    try:
        url = "http://yjs.example.edu.cn/big.doc"
        assert store.put_blob(blob(url, DOC, "application/msword"), DOC) is BlobOutcome.STORED
        assert store.put_blob(blob(url, DOC, "application/msword"), DOC) is BlobOutcome.KNOWN
        got = store.get_blob(blob_sha(DOC))
        assert got is not None and got[1] == DOC
        assert store.db["blob_bodies.files"].count_documents({}) == 1
    finally:
        store.db.client.drop_database(store.db.name)
        store.close()


def test_an_archive_from_before_files_reads_as_keeping_none(tmp_path: Any) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    open_store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as db:  # as schema 5 left it
        db.execute("DROP TABLE blob_urls")
        db.execute("DROP TABLE blobs")
    reader: Any = open_store(f"sqlite:///{path}", readonly=True)
    try:
        assert reader.blob_for_url("http://x.edu.cn/a.png") is None
        assert reader.blob_stats() == {"files": 0, "bytes": 0, "urls": 0}
        writer: Any = open_store(f"sqlite:///{path}")  # a crawl of this version upgrades it
        writer.put_blob(blob("http://x.edu.cn/a.png", PNG), PNG)
        writer.close()
        assert reader.blob_for_url("http://x.edu.cn/a.png") is not None  # seen without reopening
    finally:
        reader.close()
