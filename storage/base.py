"""The storage contract every backend fulfils: explicit upsert outcomes, versions, aliases, runs."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from storage.blobs import Blob, BlobOutcome
    from storage.common import Prepared


class StorageError(Exception):
    """A store cannot be opened or used; the message is one line for the user."""


class RecordError(StorageError):
    """One record could not be stored (too large, refused by the server); the store works.

    A crawl counts it as an error for that page and goes on; any other StorageError stops it.
    """


class Outcome(enum.StrEnum):
    """What `ArchiveStore.upsert` did with a record."""

    INSERTED = "inserted"  # first time this article is seen
    UNCHANGED = "unchanged"  # same URL, same content: last-seen time and count bumped
    NEW_VERSION = "new_version"  # same URL, changed title/body/date: previous kept as a version
    DUPLICATE = "duplicate"  # another URL with the same content: kept as an alias URL
    # Fetched before the stored record was (an old WARC imported late), with content never
    # stored: its raw page is kept; the newer record stays the current one.
    EARLIER = "earlier"


@dataclass(frozen=True)
class StoreResult:
    outcome: Outcome
    article_id: str
    version: int


@dataclass(frozen=True)
class RawPage:
    """The bytes of one fetched page and how they were fetched; kept so records can be re-extracted."""

    url: str  # the URL as the site names it (the origin, even when fetched from a mirror)
    final_url: str  # after redirects
    status: int
    headers: dict[str, str]
    body: bytes  # uncompressed; backends compress it
    fetched_at: str  # ISO 8601, UTC
    # The request headers as sent (after Scrapy's middlewares); None for pages fetched before
    # they were kept, or imported from a WARC file without its request record.
    request_headers: dict[str, str] | None = None
    # The codec the archived version of this page was read with (a revisit's): evidence for
    # decoding these bytes, never stored with them.
    prior_encoding: str | None = None

    def as_meta(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "final_url": self.final_url,
            "status": self.status,
            "headers": self.headers,
            "fetched_at": self.fetched_at,
            "size": len(self.body),
        }


@dataclass
class SearchQuery:
    text: str | None = None
    site: str | None = None
    since: str | None = None  # ISO 8601 instant, inclusive
    until: str | None = None  # ISO 8601 instant, exclusive
    author: str | None = None
    limit: int | None = 20
    changed_since: str | None = None  # a new version stored on or after this date
    withdrawn: bool = False  # only articles noticed withdrawn
    # Keyset pagination: only records after this one in newest-first order, given by its
    # (pub_utc, first_seen, id) — `storage.common.position(record)` of the last one shown.
    after: tuple[str | None, str, str] | None = None
    # Paging by number: skip this many matches first (the web's page N); and oldest first
    # (undated records still last). `after` is for newest first only.
    offset: int = 0
    oldest: bool = False


# What a revisit found (`ArchiveStore.record_check`): the page is as it was (a 304 or the same
# record), changed (a new version), gone (404/410, a redirect stub), or back after being gone.
NOT_MODIFIED = "not_modified"
UNCHANGED = "unchanged"
CHANGED = "new_version"
WITHDRAWN = "withdrawn"
REINSTATED = "reinstated"
FAILED = "failed"


@dataclass(frozen=True)
class Capture:
    """One fetch of an archived article, for WARC export: its bytes, or a refetch of bytes
    already kept (`stored` False, `raw.body` empty)."""

    raw: RawPage
    body_sha: str  # SHA-256 of the body, hex
    stored: bool


@dataclass(frozen=True)
class Revisit:
    """An archived article to check again, with what a conditional request needs."""

    article_id: str
    url: str
    etag: str | None
    last_modified: str | None
    published_at: str | None
    first_seen: str
    checks: int
    withdrawn: bool
    # What the archived version says of itself: a redirect to a page with another title and
    # date is not the same article; its codec is the evidence for decoding the page again; a
    # page that decodes with more faults than it did is not an edit.
    title: str | None = None
    encoding: str | None = None
    decode_faults: int | None = None


@dataclass
class RunRecord:
    """One crawl run as the scheduler and `uninews crawl` record it."""

    site: str
    started_at: str
    kind: str = "crawl"  # crawl | backfill | reprocess
    ended_at: str | None = None
    # running | ok | failed | timeout | interrupted | skipped (another run of the site held its
    # lock) | abandoned (its process died without saying how the run ended)
    status: str = "running"
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    pid: int | None = None
    id: str | None = None  # also the job id when the run went to a Scrapyd node
    host: str | None = None  # the machine the crawl ran on
    node: str | None = None  # the Scrapyd node (its URL) it was scheduled on; None: a local run

    def seconds(self) -> float | None:
        """How long it ran; None while it runs (or when a time is unreadable)."""
        if not self.ended_at:
            return None
        try:
            end, start = (
                datetime.fromisoformat(self.ended_at),
                datetime.fromisoformat(self.started_at),
            )
            return (end - start).total_seconds()
        except (TypeError, ValueError):  # unreadable, or one with an offset and one without
            return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "site": self.site,
            "kind": self.kind,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "status": self.status,
            "counts": dict(self.counts),
            "error": self.error,
            "pid": self.pid,
            "host": self.host,
            "node": self.node,
        }


class Lease(Protocol):
    """A named lock on a store, held until released or the holder dies (`ArchiveStore.lock`)."""

    name: str

    def release(self) -> None:
        """Let go; safe to call twice."""

    def held(self) -> bool:
        """Still ours: False once released, or (a lease that must be renewed) once lost."""

    def __enter__(self) -> Lease: ...

    def __exit__(self, *exc: object) -> None: ...


class ArchiveStore(Protocol):
    """What uninews needs from an archive. `tests/test_store_contract.py` holds every backend to it.

    Records are plain JSON-ready dicts (see docs/architecture.md for the fields). Every write is
    atomic: a crash leaves either the whole change or none of it.
    """

    def upsert(
        self,
        record: dict[str, Any],
        raw: RawPage | None = None,
        *,
        prepared: Prepared | None = None,
    ) -> StoreResult:
        """Store one extracted article; dedupe by canonical URL, then by content hash.

        `prepared` (from `storage.common.prepare`) carries the record with its hashes, search
        terms and compressed raw page already computed; `record` and `raw` are then ignored.
        """

    def upsert_many(self, batch: list[Prepared]) -> list[StoreResult | RecordError]:
        """Upsert prepared records in order, in one transaction where the backend has them.

        A record that cannot be stored gets its RecordError in its place, and the others are
        stored all the same; a fault of the whole store raises StorageError.
        """

    def get(self, id_or_url: str) -> dict[str, Any] | None:
        """The current record by id, URL, canonical URL or alias URL."""

    def versions(self, article_id: str) -> list[dict[str, Any]]:
        """Every version of an article, oldest first, each with `version`, `changed` and record."""

    def known_urls(self, urls: list[str]) -> set[str]:
        """The subset of `urls` (any form) archived as an article or alias, or marked gone."""

    def mark_gone(self, url: str, site: str, reason: str) -> None:
        """Remember a URL that is not an article (404, withdrawn stub) so crawls skip it."""

    def add_alias(self, article_id: str, url: str) -> bool:
        """Record `url` as another address of the article (it moved there). Never takes a URL
        that is another article's own or alias: False then, and when the article is unknown."""

    def search(self, query: SearchQuery) -> Iterator[dict[str, Any]]:
        """Records matching the query, newest publish time first."""

    def iter_records(self, site: str | None = None) -> Iterator[dict[str, Any]]:
        """Every current record, streamed (never the whole archive in memory)."""

    def raw_pages(
        self, site: str | None = None, since: str | None = None
    ) -> Iterator[tuple[dict[str, Any], RawPage]]:
        """(current record, its latest raw page) pairs, for re-extraction."""

    def captures(
        self, site: str | None = None, since: str | None = None, until: str | None = None
    ) -> Iterator[tuple[dict[str, Any], list[Capture]]]:
        """Per article published in [since, until] (dates), its current record and every fetch
        of it in time order: each raw page kept, and each later fetch of the same bytes."""

    def raw_page(self, article_id: str) -> RawPage | None:
        """The latest raw page of an article (of its current URL when there is one)."""

    def monthly_counts(self, site: str) -> list[tuple[str, int]]:
        """(YYYY-MM, articles published that month, local time) for a site, oldest first."""

    def stats(self) -> list[dict[str, Any]]:
        """Per site: articles, earliest and latest publish time, last crawl."""

    def count(self, site: str | None = None) -> int:
        """How many articles are archived."""

    def fill_counts(self, site: str) -> dict[str, int]:
        """Of the site's current records, how many have each of `common.FILL_FIELDS` (text: of
        `common.TEXT_FILLED` characters or more), and `articles`: how many there are."""

    def site_names(self) -> list[str]:
        """The sites that have articles, sorted: cheap (an index walk), unlike `stats`."""

    def count_matches(self, query: SearchQuery) -> int:
        """How many records `search` would yield without its limit."""

    def match_texts(self, query: SearchQuery) -> Iterator[dict[str, Any]]:
        """Of every record `search` would yield without its limit, newest first: its id,
        title, subtitle and text only (what a relevance ranking reads, not the page's HTML)."""

    # --- runs, crawl state, heartbeat -----------------------------------------------------
    def start_run(self, run: RunRecord) -> str:
        """Record a run as started; returns its id."""

    def finish_run(
        self, run_id: str, status: str, counts: dict[str, int], error: str | None
    ) -> None:
        """Record how a run ended."""

    def runs(self, site: str | None = None, limit: int = 20) -> list[RunRecord]:
        """Latest runs first."""

    def get_state(self, key: str) -> dict[str, Any] | None:
        """Crawl state (backfill progress and the like) by key."""

    def set_state(self, key: str, value: dict[str, Any] | None) -> None:
        """Set or (with None) delete crawl state."""

    def heartbeat(self, name: str, info: dict[str, Any]) -> None:
        """Record that a long-lived process (the daemon) is alive."""

    def get_heartbeat(self, name: str) -> dict[str, Any] | None:
        """The last heartbeat, with `at` (ISO 8601 UTC)."""

    def heartbeats(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Every heartbeat whose name starts with `prefix` (several standby daemons), by name."""

    # --- revisits: edits and withdrawals ---------------------------------------------------
    def revisits(
        self,
        site: str,
        *,
        due_before: str | None = None,
        published_since: str | None = None,
        limit: int | None = None,
    ) -> list[Revisit]:
        """Articles of `site` to check again: those due by `due_before` (most overdue first),
        or all of them (newest first), published on or after `published_since` if given."""

    def record_check(self, article_id: str, result: str, at: str, next_check: str | None) -> None:
        """Record a revisit's result (NOT_MODIFIED … REINSTATED) and the next check's time.
        WITHDRAWN marks the article withdrawn (kept, with every version); any result that saw
        the article again clears that."""

    # --- binaries: images, attachments, styles (storage/blobs.py) -------------------------
    def put_blob(self, blob: Blob, body: bytes) -> BlobOutcome:
        """Keep a fetched file's bytes once per sha256 (KNOWN: they were kept already) and
        remember that `blob.url` served them (the latest fetch of a URL wins). Bytes that do not
        match `blob.sha256`/`blob.size` raise ValueError and nothing is written."""

    def blob_for_url(self, url: str) -> Blob | None:
        """What the archive keeps of the file at `url` (any form of the URL), or None."""

    def get_blob(self, sha256: str) -> tuple[Blob, bytes] | None:
        """The bytes with that hash and the latest URL that served them, or None."""

    def iter_blobs(self) -> Iterator[Blob]:
        """Every URL's archived file (metadata, not bytes), oldest fetch first."""

    def blob_stats(self) -> dict[str, int]:
        """`files` (distinct bytes kept), `bytes` (their total size), `urls` (URLs serving them)."""

    # --- locks: one daemon per store, one crawl per site --------------------------------------
    def lock(self, name: str, info: dict[str, Any]) -> Lease | None:
        """Take the named lock, or None when a live process holds it. It is released when the
        holder releases it or dies (an OS file lock for SQLite, an expiring lease for MongoDB)."""

    def lock_holder(self, name: str) -> dict[str, Any] | None:
        """The `info` of the live holder of a lock, or None when nobody holds it."""

    def close(self) -> None:
        """Release connections; safe to call twice."""
