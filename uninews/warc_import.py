"""WARC/ARC import: a site's article pages in existing web-archive files, extracted and stored
exactly as a crawl would store them (same page objects, same dedupe), resumable."""

from __future__ import annotations

import gzip
import hashlib
import logging
import signal
import zlib
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader

from crawler.records import prepare_page
from crawler.settings import DOWNLOAD_MAXSIZE, UNINEWS_CAPTURE_MAXSIZE
from crawler.sites import Site
from crawler.workers import ExtractionPool
from storage import ArchiveStore, RawPage, RecordError
from storage.common import Prepared
from uninews.logs import Ticker
from uninews.warc_files import file_of

logger = logging.getLogger(__name__)

BATCH = 100  # records per store write; progress is saved after each
# What the summary names, in order (key, one, many): the crawl's own words first.
LABELS = (
    ("inserted", "new", "new"),
    ("new_version", "updated", "updated"),
    ("unchanged", "unchanged", "unchanged"),
    ("duplicate", "duplicate", "duplicates"),
    ("not_article", "not an article", "not articles"),
    ("errors", "error", "errors"),
    ("earlier", "earlier capture kept", "earlier captures kept"),
    ("redirects", "redirect", "redirects"),
    ("files", "file", "files"),
    ("not_html", "not HTML", "not HTML"),
    ("not_ok", "other status", "other statuses"),
    ("off_site", "page of another site", "pages of other sites"),
    ("revisits", "revisit record", "revisit records"),
    ("too_large", "too large", "too large"),
    ("truncated", "truncated record skipped", "truncated records skipped"),
    ("would_insert", "would be new", "would be new"),
    ("would_check", "archived already", "archived already"),
)
_ALWAYS = {"inserted", "new_version", "unchanged", "duplicate", "not_article", "errors"}
_ALWAYS_DRY = {"would_insert", "would_check", "not_article", "errors"}
# The body is decoded by warcio; these headers described it on the wire.
_WIRE_ONLY = {"content-encoding", "transfer-encoding"}


class Truncated(Exception):
    """A record ends before its declared length: the file was cut (a copy or a crawl that
    died). Its partial payload must never be stored: it would replace a whole article."""


class _Inflated:
    """A gzipped WARC read through `gzip`, where a member cut short is an error: warcio's
    own inflater, and its iterator, take the EOFError for the end of the file and drop the
    cut record without a word. What inflates before the cut is returned first."""

    def __init__(self, fh: Any) -> None:
        self._gz = gzip.GzipFile(fileobj=fh)
        self._cut = False

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while size < 0 or len(out) < size:
            if self._cut:
                if out:
                    break
                raise Truncated("its compressed data ends early")
            try:
                chunk = self._gz.read1(65536 if size < 0 else size - len(out))
            except EOFError:
                self._cut = True
                continue
            if not chunk:
                break
            out += chunk
        return bytes(out)

    def tell(self) -> int:
        return self._gz.tell()

    def close(self) -> None:
        self._gz.close()


class _TolerantLoader(ArcWarcRecordLoader):
    """warcio's loader, except that a record without WARC-Target-URI gets no HTTP headers read
    (warcio fails on it, which would end the file): `_page` counts it as an error."""

    def load_http_headers(self, rec_type: str, uri: str | None, stream: Any, length: Any) -> Any:
        if uri is None:
            return None
        return super().load_http_headers(rec_type, uri, stream, length)


def _records(fh: Any) -> ArchiveIterator:
    records = ArchiveIterator(fh, arc2warc=True)
    records.loader = _TolerantLoader(arc2warc=True)
    return records


class Interrupted(Exception):
    """SIGINT or SIGTERM: what was read is stored and the place saved; rerun to go on."""


@dataclass
class FileResult:
    path: Path
    counts: Counter[str] = field(default_factory=Counter)
    records: int = 0
    resumed_at: int = 0
    already_done: bool = False
    error: str | None = None
    dry_run: bool = False

    def line(self) -> str:
        if self.already_done:
            return (
                f"{self.path}: imported already ({self.records} records); --restart reads it again"
            )
        shown = [
            f"{n} {one if n == 1 else many}"
            for k, one, many in LABELS
            if k in (_ALWAYS_DRY if self.dry_run else _ALWAYS) or self.counts.get(k)
            for n in [self.counts.get(k, 0)]
        ]
        resumed = f", resumed at record {self.resumed_at}" if self.resumed_at else ""
        dry = " (dry run: nothing stored)" if self.dry_run else ""
        text = f"{self.path}: {self.records} records{resumed}{dry}: " + ", ".join(shown)
        return text + (f"; stopped: {self.error}" if self.error else "")


