"""Shared fixtures: stores over every backend, the local test site, paths to ../shared."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from storage import ArchiveStore, open_store

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

BACKENDS = [
    "sqlite",
    "mongomock",
    pytest.param("mongodb", marks=pytest.mark.mongodb),
]


def store_uri(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    if backend == "mongomock":
        return f"mongomock://localhost/t{uuid.uuid4().hex[:8]}"
    uri = os.environ.get("MONGODB_URI")
    if not uri:
        pytest.skip("MONGODB_URI is not set: no real MongoDB server here")
    parts = urlsplit(uri)
    return urlunsplit(parts._replace(path=f"/uninews_test_{uuid.uuid4().hex[:8]}"))


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArchiveStore]:
    s = open_store(store_uri(request.param, tmp_path))
    yield s
    if request.param == "mongodb":
        s.db.client.drop_database(s.db.name)  # type: ignore[attr-defined]
    s.close()


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is absent")
    return SHARED


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The web tests' small archive (tests/webarchive.py: tsinghua and mit), as a SQLite file."""
    from tests.webarchive import populate

    uri = f"sqlite:///{tmp_path_factory.mktemp('archive') / 'a.db'}"
    store = open_store(uri)
    populate(store)
    store.close()
    return uri
