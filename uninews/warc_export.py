"""WARC export: every kept fetch as request + response (a refetch of the same bytes as a revisit),
every article's record as a metadata record; streamed, one article at a time."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from typing import IO, Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from crawler import __version__
from storage import ArchiveStore, Capture
from uninews.logs import Ticker
from uninews.output import plural
from uninews.warc_files import FileWriter

logger = logging.getLogger(__name__)

# Record ids derive from what they hold, so exporting the same archive twice gives the same
# ids (a collection can be re-exported and compared, or deduplicated by id).
_NS = uuid.UUID("9a4e6f2e-6b8c-4d3a-9a57-3c1f0e7d5b21")

# The body is kept decoded (Scrapy undoes gzip and chunking); headers that describe the
# encoding on the wire would make a replay tool decode it twice.
_WIRE_ONLY = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass
class WarcCounts:
    articles: int = 0
    responses: int = 0
    revisits: int = 0
    # Refetches whose record was unchanged but whose bytes differed: those bytes are not
    # kept (see SQLiteStore._put_raw), so they cannot be written.
    unkept: int = 0
    files: int = 0  # archived images, attachments, styles (uninews/warc_files.py)
    file_revisits: int = 0

    def summary(self) -> str:
        text = (
            f"{plural(self.articles, 'article')}: {plural(self.responses, 'request/response pair')},"
            f" {plural(self.revisits, 'revisit')}, {plural(self.articles, 'metadata record')}"
        )
        if self.files:
            text += f", {plural(self.files, 'file')}"
        if self.file_revisits:
            text += f" ({self.file_revisits} more under other URLs, as revisits)"
        if self.unkept:
            text += f" ({self.unkept} refetches with other bytes were not kept and are left out)"
        return text


def warc_date(at: str) -> str:
    """Our ISO 8601 fetch time as a WARC-Date (UTC, microseconds when there are any)."""
    when = datetime.fromisoformat(at.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return str(datetime_to_iso_date(when.astimezone(UTC).replace(tzinfo=None), use_micros=True))


def _record_id(*parts: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(_NS, '|'.join(parts))}>"


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def _response_headers(cap: Capture, length: int) -> StatusAndHeaders:
    headers = [(k, v) for k, v in cap.raw.headers.items() if k.lower() not in _WIRE_ONLY]
    headers.append(("Content-Length", str(length)))
    return StatusAndHeaders(_status_line(cap.raw.status), headers, protocol="HTTP/1.1")


def _request_headers(cap: Capture) -> StatusAndHeaders:
    """The request line and the headers sent. Older pages kept no request headers: their
    request record says only what is certain (method, target, Host)."""
    parts = urlsplit(cap.raw.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [("Host", parts.netloc)]
    headers += [(k, v) for k, v in (cap.raw.request_headers or {}).items() if k.lower() != "host"]
    return StatusAndHeaders(f"GET {target}", headers, protocol="HTTP/1.1", is_http_request=True)


class WarcExporter:
    """Writes one WARC/1.1 file (gzip per record) from an archive."""

    def __init__(self, out: IO[bytes], filename: str, description: str) -> None:
        self.writer = WARCWriter(out, gzip=True, warc_version="1.1")
        self.counts = WarcCounts()
        self.files: FileWriter | None = None  # set to write each article's archived files
        info = {
            "software": f"uninews/{__version__}",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
            "warc-format/warc-1.1/",
            "description": description,
            "http-header-note": "bodies are stored decoded; Content-Encoding and"
            " Transfer-Encoding removed and Content-Length set to the stored body",
        }
        self.writer.write_record(self.writer.create_warcinfo_record(filename, info))

    def article(self, record: dict[str, Any], captures: list[Capture]) -> None:
        """The fetches of one article, in time order, then its record."""
        first: dict[str, tuple[str, str, str, int]] = {}  # sha -> (uri, WARC-Date, digest, size)
        last_response: str | None = None
        last_date = ""
        for cap in captures:
            date = warc_date(cap.raw.fetched_at)
            key = (record["id"], cap.body_sha, cap.raw.fetched_at, cap.raw.url)
            if cap.stored:
                resp = self.writer.create_warc_record(
                    cap.raw.url,
                    "response",
                    payload=BytesIO(cap.raw.body),
                    length=len(cap.raw.body),
                    http_headers=_response_headers(cap, len(cap.raw.body)),
                    warc_headers_dict={
                        "WARC-Date": date,
                        "WARC-Record-ID": _record_id("response", *key),
                    },
                )
                digest = resp.rec_headers.get_header("WARC-Payload-Digest")
                first.setdefault(cap.body_sha, (cap.raw.url, date, digest, len(cap.raw.body)))
                self.counts.responses += 1
            elif cap.body_sha in first:
                uri, orig_date, digest, size = first[cap.body_sha]
                resp = self.writer.create_revisit_record(
                    cap.raw.url,
                    digest,
                    uri,
                    orig_date,
                    http_headers=_response_headers(cap, size),  # the payload's size, not sent again
                    warc_headers_dict={
                        "WARC-Date": date,
                        "WARC-Record-ID": _record_id("revisit", *key),
                    },
                )
                self.counts.revisits += 1
            else:
                self.counts.unkept += 1
                continue
            resp_id = resp.rec_headers.get_header("WARC-Record-ID")
            req = self.writer.create_warc_record(
                cap.raw.url,
                "request",
                http_headers=_request_headers(cap),
                warc_headers_dict={
                    "WARC-Date": date,
                    "WARC-Record-ID": _record_id("request", *key),
                    "WARC-Concurrent-To": resp_id,
                },
            )
            self.writer.write_record(req)
            self.writer.write_record(resp)
            if cap.stored:
                last_response, last_date = resp_id, date
        if last_response is None:
            return
        body = metadata_fields(record)
        meta = self.writer.create_warc_record(
            record["url"],
            "metadata",
            payload=BytesIO(body),
            length=len(body),
            # warc-fields, as Heritrix writes metadata: replay tools (pywb, cdxj-indexer) then
            # leave it out of their index. As application/json, pywb replayed the record's
            # JSON in place of the page it describes.
            warc_content_type="application/warc-fields",
            warc_headers_dict={
                "WARC-Date": last_date,
                "WARC-Record-ID": _record_id("metadata", record["id"], str(record.get("version"))),
                "WARC-Refers-To": last_response,
            },
        )
        self.writer.write_record(meta)
        self.counts.articles += 1
        if self.files is not None:
            self.files.article(record, captures, warc_date)
            self.counts.files, self.counts.file_revisits = self.files.files, self.files.revisits


def metadata_fields(record: dict[str, Any]) -> bytes:
    """An article's metadata record: warc-fields naming it, its version, and the whole record
    as JSON on one line (`uninews-record:`; `record_of_metadata` reads it back)."""
    fields = [
        ("uninews-article-id", str(record.get("id") or "")),
        ("uninews-version", str(record.get("version") or "")),
        ("uninews-record", json.dumps(record, ensure_ascii=False, sort_keys=False)),
    ]
    return "".join(f"{k}: {v}\r\n" for k, v in fields).encode("utf-8")


def record_of_metadata(payload: bytes) -> dict[str, Any] | None:
    """The record a metadata record of ours holds, or None."""
    for line in payload.decode("utf-8", "replace").splitlines():
        name, _, value = line.partition(": ")
        if name == "uninews-record":
            found = json.loads(value)
            return found if isinstance(found, dict) else None
    return None


def export_warc(
    store: ArchiveStore,
    out: IO[bytes],
    *,
    filename: str,
    site: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> WarcCounts:
    """Write the archive's kept pages (one site's, published in [since, until]) to `out`."""
    scope = ", ".join(
        x
        for x in (
            f"site {site}" if site else "every site",
            f"published from {since}" if since else "",
            f"until {until}" if until else "",
        )
        if x
    )
    exporter = WarcExporter(out, filename, f"uninews archive export: {scope}")
    exporter.files = FileWriter(exporter.writer, store, _record_id)
    ticker = Ticker(logger, "Exported articles:")
    for record, captures in store.captures(site=site, since=since, until=until):
        exporter.article(record, captures)
        ticker.tick(exporter.counts.articles)
    return exporter.counts
