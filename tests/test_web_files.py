"""`uninews serve` with archived files: images and attachments from the archive, the files with
safe headers, and the raw page shown with its archived images and styles only."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from storage import ArchiveStore, RawPage, open_store
from storage.blobs import ARCHIVED, Blob, blob_sha
from tests.conftest import store_uri
from tests.test_store_contract import rec
from tests.webarchive import serving
from uninews.web.app import create_app

ORIGIN = "http://yjs.example.edu.cn"
PHOTO = f"{ORIGIN}/__local/A/1.jpg"
LOGO = f"{ORIGIN}/images/logo.png"
CSS = f"{ORIGIN}/news.vsb.css"
DOC_URL = f"{ORIGIN}/system/_content/download.jsp?urltype=news.DownloadAttachUrl&owner=1&wbfileid=7"
JPEG = b"\xff\xd8\xff\xe0" + os.urandom(1500)
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(300)
DOC = b"\xd0\xcf\x11\xe0" + os.urandom(900)
STYLE = b"body { color: #123456 }"
PAGE = f"""<html><head><meta charset="gbk"><link rel="stylesheet" href="../../news.vsb.css">
<title>招生</title></head><body><img src="../../images/logo.png"><img src="/gone.png">
<div id="vsb_content"><p>正文</p><img src="../../__local/A/1.jpg"></div>
<a href="{DOC_URL.replace("&", "&amp;")}">简章.doc</a></body></html>""".encode("gbk")


def _keep(store: ArchiveStore, url: str, body: bytes, mime: str, name: str) -> Blob:
    blob = Blob(url, blob_sha(body), len(body), mime, name, "2026-11-27T00:00:00Z")
    store.put_blob(blob, body)
    return blob


@pytest.fixture(params=["sqlite", "mongomock"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[httpx.Client, str]]:
    uri = store_uri(request.param, tmp_path)
    writer: Any = open_store(uri)
    url = f"{ORIGIN}/info/1050/1671.htm"
    photo = _keep(writer, PHOTO, JPEG, "image/jpeg", "1.jpg")
    _keep(writer, LOGO, PNG, "image/png", "logo.png")
    _keep(writer, CSS, STYLE, "text/css", "news.vsb.css")
    _keep(writer, DOC_URL, DOC, "application/msword", "2027年招生简章.doc")
    # The photo's copy is on the record; the attachment's only in the archive (a record
    # stored before its file was): both are shown from the archive.
    record = rec(
        url,
        images=[{"url": PHOTO, "caption": "主楼", "credit": None, ARCHIVED: photo.ref()}],
        attachments=[{"url": DOC_URL, "name": "简章.doc"}],
    )
    raw = RawPage(url, url, 200, {"Content-Type": "text/html"}, PAGE, "2026-11-27T00:00:00Z")
    aid = writer.upsert(record, raw).article_id
    store = open_store(uri, readonly=True) if request.param == "sqlite" else writer
    with serving(create_app(store)) as base, httpx.Client(base_url=base, timeout=10) as client:
        yield client, aid
    writer.close()


def test_the_article_page_shows_archived_images_and_attachments(
    served: tuple[httpx.Client, str],
) -> None:
    client, aid = served
    page = client.get(f"/articles/{aid}").text
    assert f'<img src="/files/{blob_sha(JPEG)}"' in page
    assert PHOTO not in page.split('class="images"')[1].split("</section>")[0]
    assert f'href="/files/{blob_sha(DOC)}">简章.doc</a>' in page
    assert f"2027年招生简章.doc, application/msword, {len(DOC):,} bytes" in page


def test_files_are_served_with_safe_headers(served: tuple[httpx.Client, str]) -> None:
    client, _ = served
    image = client.get(f"/files/{blob_sha(JPEG)}")
    assert image.status_code == 200 and image.content == JPEG
    assert image.headers["content-type"] == "image/jpeg"
    assert image.headers["x-content-type-options"] == "nosniff"
    assert image.headers["content-disposition"].startswith("inline")
    doc = client.get(f"/files/{blob_sha(DOC)}")
    assert doc.content == DOC and doc.headers["content-type"] == "application/msword"
    assert doc.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''2027%E5%B9%B4%E6%8B%9B%E7%94%9F%E7%AE%80%E7%AB%A0.doc"
    )
    assert doc.headers["content-security-policy"].startswith("sandbox")
    assert client.get("/files/../../etc/passwd").status_code == 404
    assert client.get("/files/NOTAHASH").status_code == 400
    assert client.get(f"/files/{'0' * 64}").status_code == 404


def test_the_raw_page_shows_archived_images_and_styles_and_nothing_live(
    served: tuple[httpx.Client, str],
) -> None:
    client, aid = served
    raw = client.get(f"/articles/{aid}/raw")
    assert raw.headers["content-type"] == "text/html; charset=utf-8"
    page = raw.text
    assert "正文" in page  # decoded from GBK, served as UTF-8
    assert f'href="/files/{blob_sha(STYLE)}"' in page
    assert f'src="/files/{blob_sha(PNG)}"' in page and f'src="/files/{blob_sha(JPEG)}"' in page
    assert f'href="/files/{blob_sha(DOC)}"' in page
    csp = raw.headers["content-security-policy"]
    assert csp.startswith("sandbox;") and "allow-scripts" not in csp
    # Only the archive: a file it does not keep (/gone.png) is not fetched from the web.
    assert " http: " not in csp and " https: " not in csp
    assert f"img-src 'self' {client.base_url.scheme}://{client.base_url.netloc.decode()}" in csp


def test_the_api_gives_each_files_archived_copy(served: tuple[httpx.Client, str]) -> None:
    client, aid = served
    got = client.get(f"/api/articles/{aid}").json()
    assert got["images"][0]["archived"]["sha256"] == blob_sha(JPEG)
    assert got["attachments"][0]["archived"] == {
        "sha256": blob_sha(DOC),
        "size": len(DOC),
        "mime": "application/msword",
        "name": "2027年招生简章.doc",
    }
