"""The production archive on MongoDB: plain documents people can query by hand (docs/mongodb.md)."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from storage import keys
from storage.base import (
    Outcome,
    RawPage,
    RunRecord,
    SearchQuery,
    StorageError,
    StoreResult,
)
from storage.common import (
    Prepared,
    decompress,
    is_substantial,
    other_keys,
    prepare,
    utcnow,
    with_changes,
)
from storage.locks import process_gone
from storage.uri import redact_uri

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Fields kept in each article document beside the record's own fields; never shown to users.
_INTERNAL = (
    "_id",
    "url_key",
    "content_hash",
    "record_hash",
    "pub_utc",
    "pub_date",
    "people",
    "terms",
)
_MAX_ATTEMPTS = 8  # optimistic-concurrency retries when another writer got there first
# A lease lives this long unless renewed (every third of it); a holder killed with -9 frees it
# after at most this long. `uninews status` also checks the holder's pid on the same host.
LEASE_SECONDS = 30.0
_LIVE_TOKENS: set[str] = set()  # leases this process holds


def _retrying(fn: Callable[..., T]) -> Callable[..., T]:
    """Retry an operation while the server is away, with exponential backoff, then give up."""

    def wrapper(self: MongoStore, *args: Any, **kwargs: Any) -> T:
        from pymongo.errors import AutoReconnect, ConnectionFailure

        delay, waited = 0.5, 0.0
        while True:
            try:
                return fn(self, *args, **kwargs)
            except (AutoReconnect, ConnectionFailure) as exc:
                if waited >= self.retry_seconds:
                    raise StorageError(
                        f"MongoDB at {self.safe_uri} unreachable for {waited:.0f}s: {exc}"
                    ) from None
                logger.warning(
                    "MongoDB unreachable (%s); retrying in %.1fs", type(exc).__name__, delay
                )
                time.sleep(delay)
                waited += delay
                delay = min(delay * 2, 30)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


class MongoStore:
    """ArchiveStore on a MongoDB database (or mongomock, for tests on machines without a server)."""

    def __init__(
        self, db: Any, *, safe_uri: str, owns_client: Any = None, readonly: bool = False
    ) -> None:
        self.db = db
        self.readonly = readonly
        self.safe_uri = safe_uri
        self.retry_seconds = 120.0
        self._client = owns_client
        self.articles = db["articles"]
        self.aliases = db["aliases"]
        self.versions_c = db["versions"]
        self.raw = db["raw_pages"]
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
        # Idempotent: create_index is a no-op when an identical index exists.
        self.articles.create_index("url_key", unique=True, name="url_key_unique")
        self.articles.create_index([("site", 1), ("pub_utc", -1)], name="site_pub")
        self.articles.create_index([("pub_utc", -1)], name="pub")
        self.articles.create_index("content_hash", name="content_hash")
        self.articles.create_index("terms", name="terms")  # multikey: words and CJK bigrams
        self.articles.create_index("people", name="people")
        self.aliases.create_index("article_id", name="article")
        self.versions_c.create_index(
            [("article_id", 1), ("version", 1)], unique=True, name="article_version"
        )
        self.raw.create_index([("article_id", 1), ("fetched_at", -1)], name="article_fetched")
        self.runs_c.create_index([("site", 1), ("started_at", -1)], name="site_started")

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
            return
        self.articles.update_one({"_id": aid}, {"$addToSet": {"aliases": url}})

    @_retrying
    def upsert(
        self,
        record: dict[str, Any],
        raw: RawPage | None = None,
        *,
        prepared: Prepared | None = None,
    ) -> StoreResult:
        from pymongo.errors import DuplicateKeyError

        p = prepared if prepared is not None else prepare(record, raw)
        record, idx = p.record, p.index
        extra = other_keys(record, idx["url_key"])
        for _ in range(_MAX_ATTEMPTS):
            now = utcnow()
            found = self._find([idx["url_key"], *(k for k, _ in extra)])
            if found is None and is_substantial(record):
                dup = self.articles.find_one(
                    {"content_hash": idx["content_hash"], "site": record.get("site")},
                    {"_id": 1, "version": 1},
                )
                if dup is not None:
                    aliases = [
                        (idx["url_key"], record.get("canonical_url") or record["url"]),
                        *extra,
                    ]
                    for key, url in aliases:
                        self._add_alias(key, dup["_id"], url, now)
                    self.articles.update_one(
                        {"_id": dup["_id"]}, {"$set": {"last_seen": now}, "$inc": {"seen_count": 1}}
                    )
                    self._put_raw(dup["_id"], p)
                    return StoreResult(Outcome.DUPLICATE, dup["_id"], dup["version"])
            if found is None:
                aid = keys.article_id(idx["url_key"])
                doc = self._document(record, idx, aid, 1, now, now, 1)
                doc["aliases"] = []
                try:
                    self.articles.insert_one(doc)
                except DuplicateKeyError:
                    continue  # another writer inserted it a moment ago: take the update path
                for key, url in extra:
                    self._add_alias(key, aid, url, now)
                self._put_raw(aid, p)
                self.gone.delete_one({"_id": idx["url_key"]})
                return StoreResult(Outcome.INSERTED, aid, 1)

            aid, version = found["_id"], found["version"]
            for key, url in extra:
                self._add_alias(key, aid, url, now)
            if found["record_hash"] == idx["record_hash"]:
                res = self.articles.update_one(
                    {"_id": aid, "version": version},
                    {"$set": {"last_seen": now}, "$inc": {"seen_count": 1}},
                )
                if res.matched_count:
                    return StoreResult(Outcome.UNCHANGED, aid, version)
                continue
            old = self.articles.find_one({"_id": aid, "version": version})
            if old is None:
                continue
            old_record = _public(old)
            # Keyed by (article, version): a retry after a crash rewrites the same document.
            self.versions_c.replace_one(
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
            doc["changed"] = keys.changed_fields(old_record, record)
            doc["aliases"] = old.get("aliases", [])
            res = self.articles.replace_one({"_id": aid, "version": version}, doc)
            if res.matched_count:
                self._put_raw(aid, p)
                return StoreResult(Outcome.NEW_VERSION, aid, version + 1)
        raise StorageError(f"could not store {record['url']}: too much concurrent change")

    def upsert_many(self, batch: list[Prepared]) -> list[StoreResult]:
        # MongoDB standalone servers have no multi-document transactions: one at a time.
        return [self.upsert(p.record, prepared=p) for p in batch]

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
        return doc

    def _put_raw(self, aid: str, p: Prepared) -> None:
        raw = p.raw
        if raw is None:
            return
        from bson.binary import Binary

        sha = p.raw_sha
        self.raw.update_one(
            {"_id": f"{aid}:{sha}"},
            {
                "$setOnInsert": {
                    "article_id": aid,
                    "body_sha": sha,
                    "url": raw.url,
                    "final_url": raw.final_url,
                    "status": raw.status,
                    "headers": raw.headers,
                    "fetched_at": raw.fetched_at,
                    "size": p.raw_size,
                    "body": Binary(p.raw_blob or b""),
                }
            },
            upsert=True,
        )

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
        if not by_key:
            return set()
        hits = {
            d["url_key"]
            for d in self.articles.find({"url_key": {"$in": list(by_key)}}, {"url_key": 1})
        }
        hits |= {d["_id"] for d in self.aliases.find({"_id": {"$in": list(by_key)}}, {"_id": 1})}
        hits |= {d["_id"] for d in self.gone.find({"_id": {"$in": list(by_key)}}, {"_id": 1})}
        return {u for k in hits for u in by_key[k]}

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
    def _filter(self, site: str | None, since: str | None, until: str | None) -> dict[str, Any]:
        flt: dict[str, Any] = {}
        if site:
            flt["site"] = site
        if since or until:
            rng: dict[str, str] = {}
            if since:
                rng["$gte"] = since[:10]
            if until:
                rng["$lte"] = until[:10]
            flt["pub_date"] = rng
        return flt

    def search(self, query: SearchQuery) -> Iterator[dict[str, Any]]:
        flt = self._filter(query.site, query.since, query.until)
        if query.text:
            terms = [t for t in keys.search_terms(query.text) if len(t) > 1 or t.isascii()]
            if terms:
                flt["terms"] = {"$all": sorted(set(terms))}
        if query.author:
            flt["people"] = {"$regex": re.escape(query.author), "$options": "i"}
        cursor = self.articles.find(flt).sort([("pub_utc", -1), ("first_seen", -1)])
        emitted = 0
        for doc in cursor:
            rec = _public(doc)
            if query.text and not keys.matches_text(rec, query.text):
                continue
            yield rec
            emitted += 1
            if query.limit and emitted >= query.limit:
                return

    def iter_records(self, site: str | None = None) -> Iterator[dict[str, Any]]:
        flt = {"site": site} if site else {}
        for doc in self.articles.find(flt).sort([("pub_utc", -1), ("first_seen", -1)]):
            yield _public(doc)

    def raw_pages(
        self, site: str | None = None, since: str | None = None
    ) -> Iterator[tuple[dict[str, Any], RawPage]]:
        for doc in self.articles.find(self._filter(site, since, None), {"_id": 1, "url": 1}):
            raw = self.raw.find_one(
                {"article_id": doc["_id"], "url": doc["url"]}, sort=[("fetched_at", -1)]
            )
            raw = raw or self.raw.find_one({"article_id": doc["_id"]}, sort=[("fetched_at", -1)])
            rec = self.get(doc["_id"])
            if raw is None or rec is None:
                continue
            yield (
                rec,
                RawPage(
                    url=raw["url"],
                    final_url=raw["final_url"],
                    status=raw["status"],
                    headers=raw["headers"],
                    fetched_at=raw["fetched_at"],
                    body=decompress(bytes(raw["body"])),
                ),
            )

    @_retrying
    def stats(self) -> list[dict[str, Any]]:
        rows = list(
            self.articles.aggregate(
                [
                    {
                        "$group": {
                            "_id": "$site",
                            "articles": {"$sum": 1},
                            "earliest": {"$min": "$pub_date"},
                            "latest": {"$max": "$pub_date"},
                            "seen": {"$max": "$last_seen"},
                        }
                    },
                    {"$sort": {"_id": 1}},
                ]
            )
        )
        last_runs: dict[str, str] = {}
        for r in self.runs_c.find({}, {"site": 1, "started_at": 1, "ended_at": 1}):
            at = r.get("ended_at") or r["started_at"]
            last_runs[r["site"]] = max(at, last_runs.get(r["site"], ""))
        out = [
            {
                "site": r["_id"],
                "articles": r["articles"],
                "earliest": r["earliest"],
                "latest": r["latest"],
                "last_crawl": last_runs.pop(r["_id"], None) or r["seen"],
            }
            for r in rows
        ]
        out += [
            {"site": s, "articles": 0, "earliest": None, "latest": None, "last_crawl": at}
            for s, at in sorted(last_runs.items())
        ]
        return out

    @_retrying
    def count(self, site: str | None = None) -> int:
        return int(self.articles.count_documents({"site": site} if site else {}))

    @_retrying
    def count_matches(self, query: SearchQuery) -> int:
        return sum(1 for _ in self.search(replace(query, limit=None)))

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

    # --- locks: leases that expire unless their holder renews them ---------------------------
    @_retrying
    def lock(self, name: str, info: dict[str, Any]) -> MongoLease | None:
        from pymongo import ReturnDocument
        from pymongo.errors import DuplicateKeyError

        token = uuid.uuid4().hex
        now = time.time()
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
        doc = self.locks_c.find_one({"_id": name, "expires_at": {"$gte": time.time()}})
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
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name=f"lease-{name}", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        while not self._stop.wait(LEASE_SECONDS / 3):
            try:
                res = self._store.locks_c.update_one(
                    {"_id": self.name, "holder": self._token},
                    {"$set": {"expires_at": time.time() + LEASE_SECONDS}},
                )
            except Exception as exc:  # the server may be away for a moment; try again soon
                logger.warning("Cannot renew the lease %r: %s", self.name, exc)
                continue
            if not res.matched_count:
                logger.error("Lost the lease %r: another process took it over", self.name)
                return

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
    if code in (85, 86):  # IndexOptionsConflict, IndexKeySpecsConflict
        return (
            f"MongoDB at {safe}: an existing index conflicts with uninews' own ({message}); drop"
            " that index (uninews recreates its own) and try again"
        )
    return f"MongoDB at {safe} refused: {message}"


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    """The record as users see it: the document without the store's own index fields."""
    return {k: v for k, v in doc.items() if k not in _INTERNAL}
