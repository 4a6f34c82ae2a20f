"""The production archive on MongoDB: plain documents people can query by hand (docs/mongodb.md)."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from storage import keys
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
from storage.locks import process_gone
from storage.mongo_blobs import MongoBlobs
from storage.uri import redact_uri

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Fields kept in each article document beside the record's own fields; never shown to users.
_INTERNAL = (
    "_id",
    "_w",
    "url_key",
    "content_hash",
    "record_hash",
    "dedupe",
    "pub_utc",
    "pub_date",
    "people",
    "terms",
    "next_check",
    "checks",
    "last_check",
)
# Revisit fields shown with the record when they say something (as SQLite's store shows them).
_SHOWN_WHEN_SET = ("withdrawn_at", "changed_at", "last_checked")
# Kept when a new version replaces the document: they are about checking, not the content.
_REVISIT_STATE = ("next_check", "checks", "last_check", "last_checked", "withdrawn_at")
_MAX_ATTEMPTS = 8  # optimistic-concurrency retries when another writer got there first
# A lease lives this long unless renewed (every third of it); a holder killed with -9 frees it
# after at most this long. `uninews status` also checks the holder's pid on the same host.
LEASE_SECONDS = 30.0
_LIVE_TOKENS: set[str] = set()  # leases this process holds
# The server refuses documents over 16 MiB; past this a record drops its body HTML, and a raw
# page goes to GridFS.
_DOC_LIMIT = 15 * 1024 * 1024
_IN_CHUNK = 1000  # keys per $in: 50k long URLs in one command would pass the 16 MiB limit
# Offsets run from UTC-12 to UTC+14: a local date's instants lie within these bounds in UTC.
_BEFORE_DAY, _AFTER_DAY = timedelta(hours=14), timedelta(hours=36)

# (collection, keys, options). Names end in _v2: changing an index's keys under an existing
# name makes MongoDB refuse it (IndexKeySpecsConflict); the retired names are dropped.
INDEXES: tuple[tuple[str, list[tuple[str, int]], dict[str, Any]], ...] = (
    ("articles", [("url_key", 1)], {"unique": True, "name": "url_key_unique"}),
    # search and export sort newest first: these serve the sort with and without a site
    ("articles", [("pub_utc", -1), ("first_seen", -1)], {"name": "pub_first_v2"}),
    (
        "articles",
        [("site", 1), ("pub_utc", -1), ("first_seen", -1)],
        {"name": "site_pub_first_v2"},
    ),
    # a keyword search: one term (multikey) by equality, then the sort
    (
        "articles",
        [("terms", 1), ("pub_utc", -1), ("first_seen", -1)],
        {"name": "terms_pub_first_v2"},
    ),
    ("articles", [("people", 1)], {"name": "people_v2"}),
    # the same content under another URL of the site is an alias; decided atomically for new
    # documents by the unique index (older ones lack `dedupe` and are found by the first)
    ("articles", [("site", 1), ("content_hash", 1)], {"name": "site_content_v2"}),
    (
        "articles",
        [("site", 1), ("content_hash", 1)],
        {
            "name": "site_content_unique_v2",
            "unique": True,
            "partialFilterExpression": {"dedupe": True},
        },
    ),
    ("aliases", [("article_id", 1)], {"name": "article"}),
    ("versions", [("article_id", 1), ("version", 1)], {"unique": True, "name": "article_version"}),
    ("raw_pages", [("article_id", 1), ("fetched_at", -1)], {"name": "article_fetched"}),
    ("captures", [("article_id", 1), ("fetched_at", 1)], {"name": "article_fetched"}),
    ("runs", [("site", 1), ("started_at", -1)], {"name": "site_started"}),
    # revisits due, most overdue first
    ("articles", [("site", 1), ("next_check", 1)], {"name": "site_next_check_v2"}),
    # a site's articles per month (the web dashboard), read from the index alone
    ("articles", [("site", 1), ("pub_date", 1)], {"name": "site_month"}),
    # the URLs that serve one archived file (storage/mongo_blobs.py: get_blob)
    ("blob_urls", [("sha256", 1)], {"name": "blob_urls_sha_v2"}),
)
RETIRED_INDEXES = {"articles": ("site_pub", "pub", "content_hash", "terms", "people")}


def _wait_out(store: MongoStore, op: Callable[[], T]) -> T:
    """Run one operation, again and again while the server is away (backoff), then give up.

    Each operation retried this way must be idempotent: a write the server applied before the
    connection dropped is applied again (see `upsert`'s write tokens).
    """
    from pymongo.errors import AutoReconnect, ConnectionFailure

    delay, waited = 0.5, 0.0
    while True:
        try:
            return op()
        except (AutoReconnect, ConnectionFailure) as exc:
            if waited >= store.retry_seconds:
                raise StorageError(
                    f"MongoDB at {store.safe_uri} unreachable for {waited:.0f}s: {exc}"
                ) from None
            logger.warning("MongoDB unreachable (%s); retrying in %.1fs", type(exc).__name__, delay)
            time.sleep(delay)
            waited += delay
            delay = min(delay * 2, 30)


def _retrying(fn: Callable[..., T]) -> Callable[..., T]:
    """A store method whose server operations are idempotent: retried whole while the server is
    away; any other driver error leaves it as a one-line StorageError."""

    @functools.wraps(fn)
    def wrapper(self: MongoStore, *args: Any, **kwargs: Any) -> T:
        from pymongo.errors import PyMongoError

        try:
            return _wait_out(self, lambda: fn(self, *args, **kwargs))
        except PyMongoError as exc:
            raise StorageError(f"MongoDB at {self.safe_uri}: {_message(exc)}") from None

    return wrapper


def _retrying_iter(fn: Callable[..., Iterator[T]]) -> Callable[..., Iterator[T]]:
    """For streams: a driver error in the middle of one is a StorageError too. (A stream is
    not retried whole: it would yield what it already yielded again.)"""

    @functools.wraps(fn)
    def wrapper(self: MongoStore, *args: Any, **kwargs: Any) -> Iterator[T]:
        from pymongo.errors import PyMongoError

        try:
            yield from fn(self, *args, **kwargs)
        except PyMongoError as exc:
            raise StorageError(f"MongoDB at {self.safe_uri}: {_message(exc)}") from None

    return wrapper


def _message(exc: Exception) -> str:
    details = getattr(exc, "details", None) or {}
    return str(details.get("errmsg") or exc).split("\n")[0][:300]


class MongoStore(MongoBlobs):
    """ArchiveStore on a MongoDB database (or mongomock, for tests on machines without a server)."""

    def __init__(
        self, db: Any, *, safe_uri: str, owns_client: Any = None, readonly: bool = False
    ) -> None:
        self.db = db
        self.readonly = readonly
        self.safe_uri = safe_uri
        self.retry_seconds = 120.0
        self._client = owns_client
        self._skew: float | None = None  # server clock minus ours (clock), measured once
        self.articles = db["articles"]
        self.aliases = db["aliases"]
        self.versions_c = db["versions"]
        self.raw = db["raw_pages"]
        self.captures_c = db["captures"]  # refetches of bytes already kept (WARC revisits)
        self.runs_c = db["runs"]
        self.state = db["crawl_state"]
        self.beats = db["heartbeats"]
        self.gone = db["gone"]
        self.locks_c = db["locks"]
        if readonly:
            # Queries create nothing; a database without our collections is no archive.
            if "articles" not in db.list_collection_names():
                raise StorageError(f"no archive at {safe_uri} (no articles collection)")
        else:
            self._create_indexes()

    @classmethod
    def from_uri(
        cls, uri: str, *, connect_timeout_ms: int = 5000, readonly: bool = False
    ) -> MongoStore:
        safe = redact_uri(uri)
        dbname = _database_name(uri)
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,63}", dbname):
            # Never quote it: with an unescaped "/" in the password, it is the password's tail.
            raise StorageError(
                f"bad store URI {safe!r}: the database name must be 1-63 letters, digits, _ or -"
                " (escape / and @ in the password as %2F and %40)"
            )
        if uri.startswith("mongomock://"):
            import mongomock

            client: Any = mongomock.MongoClient()
            return cls._open(client, dbname, safe, readonly)
        import pymongo
        from pymongo.errors import ConfigurationError, InvalidURI, PyMongoError

        try:
            client = pymongo.MongoClient(
                uri,
                serverSelectionTimeoutMS=connect_timeout_ms,
                connectTimeoutMS=connect_timeout_ms,
                tz_aware=True,
                appname="uninews",
            )
            client.admin.command("ping")
        except (InvalidURI, ConfigurationError, ValueError) as exc:
            raise StorageError(f"bad store URI {safe!r}: {exc}") from None
        except OSError as exc:  # a file the URI names (tlsCAFile, tlsCertificateKeyFile)
            raise StorageError(f"bad store URI {safe!r}: {exc.strerror or exc}") from None
        except PyMongoError as exc:
            first = str(exc).split(",")[0].split(";")[0]
            client.close()
            raise StorageError(f"cannot reach MongoDB at {safe}: {first}") from None
        return cls._open(client, dbname, safe, readonly)

    @classmethod
    def _open(cls, client: Any, dbname: str, safe: str, readonly: bool) -> MongoStore:
        """The store on `client[dbname]`; every server refusal is one line (StorageError)."""
        from pymongo.errors import OperationFailure, PyMongoError

        try:
            return cls(client[dbname], safe_uri=safe, owns_client=client, readonly=readonly)
        except StorageError:
            client.close()
            raise
        except OperationFailure as exc:
            client.close()
            raise StorageError(_refusal(exc, safe, readonly)) from None
        except PyMongoError as exc:
            client.close()
            raise StorageError(f"cannot use MongoDB at {safe}: {exc}") from None

    def __repr__(self) -> str:
        return f"MongoStore({self.safe_uri!r})"

    def _create_indexes(self) -> None:
        """Create every index (a no-op when it exists) and drop the ones they replace."""
        for coll, keys_, options in INDEXES:
            self.db[coll].create_index(keys_, **options)
        for coll, names in RETIRED_INDEXES.items():
            existing = set(self.db[coll].index_information())
            for name in names:
                if name in existing:
                    logger.info("Dropping the index %s.%s (replaced by a _v2 one)", coll, name)
                    self.db[coll].drop_index(name)

    # --- articles --------------------------------------------------------------------------
    def _find(self, url_keys: list[str]) -> dict[str, Any] | None:
        doc = self.articles.find_one(
            {"url_key": {"$in": url_keys}}, {"_id": 1, "version": 1, "record_hash": 1}
        )
        if doc is None:
            alias = self.aliases.find_one({"_id": {"$in": url_keys}})
            if alias is not None:
                doc = self.articles.find_one(
                    {"_id": alias["article_id"]}, {"_id": 1, "version": 1, "record_hash": 1}
                )
        return doc

    def _add_alias(self, key: str, aid: str, url: str, now: str) -> None:
        from pymongo.errors import DuplicateKeyError

        try:
            self.aliases.insert_one({"_id": key, "article_id": aid, "url": url, "first_seen": now})
        except DuplicateKeyError:
            held = self.aliases.find_one({"_id": key}, {"article_id": 1})
            if held is None or held["article_id"] != aid:
                return  # an alias of another article already
        # Also after a duplicate key: a retried insert may have been applied the first time.
        self.articles.update_one({"_id": aid}, {"$addToSet": {"aliases": url}})

    def upsert(
        self,
        record: dict[str, Any],
        raw: RawPage | None = None,
        *,
        prepared: Prepared | None = None,
    ) -> StoreResult:
        """Every write is retried on its own while the server is away, and made idempotent
        with a write token (`_w`): a write the server applied before the connection dropped
        is recognised, never applied twice (no seen_count counted twice, no outcome turned
        into `unchanged` by our own first attempt, no raw page lost)."""
        from pymongo.errors import DocumentTooLarge, PyMongoError, WriteError

        p = prepared if prepared is not None else prepare(record, raw)
        try:
            return self._upsert(p, uuid.uuid4().hex)
        except StorageError:
            raise
        except (DocumentTooLarge, WriteError) as exc:
            raise RecordError(f"cannot store {p.record.get('url')}: {_message(exc)}") from None
        except PyMongoError as exc:
            raise StorageError(f"MongoDB at {self.safe_uri}: {_message(exc)}") from None

    def _upsert(self, p: Prepared, token: str) -> StoreResult:
        from pymongo.errors import DuplicateKeyError

        def op(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
            return _wait_out(self, lambda: fn(*args, **kwargs))

        record, idx = p.record, p.index
        extra = other_keys(record, idx["url_key"])
        own_id = keys.article_id(idx["url_key"])
        substantial = is_substantial(record)
        for _ in range(_MAX_ATTEMPTS):
            now = utcnow()
            found = op(self._find, [idx["url_key"], *(k for k, _ in extra)])
            if found is None and substantial:
                dup = op(
                    self.articles.find_one,
                    {"site": record.get("site"), "content_hash": idx["content_hash"]},
                    {"_id": 1, "version": 1},
                )
                if dup is not None and dup["_id"] == own_id:
                    continue  # another writer stored this very URL a moment ago: update it
                if dup is not None:
                    aliases = [
                        (idx["url_key"], record.get("canonical_url") or record["url"]),
                        *extra,
                    ]
                    for key, url in aliases:
                        op(self._add_alias, key, dup["_id"], url, now)
                    op(self._seen, dup["_id"], None, now, token)
                    op(self._put_raw, dup["_id"], p)
                    return StoreResult(Outcome.DUPLICATE, dup["_id"], dup["version"])
            if found is None:
                doc = self._document(record, idx, own_id, 1, now, now, 1)
                doc.update(aliases=[], _w=token, dedupe=substantial, checks=0)
                doc["next_check"] = idx.get("next_check")
                try:
                    op(self.articles.insert_one, doc)
                except DuplicateKeyError:
                    mine = op(self.articles.find_one, {"_id": own_id}, {"_w": 1})
                    if mine is None or mine.get("_w") != token:
                        # Another writer got there first, with this URL (update it) or with
                        # this content under another URL (become its alias): look again.
                        continue
                for key, url in extra:
                    op(self._add_alias, key, own_id, url, now)
                op(self._put_raw, own_id, p)
                op(self.gone.delete_one, {"_id": idx["url_key"]})
                return StoreResult(Outcome.INSERTED, own_id, 1)

            aid, version = found["_id"], found["version"]
            for key, url in extra:
                op(self._add_alias, key, aid, url, now)
            if found["record_hash"] == idx["record_hash"]:
                if op(self._seen, aid, version, now, token):
                    op(self._put_raw, aid, p, keep=False)
                    return StoreResult(Outcome.UNCHANGED, aid, version)
                continue
            old = op(self.articles.find_one, {"_id": aid, "version": version})
            if old is None:
                continue
            old_record = {k: v for k, v in _public(old).items() if k not in _SHOWN_WHEN_SET}
            if fetched_earlier(record, old_record):
                known = op(self._has_version, aid, idx["record_hash"])
                op(self._put_raw, aid, p)
                return StoreResult(Outcome.UNCHANGED if known else Outcome.EARLIER, aid, version)
            # Keyed by (article, version): a retry after a crash rewrites the same document.
            op(
                self.versions_c.replace_one,
                {"_id": f"{aid}:{version}"},
                {
                    "_id": f"{aid}:{version}",
                    "article_id": aid,
                    "version": version,
                    "stored_at": old.get("last_seen"),
                    "record": old_record,
                },
                upsert=True,
            )
            doc = self._document(
                record, idx, aid, version + 1, old["first_seen"], now, old.get("seen_count", 0) + 1
            )
            doc.update(
                changed=keys.changed_fields(old_record, record),
                aliases=old.get("aliases", []),
                _w=token,
                dedupe=substantial and old.get("dedupe", False),
                changed_at=now,
                **{k: old[k] for k in _REVISIT_STATE if k in old},
            )
            if self._replace(aid, version, doc, token):
                op(self._put_raw, aid, p)
                return StoreResult(Outcome.NEW_VERSION, aid, version + 1)
        raise StorageError(f"could not store {record['url']}: too much concurrent change")

    def _has_version(self, aid: str, record_hash: str) -> bool:
        return any(
            keys.record_hash(v.get("record") or {}) == record_hash
            for v in self.versions_c.find({"article_id": aid}, {"record": 1})
        )

    def _seen(self, aid: str, version: int | None, now: str, token: str) -> bool:
        """Count a sighting once, however often this write is retried; False when the article
        changed version meanwhile (the caller looks again)."""
        flt: dict[str, Any] = {"_id": aid, "_w": {"$ne": token}}
        if version is not None:
            flt["version"] = version
        res = self.articles.update_one(
            flt, {"$set": {"last_seen": now, "_w": token}, "$inc": {"seen_count": 1}}
        )
        if res.matched_count:
            return True
        mine = self.articles.find_one({"_id": aid}, {"_w": 1, "version": 1})
        return bool(mine and mine.get("_w") == token)

    def _replace(self, aid: str, version: int, doc: dict[str, Any], token: str) -> bool:
        from pymongo.errors import DuplicateKeyError

        try:
            res = _wait_out(
                self, lambda: self.articles.replace_one({"_id": aid, "version": version}, doc)
            )
        except DuplicateKeyError:
            # The edit made it equal to another article of the site: store it all the same,
            # outside the unique content index (it is one article, edited, not a copy).
            doc["dedupe"] = False
            res = _wait_out(
                self, lambda: self.articles.replace_one({"_id": aid, "version": version}, doc)
            )
        if res.matched_count:
            return True
        mine = _wait_out(self, lambda: self.articles.find_one({"_id": aid}, {"_w": 1}))
        return bool(mine and mine.get("_w") == token)

    def upsert_many(self, batch: list[Prepared]) -> list[StoreResult | RecordError]:
        # MongoDB standalone servers have no multi-document transactions: one at a time, and a
        # record the server refuses fails alone.
        out: list[StoreResult | RecordError] = []
        for p in batch:
            try:
                out.append(self.upsert(p.record, prepared=p))
            except RecordError as exc:
                out.append(exc)
        return out

    @staticmethod
    def _document(
        record: dict[str, Any],
        idx: dict[str, Any],
        aid: str,
        version: int,
        first: str,
        last: str,
        count: int,
    ) -> dict[str, Any]:
        doc = dict(record)
        pub = idx["pub_utc"]
        doc.update(
            _id=aid,
            id=aid,
            url_key=idx["url_key"],
            content_hash=idx["content_hash"],
            record_hash=idx["record_hash"],
            pub_utc=datetime.strptime(pub, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            if pub
            else None,
            pub_date=idx["pub_date"],
            people=idx["people"],
            terms=sorted(set(idx["terms"].split())),
            version=version,
            first_seen=first,
            last_seen=last,
            seen_count=count,
        )
        return _fit(doc)

    def _put_raw(self, aid: str, p: Prepared, *, keep: bool = True) -> None:
        """Keep the fetched bytes (`keep`) unless kept already; a refetch is logged as a capture
        (see SQLiteStore._put_raw). Idempotent: retried after a lost reply, it does nothing more."""
        raw = p.raw
        if raw is None:
            return
        from bson.binary import Binary

        sha = p.raw_sha
        rid = f"{aid}:{sha}"
        if keep:
            blob = p.raw_blob or b""
            body: dict[str, Any] = {"body": Binary(blob)}
            if len(blob) > _DOC_LIMIT:
                # A page that compresses badly past the document limit: its bytes go to
                # GridFS, under the raw page's own id (so a retry finds them there).
                bucket = self._bucket()
                if not list(bucket.find({"_id": rid}).limit(1)):
                    bucket.upload_from_stream_with_id(rid, rid, blob)
                body = {"body": None, "body_gridfs": rid}
            res = self.raw.update_one(
                {"_id": rid},
                {
                    "$setOnInsert": {
                        "article_id": aid,
                        "body_sha": sha,
                        "url": raw.url,
                        "final_url": raw.final_url,
                        "status": raw.status,
                        "headers": raw.headers,
                        "request": raw.request_headers,
                        "fetched_at": raw.fetched_at,
                        "size": p.raw_size,
                        **body,
                    }
                },
                upsert=True,
            )
            if res.upserted_id is not None:
                return
        if self.raw.find_one({"_id": rid, "fetched_at": raw.fetched_at}, {"_id": 1}):
            return  # the kept page itself (this write retried, or a WARC imported twice)
        cid = f"{aid}:{raw.fetched_at}:{raw.url}"
        self.captures_c.update_one(
            {"_id": cid},
            {
                "$setOnInsert": {
                    "article_id": aid,
                    "body_sha": sha,
                    "url": raw.url,
                    "status": raw.status,
                    "headers": raw.headers,
                    "request": raw.request_headers,
                    "fetched_at": raw.fetched_at,
                }
            },
            upsert=True,
        )

    def _bucket(self) -> Any:
        """GridFS for raw pages past the document limit (collections raw_bodies.files/chunks)."""
        import gridfs

        return gridfs.GridFSBucket(self.db, bucket_name="raw_bodies")

    def _raw_body(self, doc: dict[str, Any]) -> bytes:
        if doc.get("body_gridfs"):
            return decompress(self._bucket().open_download_stream(doc["body_gridfs"]).read())
        return decompress(bytes(doc["body"]))

    @_retrying
    def get(self, id_or_url: str) -> dict[str, Any] | None:
        doc = self.articles.find_one({"_id": id_or_url})
        if doc is None and ("/" in id_or_url or "." in id_or_url):
            found = self._find([keys.url_key(id_or_url)])
            if found is not None:
                doc = self.articles.find_one({"_id": found["_id"]})
        return _public(doc) if doc else None

    @_retrying
    def versions(self, article_id: str) -> list[dict[str, Any]]:
        current = self.get(article_id)
        if current is None:
            return []
        out = [
            {"version": v["version"], "stored_at": v["stored_at"], "record": v["record"]}
            for v in self.versions_c.find({"article_id": current["id"]}).sort("version", 1)
            if v["version"] < current["version"]
        ]
        out.append(
            {"version": current["version"], "stored_at": current["last_seen"], "record": current}
        )
        return with_changes(out)

    @_retrying
    def known_urls(self, urls: list[str]) -> set[str]:
        by_key: dict[str, list[str]] = {}
        for u in urls:
            by_key.setdefault(keys.url_key(u), []).append(u)
        all_keys = list(by_key)
        hits: set[str] = set()
        for i in range(0, len(all_keys), _IN_CHUNK):
            chunk = all_keys[i : i + _IN_CHUNK]
            flt = {"$in": chunk}
            hits |= {d["url_key"] for d in self.articles.find({"url_key": flt}, {"url_key": 1})}
            hits |= {d["_id"] for d in self.aliases.find({"_id": flt}, {"_id": 1})}
            hits |= {d["_id"] for d in self.gone.find({"_id": flt}, {"_id": 1})}
        return {u for k in hits for u in by_key[k]}

    @_retrying
    def fill_counts(self, site: str) -> dict[str, int]:
        # One count per field, each on the site index (a query, not an aggregation: mongomock
        # has no $strLenCP, and a regex says "200 characters or more" to both).
        filled: dict[str, dict[str, Any]] = {
            "title": {"title": {"$nin": [None, ""]}},
            "published_at": {"published_at": {"$nin": [None, ""]}},
            "authors": {"authors.0": {"$exists": True}},
            "source": {"source": {"$nin": [None, ""]}},
            "text": {"text": {"$regex": f"^[\\s\\S]{{{TEXT_FILLED}}}"}},
            "images": {"images.0": {"$exists": True}},
        }
        out = {"articles": self.articles.count_documents({"site": site})}
        for name in FILL_FIELDS:
            out[name] = self.articles.count_documents({"site": site, **filled[name]})
        return out

    @_retrying
    def add_alias(self, article_id: str, url: str) -> bool:
        key = keys.url_key(url)
        own = self.articles.find_one({"_id": article_id}, {"url_key": 1})
        if own is None:
            return False
        if own.get("url_key") == key:
            return True  # its own URL: no self-alias
        if self.articles.find_one({"url_key": key}, {"_id": 1}) is not None:
            return False
        self._add_alias(key, article_id, url, utcnow())
        held = self.aliases.find_one({"_id": key}, {"article_id": 1})
        return held is not None and held["article_id"] == article_id

    @_retrying
    def mark_gone(self, url: str, site: str, reason: str) -> None:
        now = utcnow()
        self.gone.update_one(
            {"_id": keys.url_key(url)},
            {
                "$set": {"reason": reason, "last_seen": now},
                "$setOnInsert": {"url": url, "site": site, "first_seen": now},
            },
            upsert=True,
        )

    # --- queries ---------------------------------------------------------------------------
    @staticmethod
    def _filter(site: str | None, since: str | None, until: str | None) -> dict[str, Any]:
        """The query for a site and a range of local publish dates.

        `pub_date` is the local date; the sort indexes are on `pub_utc`. Every instant of a
        local date lies between its midnight at UTC+14 and its end at UTC-12, so bounds on
        `pub_utc` let the index narrow the range, and `pub_date` decides it exactly.
        """
        flt: dict[str, Any] = {}
        if site:
            flt["site"] = site
        if since or until:
            days: dict[str, str] = {}
            utc: dict[str, datetime] = {}
            if since:
                days["$gte"] = since[:10]
                utc["$gte"] = _midnight(since) - _BEFORE_DAY
            if until:
                days["$lte"] = until[:10]
                utc["$lt"] = _midnight(until) + _AFTER_DAY
            flt["pub_date"] = days
            flt["pub_utc"] = utc
        return flt

    def _query(self, query: SearchQuery) -> tuple[dict[str, Any], bool]:
        """The server's filter for a search, and whether it alone decides the match."""
        flt = self._filter(query.site, query.since, query.until)
        exact = True
        if query.text:
            parts = [keys.search_terms(part) for part in query.text.split()]
            terms = [t for ts in parts for t in ts if keys.findable(t)]
            if terms:
                flt["terms"] = {"$all": sorted(set(terms))}
            # Each part one term: the terms decide; else (a lone CJK character, a longer
            # Chinese word whose bigrams must be adjacent) the text is checked here too.
            exact = all(len(ts) == 1 and keys.findable(ts[0]) for ts in parts)
        if query.author:
            flt["people"] = {"$regex": re.escape(query.author), "$options": "i"}
        if query.changed_since:
            flt["changed_at"] = {"$gte": query.changed_since}
        if query.withdrawn:
            flt["withdrawn_at"] = {"$ne": None}
        if query.after is not None:
            flt.setdefault("$and", []).append(_after(*query.after))
        return flt, exact

    @_retrying_iter
    def search(self, query: SearchQuery) -> Iterator[dict[str, Any]]:
        flt, exact = self._query(query)
        # Sorted by an index (pub_first_v2, site_pub_first_v2, terms_pub_first_v2): the server
        # streams matches in order and stops at the limit, never sorting the whole collection.
        if not query.oldest:
            parts = [(flt, _NEWEST_FIRST)]
        else:  # the same index walked backwards, dated matches first, undated last as ever
            parts = [
                ({"$and": [flt, {"pub_utc": {"$ne": None}}]}, _OLDEST_FIRST),
                ({"$and": [flt, {"pub_utc": None}]}, _OLDEST_FIRST),
            ]
        yield from self._matching(self._walk(parts, query, exact), query, exact)

    def _walk(
        self, parts: list[tuple[dict[str, Any], Any]], query: SearchQuery, exact: bool
    ) -> Iterator[dict[str, Any]]:
        """The documents of each (filter, order) in turn, from `query.offset` on: skipped on the
        server, over the index, when the filter alone decides the match."""
        skip = query.offset
        for i, (flt, order) in enumerate(parts):
            cursor = self.articles.find(flt).sort(order)
            if exact:
                if skip and i < len(parts) - 1:
                    here = self.articles.count_documents(flt)
                    if skip >= here:  # the whole part is before the page
                        skip -= here
                        continue
                cursor = cursor.skip(skip)
                skip = 0
                if query.limit:
                    cursor = cursor.limit(query.limit)
            for doc in cursor:
                if (
                    skip
                    and not exact
                    and (not query.text or keys.matches_text(_public(doc), query.text))
                ):
                    skip -= 1
                    continue
                yield doc

    def _matching(self, cursor: Any, query: SearchQuery, exact: bool) -> Iterator[dict[str, Any]]:
        emitted = 0
        for doc in cursor:
            rec = _public(doc)
            if not exact and query.text and not keys.matches_text(rec, query.text):
                continue
            yield rec
            emitted += 1
            if query.limit and emitted >= query.limit:
                return

    @_retrying_iter
    def match_texts(self, query: SearchQuery) -> Iterator[dict[str, Any]]:
        flt, exact = self._query(query)
        shown = {"title": 1, "subtitle": 1, "text": 1}
        for doc in self.articles.find(flt, shown).sort(_NEWEST_FIRST):
            rec = {"id": doc["_id"], **{f: doc.get(f) for f in shown}}
            if exact or not query.text or keys.matches_text(rec, query.text):
                yield rec

    @_retrying
    def count_matches(self, query: SearchQuery) -> int:
        flt, exact = self._query(query)
        if exact:
            return int(self.articles.count_documents(flt))
        return sum(
            1 for _ in self._matching(self.articles.find(flt), replace(query, limit=None), False)
        )

    @_retrying_iter
    def iter_records(self, site: str | None = None) -> Iterator[dict[str, Any]]:
        flt = {"site": site} if site else {}
        for doc in self.articles.find(flt).sort(_NEWEST_FIRST):
            yield _public(doc)

    @_retrying_iter
    def raw_pages(
        self, site: str | None = None, since: str | None = None
    ) -> Iterator[tuple[dict[str, Any], RawPage]]:
        # Ids first: re-extraction of a large archive outlasts a server cursor's 10 minutes, and
        # a record that changes (new version) while a cursor walks might come round twice.
        ids = [
            d["_id"]
            for d in _wait_out(
                self, lambda: list(self.articles.find(self._filter(site, since, None), {"_id": 1}))
            )
        ]
        for aid in ids:
            pair = self._raw_page(aid)
            if pair is not None:
                yield pair

    @_retrying
    def _raw_page(self, aid: str) -> tuple[dict[str, Any], RawPage] | None:
        rec = self.get(aid)
        if rec is None:
            return None
        raw = self.raw.find_one({"article_id": aid, "url": rec["url"]}, sort=[("fetched_at", -1)])
        raw = raw or self.raw.find_one({"article_id": aid}, sort=[("fetched_at", -1)])
        if raw is None:
            return None
        return rec, self._raw_from(raw)

    def raw_page(self, article_id: str) -> RawPage | None:
        found = self._raw_page(article_id)
        return found[1] if found else None

    @_retrying
    def monthly_counts(self, site: str) -> list[tuple[str, int]]:
        months: dict[str, int] = {}
        # pub_date only (the site_month index covers it): no record is read.
        for doc in self.articles.find(
            {"site": site, "pub_date": {"$ne": None}}, {"_id": 0, "pub_date": 1}
        ):
            month = str(doc["pub_date"])[:7]
            months[month] = months.get(month, 0) + 1
        return sorted(months.items())

    def _raw_from(self, doc: dict[str, Any]) -> RawPage:
        return RawPage(
            url=doc["url"],
            final_url=doc.get("final_url") or doc["url"],
            status=doc["status"],
            headers=doc["headers"],
            fetched_at=doc["fetched_at"],
            body=self._raw_body(doc) if "body" in doc or "body_gridfs" in doc else b"",
            request_headers=doc.get("request"),
        )

    @_retrying_iter
    def captures(
        self, site: str | None = None, since: str | None = None, until: str | None = None
    ) -> Iterator[tuple[dict[str, Any], list[Capture]]]:
        # Ids first, as in raw_pages: an export of a large archive outlasts a cursor.
        flt = self._filter(site, since, until)
        ids = [
            d["_id"]
            for d in _wait_out(
                self,
                lambda: list(
                    self.articles.find(flt, {"_id": 1}).sort([("first_seen", 1), ("_id", 1)])
                ),
            )
        ]
        for aid in ids:
            found = self._captures_of(aid)
            if found is not None:
                yield found

    @_retrying
    def _captures_of(self, aid: str) -> tuple[dict[str, Any], list[Capture]] | None:
        rec = self.get(aid)
        kept = list(self.raw.find({"article_id": aid}))
        if rec is None or not kept:
            return None
        out = [Capture(self._raw_from(d), d["body_sha"], stored=True) for d in kept]
        out += [
            Capture(self._raw_from(d), d["body_sha"], stored=False)
            for d in self.captures_c.find({"article_id": aid})
        ]
        out.sort(key=lambda c: c.raw.fetched_at)
        return rec, out

    @_retrying
    def stats(self) -> list[dict[str, Any]]:
        # Per site, from indexes only: a count, and the first and last document in publish
        # order (no $group over the whole collection).
        sites = sorted(s for s in self.articles.distinct("site") if s is not None)
        out = []
        for site in sites:
            dated = {"site": site, "pub_utc": {"$ne": None}}
            first = self.articles.find_one(dated, {"pub_date": 1}, sort=[("pub_utc", 1)])
            last = self.articles.find_one(dated, {"pub_date": 1}, sort=[("pub_utc", -1)])
            run = self.runs_c.find_one({"site": site}, sort=[("started_at", -1)])
            out.append(
                {
                    "site": site,
                    "articles": self.articles.count_documents({"site": site}),
                    "earliest": first["pub_date"] if first else None,
                    "latest": last["pub_date"] if last else None,
                    "last_crawl": (run.get("ended_at") or run["started_at"]) if run else None,
                    "edited": self.articles.count_documents({"site": site, "version": {"$gt": 1}}),
                    "withdrawn": self.articles.count_documents(
                        {"site": site, "withdrawn_at": {"$ne": None}}
                    ),
                }
            )
        for site in sorted(set(self.runs_c.distinct("site")) - set(sites)):
            run = self.runs_c.find_one({"site": site}, sort=[("started_at", -1)])
            at = (run.get("ended_at") or run["started_at"]) if run else None
            out.append(
                {
                    "site": site,
                    "articles": 0,
                    "earliest": None,
                    "latest": None,
                    "last_crawl": at,
                    "edited": 0,
                    "withdrawn": 0,
                }
            )
        return out

    @_retrying
    def count(self, site: str | None = None) -> int:
        if site:
            return int(self.articles.count_documents({"site": site}))
        # Counted on the _id index, not by reading every document.
        return int(self.articles.count_documents({}, hint="_id_"))

    @_retrying
    def site_names(self) -> list[str]:
        return sorted(str(s) for s in self.articles.distinct("site"))

    # --- revisits ---------------------------------------------------------------------------
    @_retrying
    def revisits(
        self,
        site: str,
        *,
        due_before: str | None = None,
        published_since: str | None = None,
        limit: int | None = None,
    ) -> list[Revisit]:
        flt: dict[str, Any] = {"site": site}
        order = [("pub_utc", -1)]
        if due_before is not None:
            flt["next_check"] = {"$ne": None, "$lte": due_before}
            order = [("next_check", 1)]  # the most overdue first (site_next_check_v2)
        if published_since:
            flt["pub_date"] = {"$gte": published_since[:10]}
        cursor = self.articles.find(
            flt,
            {
                "url": 1,
                "first_seen": 1,
                "checks": 1,
                "withdrawn_at": 1,
                "published_at": 1,
                "title": 1,
                "fetch.encoding": 1,
                "fetch.decode_faults": 1,
            },
        ).sort(order)
        if limit:
            cursor = cursor.limit(limit)
        out = []
        for doc in list(cursor):
            raw = self.raw.find_one(
                {"article_id": doc["_id"]}, {"headers": 1}, sort=[("fetched_at", -1)]
            )
            headers = {str(k).lower(): v for k, v in ((raw or {}).get("headers") or {}).items()}
            out.append(
                Revisit(
                    doc["_id"],
                    doc["url"],
                    headers.get("etag"),
                    headers.get("last-modified"),
                    doc.get("published_at"),
                    doc["first_seen"],
                    int(doc.get("checks") or 0),
                    doc.get("withdrawn_at") is not None,
                    doc.get("title"),
                    (doc.get("fetch") or {}).get("encoding"),
                    (doc.get("fetch") or {}).get("decode_faults"),
                )
            )
        return out

    @_retrying
    def record_check(self, article_id: str, result: str, at: str, next_check: str | None) -> None:
        if result == WITHDRAWN:
            # Noticed once: the first time it was found gone stays the withdrawal's time.
            self.articles.update_one(
                {"_id": article_id, "withdrawn_at": None}, {"$set": {"withdrawn_at": at}}
            )
        fields: dict[str, Any] = {
            "last_checked": at,
            "last_check": result,
            "next_check": next_check,
        }
        if result != WITHDRAWN:
            fields["withdrawn_at"] = None
        self.articles.update_one({"_id": article_id}, {"$set": fields, "$inc": {"checks": 1}})

    # --- runs, state, heartbeat --------------------------------------------------------------
    @_retrying
    def start_run(self, run: RunRecord) -> str:
        run_id = run.id or uuid.uuid4().hex[:12]
        doc = run.as_dict()
        doc["id"] = run_id
        doc["_id"] = run_id
        self.runs_c.replace_one({"_id": run_id}, doc, upsert=True)
        return run_id

    @_retrying
    def finish_run(
        self, run_id: str, status: str, counts: dict[str, int], error: str | None
    ) -> None:
        self.runs_c.update_one(
            {"_id": run_id},
            {"$set": {"ended_at": utcnow(), "status": status, "counts": counts, "error": error}},
        )

    @_retrying
    def runs(self, site: str | None = None, limit: int = 20) -> list[RunRecord]:
        flt = {"site": site} if site else {}
        return [
            RunRecord(
                id=d["_id"],
                site=d["site"],
                kind=d.get("kind", "crawl"),
                started_at=d["started_at"],
                ended_at=d.get("ended_at"),
                status=d["status"],
                counts=d.get("counts") or {},
                error=d.get("error"),
                pid=d.get("pid"),
                host=d.get("host"),
                node=d.get("node"),
            )
            for d in self.runs_c.find(flt).sort("started_at", -1).limit(limit)
        ]

    @_retrying
    def get_state(self, key: str) -> dict[str, Any] | None:
        doc = self.state.find_one({"_id": key})
        return doc["value"] if doc else None

    @_retrying
    def set_state(self, key: str, value: dict[str, Any] | None) -> None:
        if value is None:
            self.state.delete_one({"_id": key})
        else:
            self.state.replace_one(
                {"_id": key}, {"_id": key, "value": value, "updated_at": utcnow()}, upsert=True
            )

    @_retrying
    def heartbeat(self, name: str, info: dict[str, Any]) -> None:
        self.beats.replace_one(
            {"_id": name}, {"_id": name, "info": info, "at": utcnow()}, upsert=True
        )

    @_retrying
    def get_heartbeat(self, name: str) -> dict[str, Any] | None:
        doc = self.beats.find_one({"_id": name})
        if doc is None:
            return None
        info: dict[str, Any] = dict(doc["info"])
        info["at"] = doc["at"]
        return info

    def heartbeats(self, prefix: str) -> dict[str, dict[str, Any]]:
        found = self.beats.find({"_id": {"$regex": "^" + re.escape(prefix)}})
        return {doc["_id"]: {**doc["info"], "at": doc["at"]} for doc in found}

    # --- locks: leases that expire unless their holder renews them ---------------------------
    def clock(self) -> float:
        """Now, in seconds since the epoch, by the server's clock: leases are taken and judged
        on several machines, whose own clocks may disagree by more than a lease's margin."""
        if self._skew is None:
            self._skew = 0.0
            try:
                sent = time.time()
                hello = self.db.command("hello")
                back = time.time()
                server = hello["localTime"].replace(tzinfo=UTC).timestamp()
                self._skew = server - (sent + back) / 2
            except Exception as exc:  # an old server or mongomock: this machine's clock
                logger.debug("server time unknown (%s); leases use this machine's clock", exc)
        return time.time() + self._skew

    @_retrying
    def lock(self, name: str, info: dict[str, Any]) -> MongoLease | None:
        from pymongo import ReturnDocument
        from pymongo.errors import DuplicateKeyError

        token = uuid.uuid4().hex
        now = self.clock()
        try:
            self.locks_c.find_one_and_update(
                {"_id": name, "expires_at": {"$lt": now}},
                {"$set": {"holder": token, "info": info, "expires_at": now + LEASE_SECONDS}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            # Held and not expired; but a holder on this host whose process is gone (kill -9,
            # a restarted container) need not be waited out for LEASE_SECONDS.
            held = self.locks_c.find_one({"_id": name})
            if held is None or held.get("holder") in _LIVE_TOKENS:
                return None
            info_held = held.get("info") or {}
            # pid 1 again in a restarted container is not the process that took the lease.
            reborn = info_held.get("pid") == os.getpid() and info_held.get("host") == info.get(
                "host"
            )
            if not (reborn or process_gone(info_held)):
                return None
            res = self.locks_c.update_one(
                {"_id": name, "holder": held.get("holder")},
                {"$set": {"holder": token, "info": info, "expires_at": now + LEASE_SECONDS}},
            )
            if not res.matched_count:
                return None
        return MongoLease(self, name, token)

    @_retrying
    def lock_holder(self, name: str) -> dict[str, Any] | None:
        doc = self.locks_c.find_one({"_id": name, "expires_at": {"$gte": self.clock()}})
        if doc is None or process_gone(doc.get("info")):
            return None
        return dict(doc.get("info") or {})

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class MongoLease:
    """A held lease, renewed by a thread until released; lost if the holder stops renewing."""

    def __init__(self, store: MongoStore, name: str, token: str) -> None:
        self.name = name
        self._store = store
        self._token = token
        _LIVE_TOKENS.add(token)
        self._renewed = store.clock()  # the lease runs until LEASE_SECONDS after this
        self._lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name=f"lease-{name}", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        while not self._stop.wait(LEASE_SECONDS / 3):
            now = self._store.clock()
            try:
                res = self._store.locks_c.update_one(
                    {"_id": self.name, "holder": self._token},
                    {"$set": {"expires_at": now + LEASE_SECONDS}},
                )
            except Exception as exc:  # the server may be away for a moment; try again soon
                logger.warning("Cannot renew the lease %r: %s", self.name, exc)
                continue
            if not res.matched_count:
                logger.error("Lost the lease %r: another process took it over", self.name)
                self._lost = True
                return
            self._renewed = now

    def held(self) -> bool:
        # Not ours once another process may take it (unrenewed past its expiry), and a little
        # before: the holder stops acting on it before anyone else can start.
        deadline = self._renewed + LEASE_SECONDS * 5 / 6
        return not (self._stop.is_set() or self._lost) and self._store.clock() < deadline

    def release(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        _LIVE_TOKENS.discard(self._token)
        with contextlib.suppress(Exception):
            self._store.locks_c.delete_one({"_id": self.name, "holder": self._token})

    def __enter__(self) -> MongoLease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


_NEWEST_FIRST = [("pub_utc", -1), ("first_seen", -1)]  # undated records last
_OLDEST_FIRST = [("pub_utc", 1), ("first_seen", 1)]  # dated records only (see search)


def _after(pub: str | None, first: str, aid: str) -> dict[str, Any]:
    """The filter for records after (pub_utc, first_seen, id) in newest-first order."""
    later: list[dict[str, Any]] = [
        {"first_seen": {"$lt": first}},
        {"first_seen": first, "_id": {"$lt": aid}},
    ]
    if pub is None:  # undated records come last: only more of them
        return {"pub_utc": None, "$or": later}
    at = datetime.strptime(pub, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return {
        "$or": [
            {"pub_utc": {"$lt": at}},
            {"pub_utc": None},
            *({"pub_utc": at, **cond} for cond in later),
        ]
    }


def _midnight(day: str) -> datetime:
    return datetime.fromisoformat(day[:10]).replace(tzinfo=UTC)


def _fit(doc: dict[str, Any]) -> dict[str, Any]:
    """The document under the server's 16 MiB limit: without its body HTML if need be (the raw
    page keeps it; `uninews reprocess` can rebuild it), else RecordError."""
    import bson

    if len(bson.encode(doc)) <= _DOC_LIMIT:
        return doc
    logger.warning("Record of %s over 15 MiB: stored without its body HTML", doc.get("url"))
    doc["html"] = None
    if len(bson.encode(doc)) <= _DOC_LIMIT:
        return doc
    raise RecordError(f"cannot store {doc.get('url')}: its text alone is over 15 MiB")


def _database_name(uri: str) -> str:
    """The database a MongoDB URI names ("uninews" when none): the path after the hosts, which
    follow the last "@" of the authority (a password may hold a raw "/" or "@")."""
    rest = uri.split("://", 1)[-1]
    before_query = rest.split("?", 1)[0]
    hosts_on = before_query.rsplit("@", 1)[-1]
    _, _, path = hosts_on.partition("/")
    return path or "uninews"


def _refusal(exc: Any, safe: str, readonly: bool) -> str:
    """A server's OperationFailure when opening the store, as one line a user can act on."""
    code = getattr(exc, "code", None)
    message = (getattr(exc, "details", None) or {}).get("errmsg") or str(exc).split(",")[0]
    if code == 18:  # AuthenticationFailed
        return (
            f"MongoDB at {safe} refused the user name or password; a user created in the admin"
            " database (as docker-compose's root user is) needs ?authSource=admin in the URI"
        )
    if code == 13:  # Unauthorized
        if readonly:
            return f"MongoDB at {safe}: this user may not read the archive ({message})"
        return (
            f"MongoDB at {safe}: this user may not write ({message}); crawls need the readWrite"
            " role, queries (search, show, export, stats, status) work with read"
        )
    if code in (85, 86) or "already exists with different" in message:  # Index*Conflict
        return (
            f"MongoDB at {safe}: an existing index conflicts with uninews' own ({message}); drop"
            " that index (uninews recreates its own) and try again"
        )
    return f"MongoDB at {safe} refused: {message}"


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    """The record as users see it: the document without the store's own index fields."""
    return {
        k: v
        for k, v in doc.items()
        if k not in _INTERNAL and (v is not None or k not in _SHOWN_WHEN_SET)
    }
