"""Capture on a real VSB site: the recorded mirror of yjszs.cqjtu.edu.cn in ../shared, served
from 127.0.0.1, crawled with its images, attachments and styles (skipped when absent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from storage import open_store
from storage.blobs import ARCHIVED
from tests.crawling import crawl, summary_counts, write_site
from tests.sitegen.server import LocalSite
from tests.webarchive import serving
from uninews.web.app import create_app

pytestmark = pytest.mark.shared

ORIGIN = "http://yjszs.cqjtu.edu.cn"
DOCUMENTS = ("application/msword", "application/vnd.openxmlformats-officedocument")


def _in_mirror(root: Path, url: str) -> bool:
    parts = urlsplit(url)
    return parts.netloc == urlsplit(ORIGIN).netloc and (root / unquote(parts.path[1:])).is_file()


def test_a_vsb_site_is_archived_with_its_images_and_attachments(
    shared_dir: Path, tmp_path: Path
) -> None:
    import httpx

    root = shared_dir / "corpus" / "sites" / "yjszs.cqjtu.edu.cn"
    if not root.is_dir():
        pytest.skip("the yjszs.cqjtu.edu.cn mirror is absent")
    sites = tmp_path / "sites"
    write_site(
        sites,
        name="cqjtu",
        base_url=f"{ORIGIN}/",
        listings=["tzgg.htm", "kdxx.htm", "xzzx.htm"]
        + [f"zsxx1/{c}.htm" for c in ("ssyjs", "bsyjs", "tdxlsqss")],
        article_url=r"^/info/\d+/\d+\.htm$",
        capture=["images", "attachments", "styles"],
    )
    uri = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    with LocalSite(root) as server:
        done = crawl("cqjtu", sites, uri, server.url, "--full")
    assert done.returncode == 0, done.stderr[-2000:]
    counts = summary_counts(done.stdout)
    assert counts["new"] >= 100 and counts["errors"] == 0, done.stdout
    store: Any = open_store(uri, readonly=True)
    try:
        images = attachments = 0
        for record in store.iter_records("cqjtu"):
            for kind in ("images", "attachments"):
                for entry in record.get(kind) or []:
                    # Every file the mirror holds is archived; a link to one it lost is not.
                    assert (ARCHIVED in entry) == _in_mirror(root, entry["url"]), entry
                    if ARCHIVED in entry:
                        got = store.get_blob(entry[ARCHIVED]["sha256"])
                        assert got is not None and len(got[1]) == entry[ARCHIVED]["size"]
                        images += kind == "images"
                        attachments += kind == "attachments"
        documents = [b for b in store.iter_blobs() if b.mime.startswith(DOCUMENTS)]
        assert len(documents) >= 38  # the README counts 38 .doc/.docx (two are one file)
        assert images >= 20 and attachments >= 38
        # The archived page shows its images and styles from the archive alone.
        with_images = next(
            r for r in store.iter_records("cqjtu") if any(ARCHIVED in i for i in r["images"])
        )
        with serving(create_app(store)) as base:
            raw = httpx.get(f"{base}/articles/{with_images['id']}/raw", timeout=10).text
        archived = [i for i in with_images["images"] if ARCHIVED in i]
        for image in archived:
            assert f'src="/files/{image[ARCHIVED]["sha256"]}"' in raw
        assert 'rel="stylesheet" type="text/css" href="/files/' in raw
    finally:
        store.close()
