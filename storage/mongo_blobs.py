"""The MongoDB archive's binaries: `blobs` (one document per sha256, the bytes inline up to
15 MiB, past that in the GridFS bucket `blob_bodies` under the same id) and `blob_urls` (one
document per URL key: which bytes it served, its name, MIME type and validators). Their index
is in storage/mongo.py INDEXES; docs/mongodb.md describes both collections."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from storage import keys
from storage.blobs import Blob, BlobOutcome, check_body
from storage.common import utcnow

T = TypeVar("T")

# Under the server's 16 MiB document limit with room for the other fields.
INLINE_MAX = 15 * 1024 * 1024


def _retrying(fn: Callable[..., T]) -> Callable[..., T]:
    """The store's own retries and one-line errors (storage.mongo._retrying), for blob methods."""

    @functools.wraps(fn)
    def wrapper(self: MongoBlobs, *args: Any, **kwargs: Any) -> T:
        from storage import mongo  # the module that mixes this in

        return mongo._retrying(fn)(self, *args, **kwargs)

    return wrapper


def _blob(doc: dict[str, Any], size: int) -> Blob:
    return Blob(
        doc["url"],
        doc["sha256"],
        size,
        doc["mime"],
        doc.get("name"),
        doc["fetched_at"],
        doc.get("etag"),
        doc.get("last_modified"),
    )


class MongoBlobs:
    """The blob half of the storage contract, mixed into MongoStore."""

    db: Any

    def _blob_bucket(self) -> Any:
        import gridfs

        return gridfs.GridFSBucket(self.db, bucket_name="blob_bodies")

    @_retrying
    def put_blob(self, blob: Blob, body: bytes) -> BlobOutcome:
        """Keep the bytes (once per sha256) and remember that `blob.url` served them.

        Idempotent, so a retried call does no harm: the bytes go first (GridFS past
        INLINE_MAX), then the document that makes them visible, then the URL's link."""
        from bson.binary import Binary

        check_body(blob, body)
        blobs = self.db["blobs"]
        outcome = BlobOutcome.KNOWN
        if blobs.find_one({"_id": blob.sha256}, {"_id": 1}) is None:
            doc: dict[str, Any] = {"size": blob.size, "mime": blob.mime, "stored_at": utcnow()}
            if blob.size > INLINE_MAX:
                bucket = self._blob_bucket()
                if not list(bucket.find({"_id": blob.sha256}).limit(1)):  # a retry's upload
                    bucket.upload_from_stream_with_id(blob.sha256, blob.name or blob.sha256, body)
                doc.update(body=None, body_gridfs=blob.sha256)
            else:
                doc["body"] = Binary(body)
            res = blobs.update_one({"_id": blob.sha256}, {"$setOnInsert": doc}, upsert=True)
            if res.upserted_id is not None:
                outcome = BlobOutcome.STORED
        self.db["blob_urls"].replace_one(
            {"_id": keys.url_key(blob.url)},
            {
                "url": blob.url,
                "sha256": blob.sha256,
                "name": blob.name,
                "mime": blob.mime,
                "fetched_at": blob.fetched_at,
                "etag": blob.etag,
                "last_modified": blob.last_modified,
            },
            upsert=True,
        )
        return outcome

    def _size(self, sha256: str) -> int | None:
        doc = self.db["blobs"].find_one({"_id": sha256}, {"size": 1})
        return None if doc is None else int(doc["size"])

    @_retrying
    def blob_for_url(self, url: str) -> Blob | None:
        """What the archive keeps of the file at `url` (any form of it), or None."""
        doc = self.db["blob_urls"].find_one({"_id": keys.url_key(url)})
        if doc is None:
            return None
        size = self._size(doc["sha256"])
        return None if size is None else _blob(doc, size)

    @_retrying
    def get_blob(self, sha256: str) -> tuple[Blob, bytes] | None:
        """The bytes with that hash, and a URL that served them (the latest fetch)."""
        doc = self.db["blobs"].find_one({"_id": sha256})
        if doc is None:
            return None
        if doc.get("body_gridfs"):
            body = self._blob_bucket().open_download_stream(doc["body_gridfs"]).read()
        else:
            body = bytes(doc["body"])
        link = self.db["blob_urls"].find_one({"sha256": sha256}, sort=[("fetched_at", -1)])
        if link is None:
            blob = Blob("", sha256, doc["size"], doc["mime"], None, doc["stored_at"])
        else:
            blob = _blob(link, doc["size"])
        return blob, body

    def iter_blobs(self) -> Iterator[Blob]:
        """Every URL's archived file (metadata only), oldest fetch first."""
        sizes: dict[str, int] = {}
        for doc in self.db["blob_urls"].find({}).sort([("fetched_at", 1), ("_id", 1)]):
            sha = doc["sha256"]
            if sha not in sizes:
                size = self._size(sha)
                if size is None:
                    continue
                sizes[sha] = size
            yield _blob(doc, sizes[sha])

    @_retrying
    def blob_stats(self) -> dict[str, int]:
        """How many distinct files the archive keeps, their bytes, and the URLs that serve them."""
        group = {"_id": None, "files": {"$sum": 1}, "bytes": {"$sum": "$size"}}
        found = list(self.db["blobs"].aggregate([{"$group": group}]))
        files, size = (found[0]["files"], found[0]["bytes"]) if found else (0, 0)
        return {"files": files, "bytes": size, "urls": self.db["blob_urls"].count_documents({})}
