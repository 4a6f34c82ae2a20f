"""Helpers both backends share: time stamps, raw-page compression, date-range normalisation."""

from __future__ import annotations

import hashlib
import itertools
import zlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from storage import keys
from storage.base import RawPage


def utcnow() -> str:
    """Now as ISO 8601 UTC with microseconds (sortable as text)."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def compress(body: bytes) -> bytes:
    return zlib.compress(body, 6)


def decompress(blob: bytes) -> bytes:
    return zlib.decompress(blob)


def body_sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def fetched_earlier(new: dict[str, Any], old: dict[str, Any]) -> bool:
    """Whether `new` was fetched before `old` (both records): an earlier capture must never
    replace a later one. Unknown or unreadable times: not earlier (the newcomer wins)."""
    try:
        a = datetime.fromisoformat(str(new["fetched_at"]))
        b = datetime.fromisoformat(str(old["fetched_at"]))
        return bool(a < b)
    except (KeyError, ValueError, TypeError):  # TypeError: one naive, one aware
        return False


def position(record: dict[str, Any]) -> tuple[str | None, str, str]:
    """Where a record stands in newest-first order: (pub_utc, first_seen, id), the keyset of
    `SearchQuery.after`. Ties on the first two are broken by id."""
    return (
        published_utc(record.get("published_at")),
        str(record.get("first_seen") or ""),
        str(record.get("id") or ""),
    )


def published_utc(published_at: str | None) -> str | None:
    """A record's publish time in UTC, sortable as text; None when the page gives no date."""
    if not published_at:
        return None
    try:
        dt = datetime.fromisoformat(published_at)
    except ValueError:
        return None
    if dt.tzinfo is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def published_date(published_at: str | None) -> str | None:
    """The local calendar date the article was published (as the page shows it)."""
    return published_at[:10] if published_at else None


def index_fields(record: dict[str, Any]) -> dict[str, Any]:
    """The derived, queryable fields a backend keeps beside the record."""
    key = keys.url_key(record.get("canonical_url") or record["url"])
    return {
        "url_key": key,
        "content_hash": keys.content_hash(record),
        "record_hash": keys.record_hash(record),
        "pub_utc": published_utc(record.get("published_at")),
        "pub_date": published_date(record.get("published_at")),
        "people": keys.people(record),
        # One space-separated string, in text order (FTS phrases need the order): thousands of
        # little strings would cost more to pickle back from an extraction worker than to make.
        "terms": " ".join(
            keys.search_terms(
                " ".join(str(record.get(f) or "") for f in ("title", "subtitle", "text"))
            )
        ),
    }


@dataclass(frozen=True)
class Prepared:
    """A record with all a store derives from it computed ahead (hashes, search terms, the
    compressed raw page), so extraction workers can do that work instead of the writer."""

    record: dict[str, Any]
    index: dict[str, Any]
    raw: RawPage | None = None  # the fetch metadata; its body travels compressed below
    raw_blob: bytes | None = None
    raw_sha: str | None = None
    raw_size: int = 0


def prepare(record: dict[str, Any], raw: RawPage | None = None) -> Prepared:
    if raw is None:
        return Prepared(record, index_fields(record))
    return Prepared(
        record,
        index_fields(record),
        replace(raw, body=b""),
        compress(raw.body),
        body_sha(raw.body),
        len(raw.body),
    )


def other_keys(record: dict[str, Any], canonical_key: str) -> list[tuple[str, str]]:
    """(key, url) pairs for every URL of the record that is not its canonical one."""
    out = []
    url = record.get("url")
    if url and keys.url_key(url) != canonical_key:
        out.append((keys.url_key(url), url))
    return out


def with_changes(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Annotate each version (oldest first) with the fields that changed from the one before,
    and `first_seen`: the fetch that brought it, fixed for good (`stored_at` is the last time
    that version was seen, which moves while it is the current one)."""
    for prev, cur in itertools.pairwise(versions):
        cur["changed"] = keys.changed_fields(prev["record"], cur["record"])
    if versions:
        versions[0]["changed"] = []
    for v in versions:
        v["first_seen"] = v["record"].get("fetched_at") or v.get("stored_at")
    return versions


# Fields whose fill rate runs record and dashboards show (`uninews status` flags a site whose
# rates fall: a layout changed). Text counts when it has TEXT_FILLED characters or more.
FILL_FIELDS = ("title", "published_at", "authors", "source", "text", "images")
TEXT_FILLED = 200


def filled_fields(record: dict[str, Any]) -> list[str]:
    """The FILL_FIELDS a record has."""
    out = []
    for name in FILL_FIELDS:
        value = record.get(name)
        if (len(value or "") >= TEXT_FILLED) if name == "text" else bool(value):
            out.append(name)
    return out


def is_substantial(record: dict[str, Any]) -> bool:
    """Whether the body is long enough that equal content means the same article."""
    return len(record.get("text") or "") >= 80
