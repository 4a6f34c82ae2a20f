"""The archived page in a real browser (headless Chromium): its images and styles come from the
archive, inside the sandbox, and nothing from the live site is loaded."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storage import RawPage, open_store
from storage.blobs import Blob, blob_sha
from tests.test_browser import CHROMIUM, DRIVER, _shot, browser
from tests.test_store_contract import rec
from tests.tinysite import DynamicSite
from tests.webarchive import serving
from uninews.web.app import create_app

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER), reason="no system Chromium with chromedriver"
)
__all__ = ["browser"]  # the fixture, shared with tests/test_browser.py

STYLE = b"body { background-color: #123456; } img { width: 200px; } h1 { background: url(bg.png); }"
PAGE = b"""<html><head><meta charset="utf-8"><link rel="stylesheet" href="/news.vsb.css">
<title>archived</title></head><body><h1>\xe6\x8b\x9b\xe7\x94\x9f</h1>
<img id="kept" src="../../__local/A/1.png"><img id="live" src="/gone.png"></body></html>"""


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid PNG of one colour (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


TILE = png(4, 4, (0, 200, 0))  # the heading's background, named by the stylesheet only


@pytest.fixture
def archived_page(tmp_path: Path) -> Iterator[tuple[str, str, DynamicSite, list[str]]]:
    """An archived page whose site is live on 127.0.0.1 (and counts what it is asked)."""
    with DynamicSite(
        lambda path: (200, {"Content-Type": "image/png"}, png(5, 5, (0, 0, 0)))
    ) as live:
        yield from _served(tmp_path, live)


def _served(tmp_path: Path, live: DynamicSite) -> Iterator[tuple[str, str, DynamicSite, list[str]]]:
    origin = live.url
    uri = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    writer: Any = open_store(uri)
    photo = png(20, 20, (200, 30, 30))
    for url, body, mime in ((f"{origin}/__local/A/1.png", photo, "image/png"),
                            (f"{origin}/news.vsb.css", STYLE, "text/css"),
                            (f"{origin}/bg.png", TILE, "image/png")):  # fmt: skip
        writer.put_blob(
            Blob(url, blob_sha(body), len(body), mime, None, "2026-12-01T00:00:00Z"), body
        )
    url = f"{origin}/info/1050/1671.htm"
    raw = RawPage(url, url, 200, {"Content-Type": "text/html"}, PAGE, "2026-12-01T00:00:00Z")
    aid = writer.upsert(rec(url), raw).article_id
    writer.close()
    store = open_store(uri, readonly=True)
    app = create_app(store)
    asked: list[str] = []

    @app.middleware("http")
    async def count(request: Any, call_next: Any) -> Any:  # what the browser asks the app
        asked.append(request.url.path)
        return await call_next(request)

    with serving(app) as base:
        yield base, aid, live, asked
    store.close()


def test_the_archived_page_shows_its_archived_image_and_style(
    archived_page: tuple[str, str, DynamicSite, list[str]], browser: Any
) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    base, aid, site, asked = archived_page
    browser.get(f"{base}/articles/{aid}/raw")
    kept, live, background, heading = browser.execute_script(
        "const [kept, live] = [document.getElementById('kept'), document.getElementById('live')];"
        "return [kept.complete && kept.naturalWidth, live.naturalWidth,"
        " getComputedStyle(document.body).backgroundColor,"
        " getComputedStyle(document.querySelector('h1')).backgroundImage]"
    )
    assert kept == 20  # decoded from the archive's copy, inside the sandbox
    assert live == 0  # not archived: the CSP keeps the live site out
    assert background == "rgb(18, 52, 86)"  # the archived stylesheet applied
    tile = f"/files/{blob_sha(TILE)}"  # what the stylesheet loads, archived too
    assert heading == f'url("{base}{tile}")'
    WebDriverWait(browser, 10).until(lambda _: tile in asked)  # it loads after the page
    assert site.requests == []  # the live site was never asked for anything
    # nor this app at the page's relative paths (the browser's own favicon.ico aside)
    page = f"/articles/{aid}/raw"
    assert [p for p in asked if not p.startswith("/files/")] in ([page], [page, "/favicon.ico"])
    _shot(browser, "8-archived-page-with-its-files")
