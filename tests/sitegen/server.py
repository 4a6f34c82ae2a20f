"""A quiet local HTTP server for one host's docroot, with request logging and scripted failures."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from .paths import resolve, split_query

CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".asp": "text/html",
    ".jsp": "text/html",
    ".txt": "text/plain",
    ".json": "application/json",
    ".xml": "application/xml",
    ".js": "application/javascript",
    ".css": "text/css",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
}
NOT_FOUND_BODY = (
    b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>"
    b"<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>\n"
)


@dataclass
class StatusRule:
    """Answer `code` for a path: every time (times=None) or only the first `times` requests, then
    serve normally. Optional Retry-After header value and body."""

    code: int
    times: int | None = None
    retry_after: int | str | None = None
    body: bytes | None = None
    location: str | None = None  # for 3xx
    used: int = 0


@dataclass
class Hit:
    """One request the server answered."""

    method: str
    path: str  # with the query string
    status: int
    headers: dict[str, str] = field(default_factory=dict)


StatusSpec = int | tuple[int, int] | StatusRule


def _content_type(f: Path) -> str:
    name = f.name.split("?", 1)[0]
    dot = name.rfind(".")
    return CONTENT_TYPES.get(name[dot:].lower() if dot >= 0 else "", "application/octet-stream")


class LocalSite:
    """A running server for one docroot. Use as a context manager, or call start()/close()."""

    def __init__(
        self,
        docroot: Path,
        headers: Mapping[str, Mapping[str, str]] | None = None,
        status: Mapping[str, StatusSpec] | None = None,
        retry_after: int | str | None = None,
    ) -> None:
        self.docroot = Path(docroot)
        self._lock = threading.Lock()
        self.headers: dict[str, dict[str, str]] = {k: dict(v) for k, v in (headers or {}).items()}
        self.rules: dict[str, StatusRule] = {}
        self._default_retry_after = retry_after
        for path, spec in (status or {}).items():
            self.set_status(path, spec)
        self.hits: list[Hit] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- configuration

    def set_status(self, path: str, spec: StatusSpec, retry_after: int | str | None = None) -> None:
        """Script a status for a path (exact path+query first, then the path alone).
        spec: 503 (always), (503, 2) (twice, then normal), or a StatusRule."""
        if isinstance(spec, StatusRule):
            rule = spec
        elif isinstance(spec, tuple):
            rule = StatusRule(spec[0], spec[1])
        else:
            rule = StatusRule(spec)
        if rule.retry_after is None:
            rule.retry_after = retry_after if retry_after is not None else self._default_retry_after
        with self._lock:
            self.rules[path] = rule

    def clear_status(self, path: str | None = None) -> None:
        with self._lock:
            if path is None:
                self.rules.clear()
            else:
                self.rules.pop(path, None)

    # ---------------------------------------------------------------- request log

    @property
    def requests(self) -> list[str]:
        """Request paths (with query strings) in the order they arrived."""
        with self._lock:
            return [h.path for h in self.hits]

    def count(self, pred: Callable[[str], bool] | str) -> int:
        """How many requests match: a predicate on the path, or a substring of it."""
        test = pred if callable(pred) else (lambda p, s=pred: s in p)
        with self._lock:
            return sum(1 for h in self.hits if test(h.path))

    def reset(self) -> None:
        """Forget the request log and the failure counters."""
        with self._lock:
            self.hits.clear()
            for r in self.rules.values():
                r.used = 0

    # ---------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("server not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    base_url = url

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("server not started")
        return int(self._server.server_address[1])

    def url_for(self, path_or_url: str) -> str:
        """A local URL for a path ('/a?b') or an origin URL ('http://host/a?b')."""
        if "://" in path_or_url:
            rest = path_or_url.split("://", 1)[1]
            path_or_url = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
        return self.url + path_or_url

    def start(self) -> LocalSite:
        handler = _make_handler(self)
        server = _QuietServer(("127.0.0.1", 0), handler)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"sitegen-{self.docroot.name}",
        )
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> LocalSite:
        return self if self._server is not None else self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ---------------------------------------------------------------- used by the handler

    def _record(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)

    def _rule_for(self, raw_path: str) -> StatusRule | None:
        path, _ = split_query(raw_path)
        with self._lock:
            rule = self.rules.get(raw_path) or self.rules.get(path)
            if rule is None:
                return None
            if rule.times is not None and rule.used >= rule.times:
                return None
            rule.used += 1
            return rule

    def _headers_for(self, raw_path: str) -> dict[str, str]:
        path, _ = split_query(raw_path)
        out = dict(self.headers.get("*", {}))
        out.update(self.headers.get(path, {}))
        out.update(self.headers.get(raw_path, {}))
        return out


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:  # no tracebacks on stderr
        pass


def _make_handler(site: LocalSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "sitegen/1.0"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._serve(body=True)

        def do_HEAD(self) -> None:
            self._serve(body=False)

        def _send(self, code: int, headers: dict[str, str], data: bytes, body: bool) -> None:
            # log first: a client that has its response must find its request in the log
            site._record(Hit(self.command, self.path, code, dict(self.headers.items())))
            self.send_response(code)
            headers.setdefault("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            if body and data:
                self.wfile.write(data)

        def _serve(self, body: bool) -> None:
            raw = self.path
            extra = site._headers_for(raw)
            rule = site._rule_for(raw)
            if rule is not None:
                h = {"Content-Type": "text/html"}
                if rule.retry_after is not None:
                    h["Retry-After"] = str(rule.retry_after)
                if rule.location:
                    h["Location"] = rule.location
                h.update(extra)
                data = rule.body
                if data is None:
                    data = f"<html><body><h1>{rule.code}</h1></body></html>\n".encode()
                self._send(rule.code, h, data, body)
                return
            f = resolve(site.docroot, raw)
            if f is None:
                h = {"Content-Type": "text/html"}
                h.update({k: v for k, v in extra.items() if k.lower() != "content-type"})
                self._send(404, h, NOT_FOUND_BODY, body)
                return
            data = f.read_bytes()
            etag = '"' + hashlib.md5(data, usedforsecurity=False).hexdigest()[:16] + '"'
            mtime = int(f.stat().st_mtime)
            modified = formatdate(mtime, usegmt=True)
            since = self.headers.get("If-Modified-Since")
            not_modified = self.headers.get("If-None-Match") == etag
            if since and not self.headers.get("If-None-Match"):
                with contextlib.suppress(TypeError, ValueError, IndexError):
                    not_modified = mtime <= parsedate_to_datetime(since).timestamp()
            if not_modified:
                h304 = {"ETag": etag, "Last-Modified": modified, "Content-Length": "0"}
                self._send(304, {**h304, **extra}, b"", False)
                return
            h = {"Content-Type": _content_type(f), "ETag": etag, "Last-Modified": modified}
            h.update(extra)
            self._send(200, h, data, body)

    return Handler


def serve(
    docroot: Path,
    *,
    headers: Mapping[str, Mapping[str, str]] | None = None,
    status: Mapping[str, StatusSpec] | None = None,
    retry_after: int | str | None = None,
) -> LocalSite:
    """Start a server for one host's docroot (e.g. root / "news.tsinghua.edu.cn") on 127.0.0.1:<free port>.

    headers: per-path header overrides ({"/p": {"Content-Type": "text/html; charset=gbk"}}; "*" = all).
    status: per-path scripted status ({"/p": 503} always, {"/p": (503, 2)} twice then 200, or a StatusRule).
    retry_after: default Retry-After value for scripted statuses.
    """
    return LocalSite(docroot, headers, status, retry_after).start()


def serve_all(root: Path, hosts: Iterator[str] | list[str] | None = None) -> dict[str, LocalSite]:
    """One started server per host directory under root (close them with close_all)."""
    names = (
        list(hosts) if hosts is not None else sorted(p.name for p in root.iterdir() if p.is_dir())
    )
    return {h: serve(root / h) for h in names}


def close_all(sites: Mapping[str, LocalSite]) -> None:
    for s in sites.values():
        s.close()
