"""Archived copies of what an article shows or links (images, attachments, stylesheets): stored
once by content hash, found again by URL; both backends keep them through this contract."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.base import ArchiveStore

# The key an image's or attachment's entry in a record gets for its archived copy. It is about
# the fetch, not the article: record hashes leave it out (storage.keys), so capturing a file
# never makes a new version.
ARCHIVED = "archived"
# The record fields whose entries (dicts with a "url") may carry an archived copy.
CAPTURED_FIELDS = ("images", "attachments")


class BlobOutcome(enum.StrEnum):
    """What `put_blob` did with the bytes."""

    STORED = "stored"  # new bytes, now kept
    KNOWN = "known"  # these bytes were already kept (another URL, or a refetch): not again


@dataclass(frozen=True)
class Blob:
    """One archived file: the URL it was fetched from, its bytes' hash and how it was served."""

    url: str  # as the page names it (the origin, even when fetched from a mirror)
    sha256: str  # of the bytes, hex
    size: int
    mime: str  # the served Content-Type's type/subtype, or a guess from the name
    name: str | None  # the file name (Content-Disposition, else the URL's last segment)
    fetched_at: str  # ISO 8601, UTC
    etag: str | None = None
    last_modified: str | None = None

    def ref(self) -> dict[str, Any]:
        """What a record keeps of it, under `ARCHIVED` in the image's or attachment's entry."""
        return {"sha256": self.sha256, "size": self.size, "mime": self.mime, "name": self.name}


def blob_sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def check_body(blob: Blob, body: bytes) -> None:
    """Refuse bytes that are not the ones the blob names: a store never files a lie."""
    if len(body) != blob.size or blob_sha(body) != blob.sha256:
        raise ValueError(f"the bytes of {blob.url} do not match sha256 {blob.sha256[:12]}…")


def without_archived(value: Any) -> Any:
    """An images/attachments list without the archived-copy keys (for record hashes)."""
    if not isinstance(value, list):
        return value
    return [
        {k: v for k, v in entry.items() if k != ARCHIVED} if isinstance(entry, dict) else entry
        for entry in value
    ]


def with_archived(store: ArchiveStore, rec: dict[str, Any]) -> dict[str, Any]:
    """The record with each image and attachment given its archived copy, also where the
    record was stored before the file was (the archive finds files by URL too)."""
    out = dict(rec)
    for name in CAPTURED_FIELDS:
        entries = []
        for entry in rec.get(name) or []:
            if isinstance(entry, dict) and ARCHIVED not in entry and entry.get("url"):
                blob = store.blob_for_url(str(entry["url"]))
                if blob is not None:
                    entry = {**entry, ARCHIVED: blob.ref()}
            entries.append(entry)
        if name in rec:
            out[name] = entries
    return out


def human_size(n: int) -> str:
    """1,234,567 bytes as '1.2 MB' (powers of 1000, as disks are sold)."""
    size = float(n)
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"
