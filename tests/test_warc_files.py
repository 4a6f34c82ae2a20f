"""WARC with archived files: export writes an article's images, attachments and styles as
response records beside its page (the same bytes under another URL as a revisit); import-warc
brings them back."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from storage import open_store
from storage.blobs import blob_sha
from tests.crawling import crawl, uninews
from tests.test_capture import BANNER, CSS, DOC, DOC_NAME, JSP, LOGO, PNG, route
from tests.test_warc import BIN, _counts, _import, _records
from tests.tinysite import ORIGIN, DynamicSite, site_file


def test_files_go_out_and_come_back_through_warc(tmp_path: Path) -> None:
    sites = tmp_path / "sites"
    site_file(sites, name="vsb", capture=["images", "attachments", "styles"])
    store = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    with DynamicSite(route) as server:
        assert crawl("vsb", sites, store, server.url).returncode == 0
    warc = tmp_path / "out.warc.gz"
    done = uninews("export", "--store", store, "--format", "warc", "-o", str(warc))
    assert done.returncode == 0, done.stderr
    assert "5 files (1 more under other URLs, as revisits)" in done.stderr

    files = {
        uri: (kind, http.get_header("Content-Type"), payload)
        for kind, uri, _, http, payload in _records(warc)
        if kind in ("response", "revisit") and not uri.endswith(".html")
    }
    assert files[f"{ORIGIN}/__local/A/1.png"] == ("response", "image/png", PNG)
    assert files[f"{ORIGIN}/images/logo.png"] == ("response", "image/png", LOGO)
    assert files[f"{ORIGIN}/news.vsb.css"] == ("response", "text/css", CSS)
    assert files[f"{ORIGIN}/images/banner.jpg"] == ("response", "image/jpeg", BANNER)  # CSS's
    docs = sorted(v[0] for k, v in files.items() if k.startswith(f"{ORIGIN}{JSP}"))
    assert docs == ["response", "revisit"]  # one file under two URLs: its bytes once
    assert DOC in [v[2] for v in files.values()]
    checked = subprocess.run([BIN / "warcio", "check", str(warc)], capture_output=True,
                             text=True, check=False)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    index = subprocess.run([BIN / "cdxj-indexer", str(warc)], capture_output=True, text=True,
                           check=False)  # fmt: skip
    assert "/__local/A/1.png" in index.stdout and "download.jsp" in index.stdout

    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    imported = _import(warc, fresh, sites, site="vsb")
    assert imported.returncode == 0, imported.stderr[-2000:]
    counts = _counts(imported.stdout)
    assert (counts["new"], counts["files"], counts["errors"]) == (2, 5, 0), imported.stdout
    back: Any = open_store(fresh, readonly=True)
    try:
        assert back.blob_stats() == open_store(store, readonly=True).blob_stats()
        doc = back.blob_for_url(f"{ORIGIN}{JSP}401")
        assert doc is not None and doc.name == DOC_NAME and doc.mime == "application/msword"
    finally:
        back.close()
    shown = uninews("show", f"{ORIGIN}/news/1.html", "--store", fresh).stdout
    assert f"archived: /files/{blob_sha(PNG)}  1.png  image/png" in shown
    assert f"archived: /files/{blob_sha(DOC)}  {DOC_NAME}" in shown
