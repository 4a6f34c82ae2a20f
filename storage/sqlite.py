"""The embedded archive: one SQLite file (WAL, FTS5 bigram index), zero setup."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from urllib.parse import quote

from storage import keys, locks
from storage.base import (
    WITHDRAWN,
    Capture,
    Outcome,
    RawPage,
    RecordError,
    Revisit,
    RunRecord,
    SearchQuery,
    StorageError,
    StoreResult,
)
from storage.common import (
    FILL_FIELDS,
    TEXT_FILLED,
    Prepared,
    decompress,
    fetched_earlier,
    is_substantial,
    other_keys,
    prepare,
    utcnow,
    with_changes,
)
from storage.sqlite_blobs import SQLiteBlobs

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

SCHEMA_VERSION = 6  # 2: runs.host; 3: revisits (next_check … withdrawn_at, changed_at);
# 4: raw_pages.request (request headers), captures (refetches of bytes already kept), and
# the articles_site_month index (a site's articles per month); 5: runs.node (Scrapyd);
# 6: blobs and blob_urls (archived images, attachments, styles: storage/sqlite_blobs.py)
# Columns added after the first schema, with their types: old archives get them at open.
_ADDED_ARTICLE_COLUMNS = (
    ("next_check", "TEXT"),
    ("last_checked", "TEXT"),
    ("checks", "INTEGER NOT NULL DEFAULT 0"),
    ("last_check", "TEXT"),
    ("withdrawn_at", "TEXT"),
    ("changed_at", "TEXT"),
)
# What a query reads of an article: the record, then the store's own fields it shows.
_REC_COLS = (
    "record",
    "last_seen",
    "seen_count",
    "id",
    "withdrawn_at",
    "changed_at",
    "last_checked",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    url_key TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    url TEXT NOT NULL,
    pub_utc TEXT,
    pub_date TEXT,
    content_hash TEXT NOT NULL,
    record_hash TEXT NOT NULL,
    version INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    seen_count INTEGER NOT NULL,
    people TEXT NOT NULL,
    record TEXT NOT NULL,
    next_check TEXT,
    last_checked TEXT,
    checks INTEGER NOT NULL DEFAULT 0,
    last_check TEXT,
    withdrawn_at TEXT,
    changed_at TEXT
);
CREATE INDEX IF NOT EXISTS articles_site_pub ON articles (site, pub_utc);
CREATE INDEX IF NOT EXISTS articles_pub ON articles (pub_utc);
CREATE INDEX IF NOT EXISTS articles_content ON articles (content_hash);
CREATE INDEX IF NOT EXISTS articles_site_month ON articles (site, pub_date);
CREATE TABLE IF NOT EXISTS aliases (
    url_key TEXT PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles (id),
    url TEXT NOT NULL,
    first_seen TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS aliases_article ON aliases (article_id);
CREATE TABLE IF NOT EXISTS versions (
    article_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    stored_at TEXT NOT NULL,
    changed TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (article_id, version)
);
CREATE TABLE IF NOT EXISTS raw_pages (
    article_id TEXT NOT NULL,
    body_sha TEXT NOT NULL,
    url TEXT NOT NULL,
    final_url TEXT NOT NULL,
    status INTEGER NOT NULL,
    headers TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    body BLOB NOT NULL,
    request TEXT,
    PRIMARY KEY (article_id, body_sha)
);
CREATE TABLE IF NOT EXISTS captures (
    article_id TEXT NOT NULL,
    body_sha TEXT NOT NULL,
    url TEXT NOT NULL,
    status INTEGER NOT NULL,
    headers TEXT NOT NULL,
    request TEXT,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (article_id, fetched_at, url)
);
CREATE VIRTUAL TABLE IF NOT EXISTS article_terms USING fts5 (terms, tokenize = 'unicode61');
CREATE TABLE IF NOT EXISTS gone (
    url_key TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    site TEXT NOT NULL,
    reason TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL,
    counts TEXT NOT NULL,
    error TEXT,
    pid INTEGER,
    host TEXT,
    node TEXT
);
CREATE INDEX IF NOT EXISTS runs_site_started ON runs (site, started_at);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS heartbeats (name TEXT PRIMARY KEY, info TEXT NOT NULL, at TEXT NOT NULL);
"""

_SEP = "\x1f"  # between names in the `people` column: never inside a name


def _describe(path: Path, exc: sqlite3.Error) -> str:
    """A store fault as one line a user can act on."""
    text = str(exc)
    low = text.lower()
    if "malformed" in low or "not a database" in low or "corrupt" in low:
        return (
            f"the archive {path} is damaged ({text}); nothing was written. Copy it aside and"
            f" recover what it holds with: sqlite3 {path} .recover"
        )
    if "disk is full" in low or "database or disk is full" in low:
        return f"cannot write to the archive {path}: the disk is full"
    if "disk i/o error" in low:
        return f"cannot write to the archive {path}: disk I/O error (disk full or failing?)"
    if "readonly" in low or "read-only" in low:
        return f"the archive {path} is read-only here"
    if "locked" in low:
        return f"the archive {path} stayed locked by another process for 60 s"
    return f"SQLite archive {path}: {text}"


def _guarded(fn: Callable[P, T]) -> Callable[P, T]:
    """Every SQLite fault leaves a store method as a StorageError (one line, no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except sqlite3.Error as exc:
            raise StorageError(_describe(args[0].path, exc)) from None  # type: ignore[attr-defined]

    return wrapper


def _guarded_iter(fn: Callable[P, Iterator[T]]) -> Callable[P, Iterator[T]]:
    """`_guarded` for generators: a fault in the middle of a stream is a StorageError too."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
        try:
            yield from fn(*args, **kwargs)
        except sqlite3.Error as exc:
            raise StorageError(_describe(args[0].path, exc)) from None  # type: ignore[attr-defined]

    return wrapper


