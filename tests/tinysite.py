"""Small hand-made news sites for fault tests: static pages on disk, or pages made per request."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

from tests.crawling import write_site

HOST = "news.tiny.example.edu"
ORIGIN = f"http://{HOST}"
ARTICLE_URL = r"^/news/\d+\.html$"

_PARAGRAPHS = (
    "The university opened a new laboratory for climate research on the north campus, where"
    " students and faculty will study regional weather patterns over the coming decade.",
    "Researchers said the facility brings together instruments that were previously spread over"
    " four departments, and that the first projects will start in the spring semester.",
    "The dean thanked the donors and the city council, and invited the public to an open day"
    " with guided tours of the building and short talks by the research teams.",
)


def article_html(n: int, day: int = 1) -> str:
    """A plain English news article page (title, date, byline, three paragraphs)."""
    body = "\n".join(f"<p>{p} (Story {n}.)</p>" for p in _PARAGRAPHS)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Story {n} | Tiny University News</title>
<meta property="article:published_time" content="2024-03-{day:02d}T09:00:00+00:00">
</head><body><header><a href="/">Tiny University</a></header>
<article><h1>Story number {n} about the new laboratory</h1>
<p class="byline">By Jane Doe</p><time datetime="2024-03-{day:02d}">March {day}, 2024</time>
{body}</article><footer>Tiny University, 1 College Road</footer></body></html>
"""


def listing_html(links: list[int], next_page: str | None) -> str:
    """A listing page with article links and no dates (so a backfill waits on the articles)."""
    items = "\n".join(f'<li><a href="/news/{n}.html">Story {n}</a></li>' for n in links)
    nxt = f'<a href="{next_page}">Next</a>' if next_page else ""
    return f"<html><body><ul>{items}</ul>{nxt}</body></html>\n"


def build(root: Path, pages: list[list[int]]) -> Path:
    """Listing pages /news/index.html, /news/index_2.html … with these article numbers each,
    and every article page; returns the docroot."""
    docroot = root / HOST
    (docroot / "news").mkdir(parents=True, exist_ok=True)
    for i, links in enumerate(pages, start=1):
        name = "index.html" if i == 1 else f"index_{i}.html"
        nxt = f"/news/index_{i + 1}.html" if i < len(pages) else None
        (docroot / "news" / name).write_text(listing_html(links, nxt), encoding="utf-8")
        for n in links:
            (docroot / "news" / f"{n}.html").write_text(article_html(n, 1 + n % 28), "utf-8")
    (docroot / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    return docroot


def site_file(sites_dir: Path, name: str = "tiny", **keys: Any) -> Path:
    data: dict[str, Any] = {
        "name": name,
        "base_url": ORIGIN + "/",
        "listings": ["news/index.html"],
        "article_url": ARTICLE_URL,
        "language": "en",
        "timezone": "UTC",
    }
    data.update(keys)
    return write_site(sites_dir, **data)


Route = Callable[[str], tuple[int, dict[str, str], bytes]]


class _QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Served:
    """A threaded HTTP server on a free port of 127.0.0.1, started and stopped by `with`."""

    def _serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class DynamicSite(_Served):
    """A local server whose every answer comes from `route(path)`: (status, headers, body).

    For sites no docroot can hold: endless pagination, an endless chain of sitemaps.
    """

    def __init__(self, route: Route) -> None:
        self.route = route
        self.requests: list[str] = []
        self._lock = threading.Lock()
        site = self

        class Handler(_QuietHandler):
            def do_GET(self) -> None:
                with site._lock:
                    site.requests.append(self.path)
                status, headers, body = site.route(self.path)
                self.send_response(status)
                headers = {"Content-Type": "text/html; charset=utf-8", **headers}
                headers["Content-Length"] = str(len(body))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        self._serve(Handler)


class TricklingSite(_Served):
    """A local server that answers every request with headers, then one byte every `interval`
    seconds of a body it never finishes: each read succeeds, the request never ends."""

    def __init__(self, interval: float = 0.5) -> None:
        self.requests: list[str] = []
        self.asked = threading.Event()
        self._stop = threading.Event()
        site = self

        class Handler(_QuietHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                site.asked.set()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", "1000000")
                self.end_headers()
                try:
                    while not site._stop.wait(interval):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                except OSError:
                    pass  # the client gave up

        self._serve(Handler)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        super().__exit__(*exc)


@contextlib.contextmanager
def raw_server(answer: bytes) -> Iterator[str]:
    """A server that sends the bytes `answer` to every request, whatever they say (a status
    line like `HTTP/1.1 abc`, a body without a length), and closes the connection; its URL."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                with contextlib.suppress(OSError):  # the client gave up
                    conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()
