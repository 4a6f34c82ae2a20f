"""The SQLite archive's binaries: a `blobs` table (the bytes, once per sha256) and `blob_urls`
(which URL served which bytes, with its name and validators), in the archive file itself."""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TypeVar

from storage import keys
from storage.base import StorageError
from storage.blobs import Blob, BlobOutcome, check_body
from storage.common import utcnow

T = TypeVar("T")

BLOB_SCHEMA = """
CREATE TABLE IF NOT EXISTS blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mime TEXT NOT NULL,
    body BLOB NOT NULL,
    stored_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blob_urls (
    url_key TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs (sha256),
    name TEXT,
    mime TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT
);
CREATE INDEX IF NOT EXISTS blob_urls_sha ON blob_urls (sha256);
"""

_URL_COLS = "url, sha256, size, mime, name, fetched_at, etag, last_modified"


def _guarded(fn: Callable[..., T]) -> Callable[..., T]:
    """A SQLite fault leaves a blob method as the store's one-line StorageError."""

    @functools.wraps(fn)
    def wrapper(self: SQLiteBlobs, *args: Any, **kwargs: Any) -> T:
        try:
            return fn(self, *args, **kwargs)
        except sqlite3.Error as exc:
            from storage.sqlite import _describe  # the module that mixes this in

            raise StorageError(_describe(self.path, exc)) from None

    return wrapper


class SQLiteBlobs:
    """The blob half of the storage contract, mixed into SQLiteStore."""

    path: Path
    readonly: bool
    _db: sqlite3.Connection
    _reader: sqlite3.Connection
    _lock: threading.RLock
    _read_lock: threading.Lock
    _tx: Callable[[], AbstractContextManager[sqlite3.Connection]]
    _stream: Callable[[str, list[Any]], Iterator[Any]]

    def _create_blob_schema(self, db: sqlite3.Connection) -> None:
        for stmt in BLOB_SCHEMA.split(";"):
            if stmt.strip():
                db.execute(stmt)

    def _have_blobs(self) -> bool:
        # A read-only look at an archive made before binaries were kept: none are (until a
        # crawl of this version opens it: only a yes is remembered).
        if getattr(self, "_blobs_table", False):
            return True
        self._blobs_table = bool(
            self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'blobs'"
            ).fetchone()
        )
        return self._blobs_table

    @_guarded
    def put_blob(self, blob: Blob, body: bytes) -> BlobOutcome:
        """Keep the bytes (once per sha256) and remember that `blob.url` served them."""
        check_body(blob, body)
        key = keys.url_key(blob.url)
        with self._lock, self._tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO blobs VALUES (?, ?, ?, ?, ?)",
                (blob.sha256, blob.size, blob.mime, body, utcnow()),
            )
            outcome = BlobOutcome.STORED if cur.rowcount else BlobOutcome.KNOWN
            db.execute(
                "INSERT INTO blob_urls VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url_key)"
                " DO UPDATE SET url = excluded.url, sha256 = excluded.sha256,"
                " name = excluded.name, mime = excluded.mime, fetched_at = excluded.fetched_at,"
                " etag = excluded.etag, last_modified = excluded.last_modified",
                (
                    key,
                    blob.url,
                    blob.sha256,
                    blob.name,
                    blob.mime,
                    blob.fetched_at,
                    blob.etag,
                    blob.last_modified,
                ),
            )
        return outcome

    @_guarded
    def blob_for_url(self, url: str) -> Blob | None:
        """What the archive keeps of the file at `url` (any form of it), or None."""
        if not self._have_blobs():
            return None
        with self._read_lock:
            row = self._reader.execute(
                f"SELECT {_URL_COLS.replace('size', 'b.size').replace('mime', 'u.mime')}"
                " FROM blob_urls u JOIN blobs b USING (sha256) WHERE u.url_key = ?",
                (keys.url_key(url),),
            ).fetchone()
        return Blob(*row) if row else None

    @_guarded
    def get_blob(self, sha256: str) -> tuple[Blob, bytes] | None:
        """The bytes with that hash, and a URL that served them (the latest fetch)."""
        if not self._have_blobs():
            return None
        row = self._db.execute(
            "SELECT b.size, b.mime, b.body, u.url, u.name, u.fetched_at, u.etag,"
            " u.last_modified, b.stored_at FROM blobs b LEFT JOIN blob_urls u USING (sha256)"
            " WHERE b.sha256 = ? ORDER BY u.fetched_at DESC LIMIT 1",
            (sha256,),
        ).fetchone()
        if row is None:
            return None
        size, mime, body, url, name, fetched_at, etag, modified, stored_at = row
        blob = Blob(url or "", sha256, size, mime, name, fetched_at or stored_at, etag, modified)
        return blob, bytes(body)

    def iter_blobs(self) -> Iterator[Blob]:
        """Every URL's archived file (metadata only), oldest fetch first, streamed."""
        try:
            if not self._have_blobs():
                return
            sql = (
                f"SELECT {_URL_COLS.replace('size', 'b.size').replace('mime', 'u.mime')}"
                " FROM blob_urls u JOIN blobs b USING (sha256) ORDER BY u.fetched_at, u.url_key"
            )
            yield from (Blob(*row) for row in self._stream(sql, []))  # its own connection
        except sqlite3.Error as exc:
            from storage.sqlite import _describe

            raise StorageError(_describe(self.path, exc)) from None

    @_guarded
    def blob_stats(self) -> dict[str, int]:
        """How many distinct files the archive keeps, their bytes, and the URLs that serve them."""
        if not self._have_blobs():
            return {"files": 0, "bytes": 0, "urls": 0}
        files, size = self._db.execute(
            "SELECT count(*), coalesce(sum(size), 0) FROM blobs"
        ).fetchone()
        (urls,) = self._db.execute("SELECT count(*) FROM blob_urls").fetchone()
        return {"files": files, "bytes": size, "urls": urls}
