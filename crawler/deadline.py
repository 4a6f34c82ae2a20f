"""One HTTP GET with a deadline for the whole request, for the tools that fetch outside Scrapy.

`uninews sites discover` and `sites check` fetch with urllib, whose timeout bounds each socket
operation only: a server that sends one byte every few seconds keeps a request alive for ever.
Here a timer shuts the connection's socket down when the deadline passes, whatever the request
is doing then (connecting, reading headers, reading the body), as Scrapy's DOWNLOAD_TIMEOUT
cancels a whole download in a crawl.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
import urllib.request
from typing import Any


class DeadlineExceeded(OSError):
    """The request took longer than its deadline."""


class _Watch:
    """The sockets of one request (its redirects included), shut down when the deadline passes."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds
        self.expired = False
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def left(self) -> float:
        return max(0.001, self.end - time.monotonic())

    def add(self, sock: socket.socket) -> None:
        # A duplicate descriptor of the same connection: TLS detaches the socket object it
        # wraps, and shutting a connection down through any descriptor wakes every reader.
        dup = sock.dup()
        with self._lock:
            self._socks.append(dup)
            if self.expired:
                dup.shutdown(socket.SHUT_RDWR)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._socks:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._socks:
                sock.close()
            self._socks.clear()


def _watched(base: type[http.client.HTTPConnection], watch: _Watch) -> Any:
    """A connection class of `base` whose sockets `watch` can shut down."""

    def create(address: tuple[str, int], timeout: float, source: Any = None) -> socket.socket:
        sock = socket.create_connection(address, min(timeout, watch.left()), source)
        watch.add(sock)
        return sock

    def make(host: str, **kwargs: Any) -> http.client.HTTPConnection:
        conn = base(host, **kwargs)
        conn._create_connection = create  # type: ignore[attr-defined]  # http.client's own hook
        return conn

    return make


class _Http(urllib.request.HTTPHandler):
    def __init__(self, watch: _Watch) -> None:
        super().__init__()
        self.watch = watch

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_watched(http.client.HTTPConnection, self.watch), req)


class _Https(urllib.request.HTTPSHandler):
    def __init__(self, watch: _Watch) -> None:
        super().__init__()
        self.watch = watch

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_watched(http.client.HTTPSConnection, self.watch), req)


def get(
    url: str,
    headers: dict[str, str],
    *,
    deadline: float,
    max_bytes: int,
    redirects: urllib.request.HTTPRedirectHandler | None = None,
) -> tuple[str, bytes | None, str | None]:
    """GET `url`, following redirects, within `deadline` seconds in all: (final URL, body or
    None when larger than `max_bytes`, Content-Type).

    Raises DeadlineExceeded past the deadline; OSError (urllib's URLError and HTTPError among
    them) or http.client.HTTPException as urllib does otherwise.
    """
    watch = _Watch(deadline)
    try:
        handlers: list[Any] = [_Http(watch), _Https(watch)]
        if redirects is not None:  # which redirects to follow (urllib's default: all)
            handlers.append(redirects)
        opener = urllib.request.build_opener(*handlers)
        req = urllib.request.Request(url, headers=headers)
        with opener.open(req, timeout=deadline) as resp:
            chunks: list[bytes] = []
            size = 0
            while size <= max_bytes:
                chunk = resp.read1(min(64 * 1024, max_bytes + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            if watch.expired:  # the shutdown may read as the end of the body
                raise DeadlineExceeded(f"took longer than {deadline:g} seconds")
            body = b"".join(chunks) if size <= max_bytes else None
            return resp.geturl(), body, resp.headers.get("Content-Type")
    except (OSError, http.client.HTTPException):
        if watch.expired:
            raise DeadlineExceeded(f"took longer than {deadline:g} seconds") from None
        raise
    finally:
        watch.close()
