"""Capture: a crawl keeps each article's images and attachments (VSB download.jsp links with no
extension included) once by content hash, and a revisit does not fetch them again."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from storage import open_store
from storage.blobs import ARCHIVED, blob_sha
from tests.crawling import crawl, summary_counts, uninews
from tests.tinysite import ORIGIN, DynamicSite, listing_html, site_file

PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(3000)
LOGO = b"\x89PNG\r\n\x1a\n" + os.urandom(500)
DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(4000)
CSS = b"body { font-family: serif; } .banner { background: url(images/banner.jpg); }"
BANNER = b"\xff\xd8\xff\xe0" + os.urandom(800)
DOC_NAME = "2027年硕士研究生招生简章.doc"
JSP = "/system/_content/download.jsp?urltype=news.DownloadAttachUrl&owner=1676231333&wbfileid="


def article(n: int) -> bytes:
    """A VSB-style article: a photo, an attachment through download.jsp, a stylesheet."""
    return f"""<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8">
<title>Story {n}</title><link rel="stylesheet" href="/news.vsb.css">
<script src="/system/resource/js/news/statistic.js"></script></head>
<body><img src="/images/logo.png"><form name="_newscontent_fromname">
<h2>第{n}号 研究生招生简章发布</h2><div class="info">发布时间：2024-03-0{n} 09:00</div>
<div class="text"><div id="vsb_content"><div class="v_news_content">
<p>研究生院发布了下一年度的招生简章，公布了各学院的招生名额以及春季笔试的日期安排。（第{n}号）</p>
<p style="text-align: center"><img src="/__local/A/1.png" alt="研究生院主楼"></p>
<p>考生报名前应仔细阅读招生简章，对简章有疑问的可以向各学院研究生秘书咨询，工作日均可答复。</p>
</div></div>
<p><ul style="list-style-type:none;"><li>附件【<a href="{JSP}{400 + n}">{DOC_NAME}</a>】已下载次</li></ul></p>
</div></form></body></html>""".encode()


def route(path: str) -> tuple[int, dict[str, str], bytes]:
    if path == "/news/index.html":
        return 200, {}, listing_html([1, 2], None).encode()
    if path.startswith("/news/") and path.endswith(".html"):
        return 200, {}, article(int(path.rsplit("/", maxsplit=1)[-1].split(".", maxsplit=1)[0]))
    if path == "/__local/A/1.png":
        return 200, {"Content-Type": "image/png", "ETag": '"p1"'}, PNG
    if path == "/images/logo.png":
        return 200, {"Content-Type": "image/png"}, LOGO
    if path == "/news.vsb.css":
        return 200, {"Content-Type": "text/css"}, CSS
    if path == "/images/banner.jpg":  # only the stylesheet names it
        return 200, {"Content-Type": "image/jpeg"}, BANNER
    if path.startswith("/system/_content/download.jsp"):
        # No extension anywhere: the name comes only from Content-Disposition (UTF-8, escaped).
        disposition = f"attachment; filename={quote(DOC_NAME)}"
        return 200, {"Content-Type": "application/msword", "Content-Disposition": disposition}, DOC
    return 404, {}, b"not here"


@pytest.fixture
def vsb(tmp_path: Path) -> tuple[Path, str]:
    sites = tmp_path / "sites"
    site_file(sites, name="vsb", language="zh", timezone="Asia/Shanghai")
    return sites, f"sqlite:///{tmp_path / 'archive.sqlite3'}"


def test_a_crawl_keeps_images_and_download_jsp_attachments_once(vsb: tuple[Path, str]) -> None:
    sites, store_uri = vsb
    with DynamicSite(route) as server:
        done = crawl("vsb", sites, store_uri, server.url)
        assert done.returncode == 0, done.stderr[-2000:]
        # Only what the article shows by default: not the template's logo or stylesheet.
        assert "/images/logo.png" not in server.requests
        assert "/news.vsb.css" not in server.requests
        # Two articles share one photo: it is fetched once; each has its own attachment.
        assert server.requests.count("/__local/A/1.png") == 1
        assert len([r for r in server.requests if r.startswith(JSP)]) == 2
        # Three files fetched, two kept: both attachment links serve the same bytes.
        assert summary_counts(done.stdout)["files archived"] == 2
        requests = len(server.requests)
        again = uninews(
            "revisit", "vsb", "--all", "--sites-dir", str(sites), "--store", store_uri,
            "--base-url", server.url, "-s", "AUTOTHROTTLE_ENABLED=false",
            "-s", "UNINEWS_EXTRACT_WORKERS=0",
        )  # fmt: skip
        assert again.returncode == 0, again.stderr[-2000:]
        fetched_again = server.requests[requests:]
    # A revisit refetches the pages, not the files the archive already keeps, and finds the
    # articles unchanged (an archived copy is no new version).
    assert sorted(fetched_again) == ["/news/1.html", "/news/2.html", "/robots.txt"]
    assert summary_counts(again.stdout)["unchanged"] == 2
    store: Any = open_store(store_uri, readonly=True)
    try:
        record = store.get(f"{ORIGIN}/news/1.html")
        assert record["images"][0][ARCHIVED] == {
            "sha256": blob_sha(PNG),
            "size": len(PNG),
            "mime": "image/png",
            "name": "1.png",
        }
        [attachment] = record["attachments"]
        assert attachment["url"] == f"{ORIGIN}{JSP}401"
        assert attachment[ARCHIVED]["name"] == DOC_NAME
        assert attachment[ARCHIVED]["mime"] == "application/msword"
        got = store.get_blob(attachment[ARCHIVED]["sha256"])
        assert got is not None and got[1] == DOC
        # Stored by content: the two attachment URLs serve the same bytes, kept once.
        assert store.blob_stats() == {"files": 2, "bytes": len(PNG) + len(DOC), "urls": 3}
        assert store.versions(record["id"])[-1]["version"] == 1
    finally:
        store.close()
    shown = uninews("show", f"{ORIGIN}/news/1.html", "--store", store_uri).stdout
    assert f"archived: /files/{blob_sha(DOC)}  {DOC_NAME}  application/msword, 4.0 kB" in shown
    assert f"archived: /files/{blob_sha(PNG)}  1.png  image/png, 3.0 kB" in shown
    stats = uninews("stats", "--store", store_uri).stdout
    assert "Archived files: 2 (7.0 kB) for 3 URLs" in stats


def test_caps_robots_and_wrong_types_leave_the_article_stored(vsb: tuple[Path, str]) -> None:
    sites, store_uri = vsb

    def broken(path: str) -> tuple[int, dict[str, str], bytes]:
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /__local/\n"
        if path.startswith("/system/_content/download.jsp"):
            return 200, {}, b"<html><body>Please log in</body></html>"  # a login page
        return route(path)

    with DynamicSite(broken) as server:
        done = crawl("vsb", sites, store_uri, server.url)
    assert done.returncode == 0, done.stderr[-2000:]
    counts = summary_counts(done.stdout)
    assert counts["new"] == 2 and counts["errors"] == 0
    assert counts["files not archived"] == 4  # two photos (robots.txt), two login pages
    assert "/__local/A/1.png" not in server.requests
    assert "served as a web page, not a file" in done.stderr
    store: Any = open_store(store_uri, readonly=True)
    try:
        record = store.get(f"{ORIGIN}/news/1.html")
        assert ARCHIVED not in record["images"][0] and ARCHIVED not in record["attachments"][0]
    finally:
        store.close()


def test_a_file_past_the_cap_is_not_kept(vsb: tuple[Path, str]) -> None:
    sites, store_uri = vsb
    with DynamicSite(route) as server:
        done = crawl("vsb", sites, store_uri, server.url, "-s", "UNINEWS_CAPTURE_MAXSIZE=3500")
    assert done.returncode == 0, done.stderr[-2000:]
    counts = summary_counts(done.stdout)
    assert counts["new"] == 2 and counts["files archived"] == 1  # the photo; not the 4 KB .doc
    store: Any = open_store(store_uri, readonly=True)
    try:
        assert store.blob_stats()["files"] == 1
    finally:
        store.close()


def test_styles_when_the_site_asks_and_nothing_when_capture_is_off(tmp_path: Path) -> None:
    sites = tmp_path / "sites"
    site_file(sites, name="vsb", capture=["images", "styles"])
    styled, off = f"sqlite:///{tmp_path / 'a.sqlite3'}", f"sqlite:///{tmp_path / 'b.sqlite3'}"
    with DynamicSite(route) as server:
        assert crawl("vsb", sites, styled, server.url).returncode == 0
        assert crawl("vsb", sites, off, server.url, "-s", "UNINEWS_CAPTURE=false").returncode == 0
    store: Any = open_store(styled, readonly=True)
    try:
        css = store.blob_for_url(f"{ORIGIN}/news.vsb.css")
        assert css is not None and css.mime == "text/css"
        assert store.blob_for_url(f"{ORIGIN}/images/logo.png") is not None  # the page's too
        banner = store.blob_for_url(f"{ORIGIN}/images/banner.jpg")  # and what its CSS loads
        assert banner is not None and banner.sha256 == blob_sha(BANNER)
        assert store.blob_for_url(f"{ORIGIN}{JSP}401") is None  # attachments not asked for
    finally:
        store.close()
    store = open_store(off, readonly=True)
    try:
        assert store.count() == 2 and store.blob_stats()["files"] == 0
    finally:
        store.close()


@pytest.mark.parametrize(
    ("header", "name"),
    [
        (f"attachment; filename={quote(DOC_NAME)}".encode(), DOC_NAME),  # VSB: escaped UTF-8
        (f'attachment; filename="{DOC_NAME}"'.encode("gb18030"), DOC_NAME),  # raw GBK
        (f'attachment; filename="{DOC_NAME}"'.encode(), DOC_NAME),  # raw UTF-8
        (f"attachment; filename*=UTF-8''{quote(DOC_NAME)}".encode(), DOC_NAME),  # RFC 6266
        (b'attachment; filename="../../etc/passwd"', "passwd"),  # a name, never a path
        (b"inline", None),
    ],
)
def test_attachment_names_from_content_disposition(header: bytes, name: str | None) -> None:
    from crawler.capture import content_disposition_name

    assert content_disposition_name(header) == name


def test_a_link_text_without_extension_names_the_file_with_the_urls() -> None:
    from scrapy.http import Response

    from crawler.capture import _attachment_name

    pdf = Response("http://x.edu.cn/a", headers={"Content-Type": "application/pdf"})
    vague = Response("http://x.edu.cn/a", headers={"Content-Type": "application/octet-stream"})
    doc_url, jsp_url = "http://x.edu.cn/__local/F/1.doc?e=.doc", f"http://x.edu.cn{JSP}1"
    assert _attachment_name("招生简章", doc_url, vague) == "招生简章.doc"
    assert _attachment_name("招生简章.docx", doc_url, vague) == "招生简章.docx"
    assert _attachment_name("招生简章", jsp_url, pdf) == "招生简章.pdf"
    assert _attachment_name("招生简章", jsp_url, vague) == "招生简章"  # not "招生简章.jsp"


@pytest.mark.slow
def test_a_ctrl_c_while_files_download_leaves_the_article_for_the_next_run(
    vsb: tuple[Path, str],
) -> None:
    import signal
    import threading

    from tests.test_crawl_faults import _start, _wait

    sites, store_uri = vsb
    release = threading.Event()

    def slow_photo(path: str) -> tuple[int, dict[str, str], bytes]:
        if path == "/__local/A/1.png":
            release.wait(30)  # bounded: the test releases it once the crawl is stopped
        return route(path)

    with DynamicSite(slow_photo) as server:
        args = ["crawl", "vsb", "--sites-dir", str(sites), "--store", store_uri,
                "--base-url", server.url, "-s", "AUTOTHROTTLE_ENABLED=false",
                "-s", "UNINEWS_EXTRACT_WORKERS=0", "-s", "DOWNLOAD_TIMEOUT=3"]  # fmt: skip
        proc = _start(args)
        _wait("the photo to be asked for", lambda: "/__local/A/1.png" in server.requests)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        release.set()
        assert proc.returncode == 130, err[-2000:]
        again = crawl("vsb", sites, store_uri, server.url)
    assert again.returncode == 0, again.stderr[-2000:]
    store: Any = open_store(store_uri, readonly=True)
    try:
        for n in (1, 2):
            record = store.get(f"{ORIGIN}/news/{n}.html")
            assert record is not None and ARCHIVED in record["images"][0], n
    finally:
        store.close()