def capture_time(warc_date: str) -> str:
    """A WARC-Date (or an ARC's 14-digit date, as warcio gives it) in our fetched_at form."""
    text = warc_date.strip()
    if text.isdigit():
        when = datetime.strptime(text[:14].ljust(14, "0"), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    else:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _not_an_archive(path: Path) -> str | None:
    """Why `path` is no WARC or ARC file, from its first line; None when it looks like one.
    (warcio reads any text as ARC records, with warnings: a wrong file must fail here.)"""
    try:
        with path.open("rb") as fh:
            head = fh.read(2)
            fh.seek(0)
            stream: Any = gzip.GzipFile(fileobj=fh) if head == b"\x1f\x8b" else fh
            first = stream.read(16)
    except (OSError, EOFError) as exc:
        return f"cannot read it: {exc}"
    if first.startswith((b"WARC/", b"filedesc://")):
        return None
    return (
        "not a WARC or ARC file (it starts with " + (repr(first[:12]) if first else "nothing") + ")"
    )


def _file_key(site: str, path: Path) -> str:
    """The state key of one file: its path, size and modification time (a changed file is
    read again from the start)."""
    st = path.stat()
    ident = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return f"warc-import:{site}:{hashlib.sha256(ident.encode()).hexdigest()[:20]}"


class _StopSignals:
    """SIGINT/SIGTERM end the import at the next record, after storing what was read."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _StopSignals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old[sig] = signal.signal(sig, self._on_signal)
        return self

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.received is not None:  # a second Ctrl-C: stop now (the batch is redone)
            raise KeyboardInterrupt
        self.received = signum
        logger.warning("Stopping: storing what was read, then saving the place (again: now)")

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


class WarcImport:
    """Imports WARC/ARC files into `store` for one site."""

    def __init__(
        self,
        store: ArchiveStore,
        site: Site,
        *,
        dry_run: bool = False,
        restart: bool = False,
        workers: int = 0,
    ) -> None:
        self.store = store
        self.site = site
        self.dry_run = dry_run
        self.restart = restart
        self.pool = ExtractionPool(workers, site) if workers > 1 else None
        self.ticker = Ticker(logger, "Imported WARC records:")
        self.seen = 0  # records read, all files
        self.stops = _StopSignals()

    def run(self, paths: list[Path]) -> Iterator[FileResult]:
        """Each file's result as it is done; raises Interrupted (after yielding the result of
        the file it stopped in) on SIGINT or SIGTERM."""
        if self.pool is not None:
            self.pool.start()
        try:
            with self.stops:
                for path in paths:
                    yield self._file(path)
                    if self.stops.received is not None:
                        raise Interrupted
        finally:
            if self.pool is not None:
                self.pool.close()

    # --- one file ------------------------------------------------------------------------
    def _file(self, path: Path) -> FileResult:
        result = FileResult(path, dry_run=self.dry_run)
        key = _file_key(self.site.name, path)
        state = None if (self.restart or self.dry_run) else self.store.get_state(key)
        if state and state.get("done"):
            result.already_done, result.records = True, int(state.get("records", 0))
            return result
        skip = int(state.get("records", 0)) if state else 0
        result.resumed_at = skip
        if state:
            result.counts.update(state.get("counts") or {})
        # (index in the file, raw page, pending extraction) in file order
        problem = _not_an_archive(path)
        if problem:
            result.error = problem
            return result
        pending: deque[tuple[int, RawPage, Any]] = deque()
        truncated = 0
        handled = skip  # records before this one are read (and, once stored, done with)
        try:
            with path.open("rb") as fh:
                gz = fh.read(2) == b"\x1f\x8b"
                fh.seek(0)
                stream: Any = _Inflated(fh) if gz else fh
                for index, record in enumerate(_records(stream)):
                    if index < skip:
                        continue
                    if self.stops.received is not None:
                        break
                    raw = self._page(record, result.counts)
                    handled = index + 1
                    self.seen += 1
                    if raw is not None:
                        pending.append((index, raw, self._submit(raw)))
                    if len(pending) >= BATCH:
                        self._store(pending, result, key, upto=handled)
                    self.ticker.tick(self.seen)
        except ArchiveLoadFailed as exc:
            why = str(exc).split(", first line", 1)[0].splitlines()[0][:120]
            result.error = (
                f"damaged after record {handled} ({why}); the records before are imported"
            )
        except Truncated as exc:
            truncated = 1
            result.error = (
                f"cut short at record {handled + 1} ({exc}): it is skipped, the records"
                " before are imported"
            )
        except (zlib.error, gzip.BadGzipFile) as exc:
            result.error = (
                f"damaged after record {handled} (compressed data: {exc}); the records before"
                " are imported"
            )
        except OSError as exc:
            result.error = f"cannot read it: {exc.strerror or exc}"
        done = self.stops.received is None and result.error is None
        self._store(pending, result, key, upto=handled, done=done)
        # Counted after the place is saved: the cut record is read again by the next run.
        result.counts["truncated"] += truncated
        result.records = handled
        return result

    def _page(self, record: ArcWarcRecord, counts: Counter[str]) -> RawPage | None:
        """The raw page of a response record of one of the site's articles; else None, counted."""
        if record.rec_type == "revisit":
            counts["revisits"] += 1
            if not self.dry_run:
                self._link_file(record)
            return None
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        if record.rec_type == "response" and not url:
            counts["errors"] += 1
            logger.error("A response record without WARC-Target-URI (%s); skipped",
                         record.rec_headers.get_header("WARC-Record-ID") or "?")  # fmt: skip
            return None
        if record.rec_type != "response" or record.http_headers is None:
            return None  # requests, warcinfo, metadata, resources: not pages
        host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
        if not url.startswith(("http://", "https://")) or not self.site.owns_host(host):
            counts["off_site"] += 1
            return None
        code = record.http_headers.get_statuscode() or ""
        if not (code.isascii() and code.isdigit() and len(code) == 3):
            counts["errors"] += 1
            logger.error("Bad HTTP status line %r on %s; skipped",
                         record.http_headers.statusline[:80], url)  # fmt: skip
            return None
        status = int(code)
        if 300 <= status < 400:
            counts["redirects"] += 1
            return None
        if status != 200:
            counts["not_ok"] += 1
            return None
        ctype = record.http_headers.get_header("Content-Type") or ""
        if ctype and "html" not in ctype.lower():
            self._keep_file(record, url, counts)  # an image, an attachment, a stylesheet
            return None
        if not self.site.is_article_url(url):
            counts["not_article"] += 1  # a listing page, the home page, a column
            return None
        body = record.content_stream().read(DOWNLOAD_MAXSIZE + 1)
        if len(body) > DOWNLOAD_MAXSIZE:
            counts["too_large"] += 1
            return None
        while record.raw_stream.read(65536):  # what the decoder left (a chunked trailer)
            pass
        missing = getattr(record.raw_stream, "limit", 0)
        if missing:  # the block is shorter than its WARC Content-Length says
            raise Truncated(f"{url}: {missing} bytes of its payload are missing")
        headers: dict[str, str] = {}
        for name, value in record.http_headers.headers:
            if name.lower() not in _WIRE_ONLY:
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
        when = record.rec_headers.get_header("WARC-Date") or ""
        try:
            fetched_at = capture_time(when)
        except ValueError:
            counts["errors"] += 1
            logger.error("Bad WARC-Date %r on %s; skipped", when, url)
            return None
        return RawPage(url, url, status, headers, body, fetched_at)

    def _keep_file(self, record: ArcWarcRecord, url: str, counts: Counter[str]) -> None:
        """Keep a file the site served as a crawl's capture keeps it (once by content hash);
        a revisit of an article then finds it by URL."""
        try:
            fetched_at = capture_time(record.rec_headers.get_header("WARC-Date") or "")
        except ValueError:
            counts["not_html"] += 1
            return
        found = file_of(record, url, fetched_at, UNINEWS_CAPTURE_MAXSIZE)
        if found is None:
            counts["not_html"] += 1
            return
        if not self.dry_run:
            self.store.put_blob(*found)
        counts["files"] += 1

    def _link_file(self, record: ArcWarcRecord) -> None:
        """A revisit of a file kept already (the same bytes under another URL): that URL
        serves them too."""
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        original = record.rec_headers.get_header("WARC-Refers-To-Target-URI")
        ctype = (
            (record.http_headers.get_header("Content-Type") or "") if record.http_headers else ""
        )
        if not original or not ctype or "html" in ctype.lower():
            return
        host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
        kept = self.store.blob_for_url(original)
        found = self.store.get_blob(kept.sha256) if kept is not None else None
        if found is None or not self.site.owns_host(host):
            return
        try:
            fetched_at = capture_time(record.rec_headers.get_header("WARC-Date") or "")
        except ValueError:
            return
        blob, body = found
        self.store.put_blob(replace(blob, url=url, fetched_at=fetched_at), body)

    def _submit(self, raw: RawPage) -> Any:
        return self.pool.submit(raw) if self.pool is not None else None

    def _prepared(self, raw: RawPage, pending: Any) -> Prepared | str:
        if self.pool is not None:
            return self.pool.result(raw, pending)
        return prepare_page(raw, self.site)

    def _store(
        self,
        pending: deque[tuple[int, RawPage, Any]],
        result: FileResult,
        key: str,
        *,
        upto: int,
        done: bool = False,
    ) -> None:
        """Extract and store everything pending, then save the place: records before `upto`
        are handled (`done`: the whole file)."""
        counts = result.counts
        batch: list[Prepared] = []
        while pending:
            _, raw, fut = pending.popleft()
            try:
                got = self._prepared(raw, fut)
            except Exception as exc:  # one page's crash must not cost the others
                counts["errors"] += 1
                logger.error("Extraction failed on %s: %s", raw.url, exc)
                continue
            if isinstance(got, str):
                counts["not_article"] += 1
                logger.debug("Not an article (%s): %s", got, raw.url)
            else:
                batch.append(got)
        if self.dry_run:
            known = self.store.known_urls([p.record["url"] for p in batch])
            for p in batch:
                counts["would_check" if p.record["url"] in known else "would_insert"] += 1
            return
        for outcome in self.store.upsert_many(batch) if batch else []:
            if isinstance(outcome, RecordError):
                counts["errors"] += 1
                logger.error("Not stored: %s", outcome)
            else:
                counts[outcome.outcome.value] += 1
        self.store.set_state(key, {"records": upto, "counts": dict(counts), "done": done})