class _NotUtf8(str):
    """A TEXT value whose bytes are not UTF-8 (a damaged file), read with lone surrogates: the
    row that holds it is skipped and named by whoever reads it, instead of sqlite3's decoding
    error ending the whole query (one bad record must not stop a search or an export)."""


def _text(data: bytes) -> str:
    # Strict first: the usual value costs one decode, and only a damaged one is marked.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _NotUtf8(data.decode("utf-8", "surrogateescape"))


class SQLiteStore(SQLiteBlobs):
    """ArchiveStore on one SQLite file. Safe for several processes writing at once."""

    def __init__(self, path: str | Path, *, readonly: bool = False, check: bool = False) -> None:
        """Open (and create, unless `readonly`) the archive file.

        readonly: never create or change anything (queries); fails when there is no archive.
        check: run SQLite's quick_check first and refuse a damaged file (crawls never write
        into one: every page written there could be lost with it).
        """
        self.path = Path(path).expanduser()
        self.readonly = readonly
        self._lock = threading.RLock()
        self._read_lock = threading.Lock()
        try:
            if readonly:
                if not self.path.is_file():
                    raise StorageError(f"no archive at {self.path}")
                self._db = self._connect()
                self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = self._connect()
                self._db.execute("PRAGMA journal_mode=WAL")
                # durable at checkpoints; WAL keeps it atomic
                self._db.execute("PRAGMA synchronous=NORMAL")
            if check:
                self._quick_check()
            if not readonly:
                self._create_schema()
            # A read-only look at an archive older than these columns reads them as NULL.
            run_cols = {r[1] for r in self._db.execute("PRAGMA table_info(runs)")}
            self._run_cols = ", ".join(c if c in run_cols else "NULL" for c in ("host", "node"))
            have = {r[1] for r in self._db.execute("PRAGMA table_info(articles)").fetchall()}
            # A read-only look at an archive older than these columns reads them as NULL.
            self._cols = ", ".join(
                c if c in have or c in _REC_COLS[:4] else f"NULL AS {c}" for c in _REC_COLS
            )
            self._a_cols = ", ".join(
                f"a.{c}" if c in have or c in _REC_COLS[:4] else f"NULL AS {c}" for c in _REC_COLS
            )
            self._revisits_ok = "next_check" in have
            # A read-only look at an archive older than schema 4: no request headers, no log
            # of refetches.
            raw_cols = {r[1] for r in self._db.execute("PRAGMA table_info(raw_pages)").fetchall()}
            self._raw_cols = "url, final_url, status, headers, fetched_at, body, " + (
                "request" if "request" in raw_cols else "NULL"
            )
            self._have_captures = bool(
                self._db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'captures'"
                ).fetchone()
            )
            # A second connection for the crawl's "is this URL known?" reads: in WAL mode
            # readers never wait for the writer, so a listing page is not held up behind a
            # write batch.
            self._reader = self._connect()
        except sqlite3.DatabaseError as exc:
            with contextlib.suppress(AttributeError, sqlite3.Error):
                self._db.close()
            raise StorageError(f"cannot open SQLite store: {_describe(self.path, exc)}") from None
        except OSError as exc:
            raise StorageError(f"cannot open SQLite store {self.path}: {exc.strerror}") from None

    def _connect(self) -> sqlite3.Connection:
        """A connection: read-write with our own transactions, or strictly read-only."""
        if not self.readonly:
            # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a writer takes the
            # write lock before it reads what it will change (no lost updates between crawls).
            db = sqlite3.connect(
                self.path, timeout=60, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA busy_timeout=60000")
            db.text_factory = _text
            return db
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
        db = sqlite3.connect(uri, uri=True, timeout=60, check_same_thread=False)
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            # A WAL archive in a folder we may not write: reading needs its -shm file, which
            # we cannot create. Read it as an immutable file (nobody writes it from here).
            db.close()
            db = sqlite3.connect(
                uri + "&immutable=1", uri=True, timeout=60, check_same_thread=False
            )
        db.text_factory = _text
        return db

    def _quick_check(self) -> None:
        rows = self._db.execute("PRAGMA quick_check(5)").fetchall()
        problems = [r[0] for r in rows if r[0] != "ok"]
        if problems:
            # A row may span lines ("*** in database main ***\nPage 4: …"): the first finding,
            # on one line.
            lines = [ln.strip() for p in problems for ln in p.splitlines()]
            first = next((ln for ln in lines if ln and not ln.startswith("***")), lines[0])
            raise StorageError(
                f"the archive {self.path} is damaged (quick_check: {first}); nothing was"
                f" written. Copy it aside and recover what it holds with:"
                f" sqlite3 {self.path} .recover"
            )

    def _create_schema(self) -> None:
        with self._tx():
            for stmt in _SCHEMA.split(";"):
                if stmt.strip():
                    self._db.execute(stmt)
            self._create_blob_schema(self._db)
            cols = {r[1] for r in self._db.execute("PRAGMA table_info(runs)").fetchall()}
            if "host" not in cols:  # an archive made before schema 2
                self._db.execute("ALTER TABLE runs ADD COLUMN host TEXT")
            if "node" not in cols:  # an archive made before schema 5
                self._db.execute("ALTER TABLE runs ADD COLUMN node TEXT")
            cols = {r[1] for r in self._db.execute("PRAGMA table_info(articles)").fetchall()}
            for name, kind in _ADDED_ARTICLE_COLUMNS:  # an archive made before schema 3
                if name not in cols:
                    self._db.execute(f"ALTER TABLE articles ADD COLUMN {name} {kind}")
            self._db.execute(
                "CREATE INDEX IF NOT EXISTS articles_site_check ON articles (site, next_check)"
            )
            cols = {r[1] for r in self._db.execute("PRAGMA table_info(raw_pages)").fetchall()}
            if "request" not in cols:  # an archive made before schema 4
                self._db.execute("ALTER TABLE raw_pages ADD COLUMN request TEXT")
            self._db.execute(
                "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE"
                " SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

    # --- articles --------------------------------------------------------------------------
    def _find(self, db: sqlite3.Connection, url_keys: list[str]) -> sqlite3.Row | None:
        marks = ",".join("?" * len(url_keys))
        row = db.execute(
            f"SELECT id, version, record_hash, rowid FROM articles WHERE url_key IN ({marks})",
            url_keys,
        ).fetchone()
        if row:
            return row
        alias = db.execute(
            f"SELECT article_id FROM aliases WHERE url_key IN ({marks})", url_keys
        ).fetchone()
        if alias:
            return db.execute(
                "SELECT id, version, record_hash, rowid FROM articles WHERE id = ?", (alias[0],)
            ).fetchone()
        return None

    @_guarded
    def upsert(
        self,
        record: dict[str, Any],
        raw: RawPage | None = None,
        *,
        prepared: Prepared | None = None,
    ) -> StoreResult:
        p = prepared if prepared is not None else prepare(record, raw)
        with self._lock, self._tx() as db:
            result = self._upsert_one(db, p)
        if isinstance(result, RecordError):
            raise result
        return result

    @_guarded
    def upsert_many(self, batch: list[Prepared]) -> list[StoreResult | RecordError]:
        # One transaction for the batch: a crash loses it whole, and what is not stored is
        # fetched again by the next run; per-record COMMITs were a tenth of a crawl's time.
        with self._lock, self._tx() as db:
            return [self._upsert_one(db, p) for p in batch]

    def _upsert_one(self, db: sqlite3.Connection, p: Prepared) -> StoreResult | RecordError:
        """One record inside the batch's transaction, in a savepoint: a record SQLite refuses
        (a value it cannot bind, a constraint) fails alone; a fault of the file (disk full,
        I/O) fails the batch."""
        db.execute("SAVEPOINT one_record")
        try:
            result = self._upsert(db, p)
        except (sqlite3.IntegrityError, sqlite3.InterfaceError, sqlite3.DataError,
                ValueError, TypeError, OverflowError) as exc:  # fmt: skip
            db.execute("ROLLBACK TO one_record")
            db.execute("RELEASE one_record")
            return RecordError(f"cannot store {p.record.get('url')}: {exc}")
        db.execute("RELEASE one_record")
        return result

    def _upsert(self, db: sqlite3.Connection, p: Prepared) -> StoreResult:
        record, idx = p.record, p.index
        extra = other_keys(record, idx["url_key"])
        now = utcnow()
        found = self._find(db, [idx["url_key"], *(k for k, _ in extra)])
        if found is None and is_substantial(record):
            dup = db.execute(
                # `+site`: look up by content_hash alone. Left free, the planner takes the
                # (site, next_check) index and scans the whole site per insert (a 10,000-article
                # crawl ran at a third of its speed).
                "SELECT id, version FROM articles WHERE content_hash = ? AND +site = ? LIMIT 1",
                (idx["content_hash"], record.get("site")),
            ).fetchone()
            if dup is not None:
                for key, url in [(idx["url_key"], record.get("canonical_url") or ""), *extra]:
                    db.execute(
                        "INSERT OR IGNORE INTO aliases VALUES (?, ?, ?, ?)",
                        (key, dup[0], url or record["url"], now),
                    )
                db.execute(
                    "UPDATE articles SET last_seen = ?, seen_count = seen_count + 1 WHERE id = ?",
                    (now, dup[0]),
                )
                self._put_raw(db, dup[0], p)
                return StoreResult(Outcome.DUPLICATE, dup[0], dup[1])
        if found is None:
            aid = keys.article_id(idx["url_key"])
            rec = self._stamp(record, aid, 1, now, now, 1)
            cur = db.execute(
                "INSERT INTO articles (id, url_key, site, url, pub_utc, pub_date, content_hash,"
                " record_hash, version, first_seen, last_seen, seen_count, people, record,"
                " next_check) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, 1, ?, ?, ?)",
                (
                    aid,
                    idx["url_key"],
                    record.get("site") or "",
                    record["url"],
                    idx["pub_utc"],
                    idx["pub_date"],
                    idx["content_hash"],
                    idx["record_hash"],
                    now,
                    now,
                    _SEP.join(idx["people"]),
                    _dump(rec),
                    idx.get("next_check"),
                ),
            )
            db.execute(
                "INSERT INTO article_terms (rowid, terms) VALUES (?, ?)",
                (cur.lastrowid, idx["terms"]),
            )
            for key, url in extra:
                db.execute(
                    "INSERT OR IGNORE INTO aliases VALUES (?, ?, ?, ?)", (key, aid, url, now)
                )
            self._put_raw(db, aid, p)
            db.execute("DELETE FROM gone WHERE url_key = ?", (idx["url_key"],))
            return StoreResult(Outcome.INSERTED, aid, 1)

        aid, version, old_hash, rowid = found
        for key, url in extra:
            db.execute("INSERT OR IGNORE INTO aliases VALUES (?, ?, ?, ?)", (key, aid, url, now))
        if old_hash == idx["record_hash"]:
            db.execute(
                "UPDATE articles SET last_seen = ?, seen_count = seen_count + 1 WHERE id = ?",
                (now, aid),
            )
            self._put_raw(db, aid, p, keep=False)
            return StoreResult(Outcome.UNCHANGED, aid, version)

        old_row = db.execute(
            "SELECT record, first_seen, seen_count FROM articles WHERE id = ?", (aid,)
        ).fetchone()
        try:
            old = json.loads(old_row[0])
            if not isinstance(old, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            # The stored copy cannot be read: the version just fetched replaces it (the damaged
            # text stays in `versions`) instead of failing the write, and the crawl with it.
            logger.warning("Record %s in %s cannot be read (%s); replaced", aid, self.path, exc)
            old = {}
        if fetched_earlier(record, old):
            known = any(
                _hash_of(r) == idx["record_hash"]
                for (r,) in db.execute("SELECT record FROM versions WHERE article_id = ?", (aid,))
            )
            self._put_raw(db, aid, p)
            return StoreResult(Outcome.UNCHANGED if known else Outcome.EARLIER, aid, version)
        new_version = version + 1
        changed = keys.changed_fields(old, record)
        db.execute(
            "INSERT INTO versions VALUES (?, ?, ?, ?, ?)",
            (aid, version, old.get("last_seen") or old_row[1], "[]", old_row[0]),
        )
        rec = self._stamp(record, aid, new_version, old_row[1], now, old_row[2] + 1)
        rec["changed"] = changed
        db.execute(
            "UPDATE articles SET url = ?, pub_utc = ?, pub_date = ?, content_hash = ?,"
            " record_hash = ?, version = ?, last_seen = ?, seen_count = seen_count + 1,"
            " people = ?, record = ?, changed_at = ? WHERE id = ?",
            (
                record["url"],
                idx["pub_utc"],
                idx["pub_date"],
                idx["content_hash"],
                idx["record_hash"],
                new_version,
                now,
                _SEP.join(idx["people"]),
                _dump(rec),
                now,
                aid,
            ),
        )
        db.execute(
            "UPDATE article_terms SET terms = ? WHERE rowid = ?",
            (idx["terms"], rowid),
        )
        self._put_raw(db, aid, p)
        return StoreResult(Outcome.NEW_VERSION, aid, new_version)

    @staticmethod
    def _stamp(
        record: dict[str, Any], aid: str, version: int, first: str, last: str, count: int
    ) -> dict[str, Any]:
        rec = dict(record)
        rec.update(id=aid, version=version, first_seen=first, last_seen=last, seen_count=count)
        return rec

    @staticmethod
    def _put_raw(db: sqlite3.Connection, aid: str, p: Prepared, *, keep: bool = True) -> None:
        """Keep the fetched bytes (`keep`) unless kept already; either way a refetch is logged
        as a capture (for WARC revisit records). An unchanged record's new bytes are not kept:
        pages that differ on every request (form tokens, view counters) would fill the disk."""
        raw = p.raw
        if raw is None:
            return
        request = (
            json.dumps(raw.request_headers, ensure_ascii=False) if raw.request_headers else None
        )
        headers = json.dumps(raw.headers, ensure_ascii=False)
        if keep:
            cur = db.execute(
                "INSERT OR IGNORE INTO raw_pages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (aid, p.raw_sha, raw.url, raw.final_url, raw.status, headers, raw.fetched_at,
                 p.raw_blob, request),
            )  # fmt: skip
            if cur.rowcount:
                return
        # Not a fetch when it is the kept page itself (a WARC imported twice, say).
        db.execute(
            "INSERT OR IGNORE INTO captures SELECT ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS"
            " (SELECT 1 FROM raw_pages WHERE article_id = ? AND body_sha = ? AND fetched_at = ?)",
            (aid, p.raw_sha, raw.url, raw.status, headers, request, raw.fetched_at,
             aid, p.raw_sha, raw.fetched_at),
        )  # fmt: skip

    def _row_to_record(self, row: Any, *, strict: bool = False) -> dict[str, Any] | None:
        """(record, last_seen, seen_count, id) as the record users see; None when the stored
        JSON cannot be read (reported by id: one damaged record must not stop an export), or
        with `strict` a StorageError saying so (asked for that record, there is no other)."""
        try:
            if isinstance(row[0], _NotUtf8):
                raise ValueError("not UTF-8")
            rec: dict[str, Any] = json.loads(row[0])
            if not isinstance(rec, dict):
                raise ValueError("not an object")
        except (ValueError, TypeError) as exc:
            if strict:
                raise StorageError(
                    f"the record {row[3]} in the archive {self.path} is damaged and cannot be"
                    f" read ({exc}); search and export skip it"
                ) from None
            logger.error("Record %s in %s cannot be read (%s); skipped", row[3], self.path, exc)
            return None
        rec["last_seen"], rec["seen_count"] = row[1], row[2]
        for name, value in zip(
            ("withdrawn_at", "changed_at", "last_checked"), row[4:7], strict=True
        ):
            if value:  # shown only when there is something to say
                rec[name] = value
        aliases = self._db.execute(
            "SELECT url FROM aliases WHERE article_id = ? ORDER BY first_seen", (rec["id"],)
        ).fetchall()
        rec["aliases"] = [a[0] for a in aliases]
        return rec

    @_guarded
    def get(self, id_or_url: str) -> dict[str, Any] | None:
        return self._get(id_or_url, strict=True)

    def _get(self, id_or_url: str, *, strict: bool) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {self._cols} FROM articles WHERE id = ?", (id_or_url,)
            ).fetchone()
            if row is None and ("/" in id_or_url or "." in id_or_url):
                found = self._find(self._db, [keys.url_key(id_or_url)])
                if found is not None:
                    row = self._db.execute(
                        f"SELECT {self._cols} FROM articles WHERE id = ?",
                        (found[0],),
                    ).fetchone()
            return self._row_to_record(row, strict=strict) if row else None

    @_guarded
    def versions(self, article_id: str) -> list[dict[str, Any]]:
        with self._lock:
            current = self.get(article_id)
            if current is None:
                return []
            rows = self._db.execute(
                "SELECT version, stored_at, record FROM versions WHERE article_id = ? ORDER BY version",
                (current["id"],),
            ).fetchall()
        out = []
        for v, at, r in rows:
            try:
                out.append({"version": v, "stored_at": at, "record": json.loads(r)})
            except ValueError as exc:
                logger.error("Version %s of %s cannot be read (%s); skipped", v, article_id, exc)
        out.append(
            {"version": current["version"], "stored_at": current["last_seen"], "record": current}
        )
        return with_changes(out)

    @_guarded
    def known_urls(self, urls: list[str]) -> set[str]:
        if not urls:
            return set()
        by_key: dict[str, list[str]] = {}
        for u in urls:
            by_key.setdefault(keys.url_key(u), []).append(u)
        found: set[str] = set()
        key_list = list(by_key)
        with self._read_lock:
            for i in range(0, len(key_list), 500):  # SQLite caps bound parameters
                chunk = key_list[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for (k,) in self._reader.execute(
                    f"SELECT url_key FROM articles WHERE url_key IN ({marks})"
                    f" UNION SELECT url_key FROM aliases WHERE url_key IN ({marks})"
                    f" UNION SELECT url_key FROM gone WHERE url_key IN ({marks})",
                    chunk * 3,
                ):
                    found.update(by_key[k])
        return found

    @_guarded
    def add_alias(self, article_id: str, url: str) -> bool:
        key = keys.url_key(url)
        with self._lock, self._tx() as db:
            own = db.execute("SELECT url_key FROM articles WHERE id = ?", (article_id,)).fetchone()
            if own is None:
                return False
            if own[0] == key:
                return True  # its own URL: no self-alias
            if db.execute("SELECT 1 FROM articles WHERE url_key = ?", (key,)).fetchone():
                return False
            db.execute(
                "INSERT OR IGNORE INTO aliases VALUES (?, ?, ?, ?)",
                (key, article_id, url, utcnow()),
            )
            held = db.execute("SELECT article_id FROM aliases WHERE url_key = ?", (key,)).fetchone()
            return held is not None and held[0] == article_id

    @_guarded
    def mark_gone(self, url: str, site: str, reason: str) -> None:
        now = utcnow()
        with self._lock, self._tx() as db:
            db.execute(
                "INSERT INTO gone VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url_key) DO UPDATE"
                " SET reason = excluded.reason, last_seen = excluded.last_seen",
                (keys.url_key(url), url, site, reason, now, now),
            )

    # --- queries ---------------------------------------------------------------------------
    @staticmethod
    def _matching(query: SearchQuery, *, top: bool = False) -> tuple[str, list[Any], bool]:
        """FROM/WHERE for a query, its parameters, and whether SQL alone decides the match.

        top: for the newest N only. A word alone is then found by walking the archive newest
        first and probing its matches, which stops at N: the planner would rather sort every
        match, 130 ms for a word in 80% of 100,000 records where the walk takes 15 (and 9 ms
        for a word in none). A site or date filter narrows the walk its own way.
        """
        where, params = [], []
        hint = ""
        if top and query.text and not (query.site or query.since or query.until):
            hint = "INDEXED BY articles_pub"
        if query.text:
            fts = _fts_query(query.text)
            if fts:
                # A subquery, not a join: the planner may then walk an order index and probe
                # the matches (see search), rather than sort every match of a common word.
                where.append(
                    "a.rowid IN (SELECT rowid FROM article_terms WHERE article_terms MATCH ?)"
                )
                params.append(fts)
        if query.site:
            where.append("a.site = ?")
            params.append(query.site)
        if query.since:
            where.append("a.pub_date >= ?")
            params.append(query.since[:10])
        if query.until:
            where.append("a.pub_date <= ?")
            params.append(query.until[:10])
        if query.author:
            where.append("a.people LIKE ?")
            params.append(f"%{query.author}%")
        if query.changed_since:
            where.append("a.changed_at >= ?")
            params.append(query.changed_since)
        if query.withdrawn:
            where.append("a.withdrawn_at IS NOT NULL")
        if query.after is not None:
            pub, first, aid = query.after
            later = "(a.first_seen < ? OR (a.first_seen = ? AND a.id < ?))"
            if pub is None:  # undated records come last: only more of them
                where.append(f"(a.pub_utc IS NULL AND {later})")
                params += [first, first, aid]
            else:
                where.append(f"(a.pub_utc < ? OR a.pub_utc IS NULL OR (a.pub_utc = ? AND {later}))")
                params += [pub, pub, first, first, aid]
        matched = f"FROM articles a {hint} {'WHERE ' + ' AND '.join(where) if where else ''}"
        # FTS phrases of bigrams match exactly; only a lone CJK character needs a text check.
        exact = not query.text or _fts_exact(query.text)
        return matched, params, exact

    @_guarded_iter
    def search(self, query: SearchQuery) -> Iterator[dict[str, Any]]:
        matched, params, exact = self._matching(query, top=bool(query.limit))
        # Undated records last either way (SQLite walks the same index for NULLS LAST).
        order = " ORDER BY a.pub_utc DESC, a.first_seen DESC, a.id DESC"
        if query.oldest:
            order = " ORDER BY a.pub_utc ASC NULLS LAST, a.first_seen ASC, a.id ASC"
        skip = query.offset
        if query.limit and exact:
            # Sort and cut on row ids, then load just those records: never the JSON of every match.
            sql = (
                f"SELECT {self._a_cols} FROM articles a JOIN"
                f" (SELECT a.rowid AS rid {matched}{order} LIMIT ? OFFSET ?) top"
                f" ON top.rid = a.rowid{order}"
            )
            rows: Any = self._pages(sql, params, query.limit, start=skip)
            skip = 0  # skipped by SQL, on row ids
        else:
            rows = self._stream(f"SELECT {self._a_cols} {matched}{order}", params)
        emitted = 0
        for row in rows:
            rec = self._row_to_record(row)
            if rec is None:
                continue
            if not exact and query.text and not keys.matches_text(rec, query.text):
                continue
            if skip:
                skip -= 1
                continue
            yield rec
            emitted += 1
            if query.limit and emitted >= query.limit:
                return

    @_guarded
    def count_matches(self, query: SearchQuery) -> int:
        matched, params, exact = self._matching(query)
        if not exact:
            return sum(1 for _ in self.search(replace(query, limit=None)))
        fts = _fts_query(query.text) if query.text else None
        if fts and replace(query, text=None, limit=None, offset=0, oldest=False) == SearchQuery(
            limit=None
        ):
            # A word alone: the index counts its rows (2 ms for 80,000) without reading them.
            with self._lock:
                return int(
                    self._db.execute(
                        "SELECT COUNT(*) FROM article_terms WHERE article_terms MATCH ?", (fts,)
                    ).fetchone()[0]
                )
        with self._lock:
            return int(self._db.execute(f"SELECT COUNT(*) {matched}", params).fetchone()[0])

    @_guarded_iter
    def match_texts(self, query: SearchQuery) -> Iterator[dict[str, Any]]:
        query = replace(query, limit=None, offset=0, oldest=False)
        matched, params, exact = self._matching(query)
        # Fields picked by SQLite's JSON parser: the Python one would build the whole record,
        # its HTML too (2,406 matches of 100,000: 0.18 s rather than 0.11). A damaged record
        # reads as NULLs.
        valid = "CASE WHEN json_valid(a.record) THEN a.record END"
        fields = ", ".join(f"json_extract({valid}, '$.{f}')" for f in ("title", "subtitle", "text"))
        order = " ORDER BY a.pub_utc DESC, a.first_seen DESC, a.id DESC"
        for aid, title, subtitle, text in self._stream(
            f"SELECT a.id, {fields} {matched}{order}", params
        ):
            rec = {"id": aid, "title": title, "subtitle": subtitle, "text": text}
            if exact or not query.text or keys.matches_text(rec, query.text):
                yield rec

    def _pages(self, sql: str, params: list[Any], size: int, start: int = 0) -> Iterator[Any]:
        """Rows of `sql` (ending in LIMIT ? OFFSET ?) from row `start`, `size` at a time: the
        next page is read only when the caller wants more (records it skipped as unreadable)."""
        offset = start
        while True:
            with self._lock:
                rows = self._db.execute(sql, [*params, size, offset]).fetchall()
            yield from rows
            if len(rows) < size:
                return
            offset += size

    def _stream(self, sql: str, params: list[Any]) -> Iterator[Any]:
        # A private connection so a long export never holds the shared one.
        db = self._connect()
        try:
            cur = db.execute(sql, params)
            while batch := cur.fetchmany(500):
                yield from batch
        finally:
            db.close()

    @_guarded_iter
    def iter_records(self, site: str | None = None) -> Iterator[dict[str, Any]]:
        sql = f"SELECT {self._cols} FROM articles"
        params: list[Any] = []
        if site:
            sql += " WHERE site = ?"
            params.append(site)
        sql += " ORDER BY pub_utc DESC, first_seen DESC"
        for row in self._stream(sql, params):
            rec = self._row_to_record(row)
            if rec is not None:
                yield rec

    @_guarded_iter
    def raw_pages(
        self, site: str | None = None, since: str | None = None
    ) -> Iterator[tuple[dict[str, Any], RawPage]]:
        sql = "SELECT a.id FROM articles a"
        where, params = [], []
        if site:
            where.append("a.site = ?")
            params.append(site)
        if since:
            where.append("a.pub_date >= ?")
            params.append(since[:10])
        if where:
            sql += " WHERE " + " AND ".join(where)
        for (aid,) in list(self._stream(sql, params)):
            raw = self._latest_raw(aid)
            rec = self._get(aid, strict=False)  # a damaged record is logged and skipped
            if raw is None or rec is None:
                continue
            yield rec, raw

    def _latest_raw(self, aid: str) -> RawPage | None:
        with self._lock:
            row = (
                self._db.execute(
                    f"SELECT {self._raw_cols} FROM raw_pages"
                    " WHERE article_id = ? AND url = (SELECT url FROM articles WHERE id = ?)"
                    " ORDER BY fetched_at DESC LIMIT 1",
                    (aid, aid),
                ).fetchone()
                or self._db.execute(
                    f"SELECT {self._raw_cols} FROM raw_pages"
                    " WHERE article_id = ? ORDER BY fetched_at DESC LIMIT 1",
                    (aid,),
                ).fetchone()
            )
        return _raw_page(row) if row else None

    @_guarded
    def raw_page(self, article_id: str) -> RawPage | None:
        return self._latest_raw(article_id)

    @_guarded
    def monthly_counts(self, site: str) -> list[tuple[str, int]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT substr(pub_date, 1, 7) AS m, COUNT(*) FROM articles"
                " WHERE site = ? AND pub_date IS NOT NULL GROUP BY m ORDER BY m",
                (site,),
            ).fetchall()
        return [(str(m), int(n)) for m, n in rows]

    @_guarded_iter
    def captures(
        self, site: str | None = None, since: str | None = None, until: str | None = None
    ) -> Iterator[tuple[dict[str, Any], list[Capture]]]:
        where, params = [], []
        for cond, value in (("site = ?", site), ("pub_date >= ?", since), ("pub_date <= ?", until)):
            if value:
                where.append(cond)
                params.append(value[:10] if cond.startswith("pub") else value)
        sql = "SELECT id FROM articles" + (" WHERE " + " AND ".join(where) if where else "")
        for (aid,) in self._stream(sql + " ORDER BY first_seen, id", params):
            with self._lock:
                kept = self._db.execute(
                    f"SELECT {self._raw_cols}, body_sha FROM raw_pages WHERE article_id = ?",
                    (aid,),
                ).fetchall()
                again = (
                    self._db.execute(
                        "SELECT url, status, headers, fetched_at, request, body_sha FROM captures"
                        " WHERE article_id = ?",
                        (aid,),
                    ).fetchall()
                    if self._have_captures
                    else []
                )
            rec = self._get(aid, strict=False)
            if rec is None or not kept:
                continue
            out = [Capture(_raw_page(row), row[7], stored=True) for row in kept]
            for url, status, headers, at, request, sha in again:
                raw = RawPage(url, url, status, json.loads(headers), b"", at, _headers(request))
                out.append(Capture(raw, sha, stored=False))
            out.sort(key=lambda c: c.raw.fetched_at)
            yield rec, out

    @_guarded
    def fill_counts(self, site: str) -> dict[str, int]:
        filled = {
            "title": "COALESCE(json_extract(record, '$.title'), '') != ''",
            "published_at": "COALESCE(json_extract(record, '$.published_at'), '') != ''",
            "authors": "COALESCE(json_array_length(record, '$.authors'), 0) > 0",
            "source": "COALESCE(json_extract(record, '$.source'), '') != ''",
            "text": f"length(COALESCE(json_extract(record, '$.text'), '')) >= {TEXT_FILLED}",
            "images": "COALESCE(json_array_length(record, '$.images'), 0) > 0",
        }
        sums = ", ".join(f"SUM({filled[f]})" for f in FILL_FIELDS)
        with self._read_lock:
            row = self._db.execute(
                f"SELECT COUNT(*), {sums} FROM articles WHERE site = ?", (site,)
            ).fetchone()
        return {
            "articles": row[0],
            **{f: int(n or 0) for f, n in zip(FILL_FIELDS, row[1:], strict=True)},
        }

    @_guarded
    def stats(self) -> list[dict[str, Any]]:
        with self._lock:
            extra = (
                ", SUM(version > 1), SUM(withdrawn_at IS NOT NULL)"
                if self._revisits_ok
                else ", 0, 0"
            )
            rows = self._db.execute(
                "SELECT site, COUNT(*), MIN(pub_date), MAX(pub_date), MAX(last_seen)"
                f"{extra} FROM articles GROUP BY site ORDER BY site"
            ).fetchall()
            runs = dict(
                self._db.execute(
                    "SELECT site, MAX(COALESCE(ended_at, started_at)) FROM runs GROUP BY site"
                ).fetchall()
            )
        out = [
            {
                "site": site,
                "articles": n,
                "earliest": lo,
                "latest": hi,
                "last_crawl": runs.pop(site, None) or seen,
                "edited": int(edited or 0),
                "withdrawn": int(gone or 0),
            }
            for site, n, lo, hi, seen, edited, gone in rows
        ]
        out += [
            {
                "site": s,
                "articles": 0,
                "earliest": None,
                "latest": None,
                "last_crawl": at,
                "edited": 0,
                "withdrawn": 0,
            }
            for s, at in sorted(runs.items())
        ]
        return out

    @_guarded
    def count(self, site: str | None = None) -> int:
        with self._lock:
            if site:
                return int(
                    self._db.execute(
                        "SELECT COUNT(*) FROM articles WHERE site = ?", (site,)
                    ).fetchone()[0]
                )
            return int(self._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    @_guarded
    def site_names(self) -> list[str]:
        # A loose index scan: one index seek per site, where DISTINCT would read every entry.
        sql = (
            "WITH RECURSIVE s(site) AS (SELECT MIN(site) FROM articles UNION ALL"
            " SELECT (SELECT MIN(site) FROM articles WHERE site > s.site) FROM s"
            " WHERE s.site IS NOT NULL) SELECT site FROM s WHERE site IS NOT NULL"
        )
        with self._lock:
            return [r[0] for r in self._db.execute(sql).fetchall()]

    # --- runs, state, heartbeat --------------------------------------------------------------
    @_guarded
    def start_run(self, run: RunRecord) -> str:
        run_id = run.id or uuid.uuid4().hex[:12]
        with self._lock, self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO runs (id, site, kind, started_at, ended_at, status, counts,"
                " error, pid, host, node) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    run.site,
                    run.kind,
                    run.started_at,
                    run.ended_at,
                    run.status,
                    json.dumps(run.counts),
                    run.error,
                    run.pid,
                    run.host,
                    run.node,
                ),
            )
        return run_id

    @_guarded
    def finish_run(
        self, run_id: str, status: str, counts: dict[str, int], error: str | None
    ) -> None:
        with self._lock, self._tx() as db:
            db.execute(
                "UPDATE runs SET ended_at = ?, status = ?, counts = ?, error = ? WHERE id = ?",
                (utcnow(), status, json.dumps(counts), error, run_id),
            )

    @_guarded
    def runs(self, site: str | None = None, limit: int = 20) -> list[RunRecord]:
        sql = (
            "SELECT id, site, kind, started_at, ended_at, status, counts, error, pid,"
            f" {self._run_cols} FROM runs"
        )
        params: list[Any] = []
        if site:
            sql += " WHERE site = ?"
            params.append(site)
        sql += " ORDER BY started_at DESC LIMIT ?"
        params.append(limit)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [
            RunRecord(
                id=r[0],
                site=r[1],
                kind=r[2],
                started_at=r[3],
                ended_at=r[4],
                status=r[5],
                counts=json.loads(r[6]),
                error=r[7],
                pid=r[8],
                host=r[9],
                node=r[10],
            )
            for r in rows
        ]

    @_guarded
    def get_state(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    @_guarded
    def set_state(self, key: str, value: dict[str, Any] | None) -> None:
        with self._lock, self._tx() as db:
            if value is None:
                db.execute("DELETE FROM state WHERE key = ?", (key,))
            else:
                db.execute(
                    "INSERT INTO state VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE"
                    " SET value = excluded.value, updated_at = excluded.updated_at",
                    (key, json.dumps(value, ensure_ascii=False), utcnow()),
                )

    @_guarded
    def heartbeat(self, name: str, info: dict[str, Any]) -> None:
        with self._lock, self._tx() as db:
            db.execute(
                "INSERT INTO heartbeats VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE"
                " SET info = excluded.info, at = excluded.at",
                (name, json.dumps(info, ensure_ascii=False), utcnow()),
            )

    @_guarded
    def get_heartbeat(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT info, at FROM heartbeats WHERE name = ?", (name,)
            ).fetchone()
        if row is None:
            return None
        info: dict[str, Any] = json.loads(row[0])
        info["at"] = row[1]
        return info

    @_guarded
    def heartbeats(self, prefix: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT name, info, at FROM heartbeats WHERE substr(name, 1, ?) = ?",
                (len(prefix), prefix),
            ).fetchall()
        return {name: {**json.loads(info), "at": at} for name, info, at in rows}

    # --- revisits ---------------------------------------------------------------------------
    @_guarded
    def revisits(
        self,
        site: str,
        *,
        due_before: str | None = None,
        published_since: str | None = None,
        limit: int | None = None,
    ) -> list[Revisit]:
        if not self._revisits_ok:
            return []
        where: list[str] = ["a.site = ?"]
        params: list[Any] = [site]
        order = "a.pub_utc DESC"
        if due_before is not None:
            where.append("a.next_check IS NOT NULL AND a.next_check <= ?")
            params.append(due_before)
            order = "a.next_check"  # the most overdue first
        if published_since:
            where.append("a.pub_date >= ?")
            params.append(published_since[:10])
        sql = (
            "SELECT a.id, a.url, a.first_seen, a.checks, a.withdrawn_at, a.record,"
            " (SELECT r.headers FROM raw_pages r WHERE r.article_id = a.id"
            "  ORDER BY r.fetched_at DESC LIMIT 1)"
            f" FROM articles a WHERE {' AND '.join(where)} ORDER BY {order}"
        )
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        out = []
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        for aid, url, first_seen, checks, withdrawn_at, record, headers in rows:
            try:
                rec = json.loads(record)
                fetch = rec.get("fetch") or {}
            except (ValueError, AttributeError):
                rec, fetch = {}, {}
            validators = _validators(json.loads(headers) if headers else {})
            out.append(Revisit(aid, url, *validators, rec.get("published_at"), first_seen,
                               checks or 0, bool(withdrawn_at), rec.get("title"),
                               fetch.get("encoding"), fetch.get("decode_faults")))  # fmt: skip
        return out

    @_guarded
    def record_check(self, article_id: str, result: str, at: str, next_check: str | None) -> None:
        withdrawn = "COALESCE(withdrawn_at, ?)" if result == WITHDRAWN else "NULL"
        params: list[Any] = [at, result, next_check]
        if result == WITHDRAWN:
            params.append(at)
        with self._lock, self._tx() as db:
            db.execute(
                "UPDATE articles SET last_checked = ?, checks = checks + 1, last_check = ?,"
                f" next_check = ?, withdrawn_at = {withdrawn} WHERE id = ?",
                [*params, article_id],
            )

    # --- locks ------------------------------------------------------------------------------
    @property
    def _locks_dir(self) -> Path:
        return self.path.with_name(self.path.name + ".locks")

    def lock(self, name: str, info: dict[str, Any]) -> locks.FileLease | None:
        try:
            return locks.take(self._locks_dir, name, info)
        except OSError as exc:
            raise StorageError(f"cannot take the lock {name!r} beside {self.path}: {exc}") from None

    def lock_holder(self, name: str) -> dict[str, Any] | None:
        try:
            return locks.holder(self._locks_dir, name)
        except OSError:
            return None

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):  # already closed
            self._db.close()
        with contextlib.suppress(sqlite3.Error, AttributeError):
            self._reader.close()


def _hash_of(text: str) -> str | None:
    """A stored version's record hash; None when its JSON cannot be read."""
    try:
        return keys.record_hash(json.loads(text))
    except (ValueError, AttributeError):
        return None


def _headers(text: str | None) -> dict[str, str] | None:
    return json.loads(text) if text else None


def _raw_page(row: Any) -> RawPage:
    """A raw page from (url, final_url, status, headers, fetched_at, body, request, …)."""
    return RawPage(
        url=row[0],
        final_url=row[1],
        status=row[2],
        headers=json.loads(row[3]),
        fetched_at=row[4],
        body=decompress(row[5]),
        request_headers=_headers(row[6]),
    )


def _dump(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _fts_exact(text: str) -> bool:
    """Whether the FTS expression for `text` alone decides a match (no lone CJK characters)."""
    return all(
        (terms := keys.search_terms(part)) and all(keys.findable(t) for t in terms)
        for part in text.split()
    )


def _fts_query(text: str) -> str:
    """An FTS5 expression: each whitespace-separated part of `text` as a phrase of its terms."""
    phrases = []
    for part in text.split():
        # A lone CJK character is not looked up; the Python post-filter handles it.
        terms = [t for t in keys.search_terms(part) if keys.findable(t)]
        if terms:
            phrases.append('"' + " ".join(terms) + '"')
    return " AND ".join(phrases)


def _validators(headers: dict[str, Any]) -> tuple[str | None, str | None]:
    """(ETag, Last-Modified) of a stored response's headers, whatever their case."""
    low = {str(k).lower(): v for k, v in headers.items()}
    return low.get("etag"), low.get("last-modified")
