"""Re-extraction from stored raw pages (offline), versions on show, and a store that goes away."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crawler.records import extract_record
from crawler.reprocess import reprocess
from crawler.sites import Site
from storage import Outcome, RawPage, StorageError, open_store
from tests.conftest import store_uri
from tests.crawling import uninews
from tests.sitegen import build_site

SITE = Site(
    name="thu-test",
    title="t",
    base_url="http://news.tsinghua.edu.cn/",
    listings=["publish/news/4205/index.html"],
    article_url=r"^/publish/(news|thunews)/\d+/(\d{4}/)?\d{23}/\d{23}_\.html$",
    source="清华新闻网",
)


def _raw(url: str, body: bytes) -> RawPage:
    return RawPage(url, url, 200, {"Content-Type": "text/html"}, body, "2026-11-27T00:00:00Z")


@pytest.mark.parametrize("backend", ["sqlite", "mongomock"])
def test_reprocess_rewrites_only_what_changed(
    tmp_path: Path, backend: str, monkeypatch: Any
) -> None:
    m = build_site(tmp_path / "site")
    uri = store_uri(backend, tmp_path)
    store = open_store(uri)
    entries = [a for a in m.articles if a.layout == "legacy"][:5]
    for i, e in enumerate(entries):
        raw = _raw(e.url, m.file_for(e.url).read_bytes())
        rec = extract_record(raw, SITE)
        assert isinstance(rec, dict)
        if i == 0:
            rec["title"] = "an older extractor got this wrong"
            rec["authors"] = []
        assert store.upsert(rec, raw).outcome is Outcome.INSERTED
    monkeypatch.setattr("crawler.reprocess.load_sites", lambda sites_dir=None: {"thu-test": SITE})
    counts = reprocess(store, site="thu-test")
    assert counts == {"new_version": 1, "unchanged": 4}
    fixed = store.get(entries[0].url)
    assert fixed is not None
    assert fixed["title"] == entries[0].record.title
    assert fixed["version"] == 2
    versions = store.versions(fixed["id"])
    assert versions[0]["record"]["title"] == "an older extractor got this wrong"
    assert "title" in versions[1]["changed"]
    assert reprocess(store, site="thu-test") == {"unchanged": 5}
    store.close()


def test_show_versions_lists_changes(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    s = open_store(uri)
    base = {"url": "http://x.edu/a/1.htm", "site": "x", "title": "Old title", "text": "Body " * 40,
            "published_at": "2020-01-01T00:00:00+08:00"}  # fmt: skip
    s.upsert(base)
    s.upsert({**base, "title": "New title"})
    s.close()
    out = uninews("show", "http://x.edu/a/1.htm", "--versions", "--store", uri)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("v1") and "first version" in lines[0]
    assert lines[1].startswith("v2") and "title" in lines[1] and "New title" in lines[1]
    data = json.loads(
        uninews(
            "show", "http://x.edu/a/1.htm", "--versions", "--format", "json", "--store", uri
        ).stdout
    )
    assert [v["version"] for v in data] == [1, 2]


def test_mongo_store_retries_while_the_server_is_away(monkeypatch: Any) -> None:
    from pymongo.errors import AutoReconnect

    store = open_store("mongomock://localhost/retrytest")
    store.retry_seconds = 1.0  # type: ignore[attr-defined]
    monkeypatch.setattr("storage.mongo.time.sleep", lambda s: None)
    real = store.articles.insert_one  # type: ignore[attr-defined]
    failures = {"left": 2}

    def flaky(doc: dict[str, Any]) -> Any:
        if failures["left"]:
            failures["left"] -= 1
            raise AutoReconnect("connection reset")
        return real(doc)

    monkeypatch.setattr(store.articles, "insert_one", flaky)  # type: ignore[attr-defined]
    rec = {"url": "http://x.edu/1", "site": "x", "title": "t", "text": "body " * 30}
    assert store.upsert(rec).outcome is Outcome.INSERTED
    assert store.count() == 1

    failures["left"] = 10**6  # gone for good: a clear error, nothing half-written
    with pytest.raises(StorageError) as err:
        store.upsert({**rec, "url": "http://x.edu/2", "text": "other " * 30})
    assert "unreachable" in str(err.value)
    assert store.count() == 1


def test_show_says_withdrawn_and_when(tmp_path: Path) -> None:
    from storage.base import WITHDRAWN

    uri = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    s = open_store(uri)
    base = {"url": "http://x.edu/a/1.htm", "site": "x", "title": "Old title", "text": "Body " * 40,
            "published_at": "2020-01-01T00:00:00+08:00"}  # fmt: skip
    aid = s.upsert(base).article_id
    s.record_check(aid, WITHDRAWN, "2026-11-28T12:00:00Z", None)
    s.close()
    out = uninews("show", "http://x.edu/a/1.htm", "--store", uri)
    assert out.returncode == 0, out.stderr
    [line] = [ln for ln in out.stdout.splitlines() if "withdrawn:" in ln]
    assert "2026-11-28T12:00:00Z" in line
