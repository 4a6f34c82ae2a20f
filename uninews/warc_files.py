"""Archived files in WARC: an article's images, attachments and styles written as response records
beside its page (the same bytes under another URL as a revisit), and read back on import."""

from __future__ import annotations

import logging
from io import BytesIO
from typing import Any

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.capture import content_disposition_name, page_assets
from crawler.css import css_refs
from storage import ArchiveStore, Capture
from storage.blobs import ARCHIVED, CAPTURED_FIELDS, Blob, blob_sha
from storage.keys import url_key

logger = logging.getLogger(__name__)

# What import keeps as a file: what capture keeps (an image, a stylesheet, a document), not a
# page, a feed, a script or robots.txt.
_NOT_FILES = frozenset(
    {
        "application/xhtml+xml",
        "application/javascript",
        "application/x-javascript",
        "application/json",
        "application/xml",
        "application/rss+xml",
        "application/atom+xml",
    }
)


def is_file(mime: str, disposition: str | None) -> bool:
    if disposition and disposition.lower().startswith("attachment"):
        return True
    if mime.startswith("image/") or mime == "text/css":
        return True
    return mime.startswith("application/") and mime not in _NOT_FILES


def file_urls(record: dict[str, Any], captures: list[Capture]) -> list[str]:
    """The URLs of an article's files: its images and attachments, then what its last kept
    page links (stylesheets, the template's images), in that order."""
    urls = [
        str(e["url"])
        for name in CAPTURED_FIELDS
        for e in record.get(name) or []
        if isinstance(e, dict) and e.get("url")
    ]
    page = next((c.raw for c in reversed(captures) if c.stored), None)
    if page is not None:
        styles, images = page_assets(page.body, page.url)
        urls += styles + images
    return urls


class FileWriter:
    """Writes each archived file once per export: a response record the first time its bytes
    are written, a revisit record for the same bytes under another URL."""

    def __init__(self, writer: WARCWriter, store: ArchiveStore, record_id: Any) -> None:
        self.writer = writer
        self.store = store
        self.record_id = record_id  # warc_export._record_id: ids derive from what they hold
        self.urls: set[str] = set()
        self.payloads: dict[str, tuple[str, str, str]] = {}  # sha256 -> (uri, date, digest)
        self.files = 0
        self.revisits = 0

    def article(self, record: dict[str, Any], captures: list[Capture], date_of: Any) -> None:
        hinted = {
            url_key(str(e["url"])): e[ARCHIVED]["sha256"]
            for name in CAPTURED_FIELDS
            for e in record.get(name) or []
            if isinstance(e, dict) and e.get("url") and isinstance(e.get(ARCHIVED), dict)
        }
        urls = file_urls(record, captures)
        for url in urls:  # grows by what each stylesheet loads
            key = url_key(url)
            if key in self.urls:
                continue
            blob = self.store.blob_for_url(url)
            if blob is None and key in hinted:  # the URL since serves other bytes
                found = self.store.get_blob(hinted[key])
                blob = found[0] if found else None
            if blob is None:
                continue
            self.urls.add(key)
            body = self._write(blob, url, date_of(blob.fetched_at))
            if body is not None and blob.mime == "text/css":
                imports, files = css_refs(body, url)
                urls += imports + files

    def _write(self, blob: Blob, url: str, date: str) -> bytes | None:
        """Write the file's record; its bytes when they were written (not for a revisit)."""
        headers = StatusAndHeaders("200 OK", _http_headers(blob), protocol="HTTP/1.1")
        key = (blob.sha256, blob.fetched_at, url)
        if blob.sha256 in self.payloads:
            uri, orig_date, digest = self.payloads[blob.sha256]
            rec = self.writer.create_revisit_record(
                url,
                digest,
                uri,
                orig_date,
                http_headers=headers,
                warc_headers_dict={
                    "WARC-Date": date,
                    "WARC-Record-ID": self.record_id("file-revisit", *key),
                },
            )
            self.writer.write_record(rec)
            self.revisits += 1
            return None
        found = self.store.get_blob(blob.sha256)
        if found is None:  # gone between the lookup and now: nothing to write
            return None
        body = found[1]
        rec = self.writer.create_warc_record(
            url,
            "response",
            payload=BytesIO(body),
            length=len(body),
            http_headers=headers,
            warc_headers_dict={
                "WARC-Date": date,
                "WARC-Record-ID": self.record_id("file", *key),
            },
        )
        self.writer.write_record(rec)
        digest = rec.rec_headers.get_header("WARC-Payload-Digest")
        self.payloads[blob.sha256] = (url, date, digest)
        self.files += 1
        return body


def _http_headers(blob: Blob) -> list[tuple[str, str]]:
    headers = [("Content-Type", blob.mime), ("Content-Length", str(blob.size))]
    if blob.name and not blob.mime.startswith(("image/", "text/css")):
        from urllib.parse import quote

        headers.append(("Content-Disposition", f"attachment; filename*=UTF-8''{quote(blob.name)}"))
    if blob.etag:
        headers.append(("ETag", blob.etag))
    if blob.last_modified:
        headers.append(("Last-Modified", blob.last_modified))
    return headers


def _header_bytes(value: str) -> bytes:
    """A header as its bytes again (warcio gives latin-1 or UTF-8 text)."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def file_of(
    record: ArcWarcRecord, url: str, fetched_at: str, max_size: int
) -> tuple[Blob, bytes] | None:
    """A response record of a file (not a web page) as a Blob and its bytes; None for a page,
    or a file past `max_size`."""
    assert record.http_headers is not None
    served = record.http_headers.get_header("Content-Type") or ""
    mime = served.split(";", 1)[0].strip().lower() or "application/octet-stream"
    disposition = record.http_headers.get_header("Content-Disposition")
    if not is_file(mime, disposition):
        return None
    body = record.content_stream().read(max_size + 1)
    if len(body) > max_size:
        logger.warning("Not imported: %s (past %d bytes)", url, max_size)
        return None
    name = content_disposition_name(_header_bytes(disposition)) if disposition else None
    if name is None:
        from urllib.parse import unquote, urlsplit

        name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or None
    return (
        Blob(
            url,
            blob_sha(body),
            len(body),
            mime,
            name,
            fetched_at,
            record.http_headers.get_header("ETag"),
            record.http_headers.get_header("Last-Modified"),
        ),
        body,
    )
