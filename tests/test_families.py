"""Every university: each CMS family crawled end to end from a plain site file, and from the
site file `uninews sites discover` writes starting at the home page; `uninews sites check`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from storage import open_store
from tests.crawling import crawl, summary_counts, uninews
from tests.sitegen import FAMILIES, LocalSite, Manifest, build_family, serve


@pytest.fixture(scope="module", params=FAMILIES)
def family(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Manifest, LocalSite]]:
    root = tmp_path_factory.mktemp(request.param)
    manifest = build_family(root, request.param)
    info = manifest.families[request.param]
    with serve(manifest.docroot(info.host)) as server:
        yield request.param, manifest, server


def _stored_right(manifest: Manifest, family: str, store: str) -> None:
    expected = {a.url: a.record for a in manifest.articles if a.layout == family}
    s = open_store(store)
    try:
        got = {r["url"]: r for r in s.iter_records()}
    finally:
        s.close()
    assert set(got) == set(expected)
    for url, rec in expected.items():
        assert (got[url]["title"], got[url]["published_at"]) == (rec.title, rec.published_at), url
        assert got[url]["authors"] == rec.authors, url


def test_a_plain_site_file_crawls_every_article(
    family: tuple[str, Manifest, LocalSite], tmp_path: Path
) -> None:
    name, manifest, server = family
    info = manifest.families[name]
    sites = tmp_path / "sites"
    sites.mkdir()
    data = info.site_file(name="fam")
    (sites / "fam.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    store = f"sqlite:///{tmp_path / 'a.db'}"
    done = crawl("fam", sites, store, server.url, "--full")
    assert done.returncode == 0, done.stderr[-2000:]
    assert summary_counts(done.stdout)["errors"] == 0
    _stored_right(manifest, name, store)


def test_a_discovered_site_file_crawls_as_well_as_a_written_one(
    family: tuple[str, Manifest, LocalSite], tmp_path: Path
) -> None:
    name, manifest, server = family
    info = manifest.families[name]
    sites = tmp_path / "sites"
    sites.mkdir()
    found = uninews("sites", "discover", info.home_url, "--base-url", server.url,
                    "--name", "found", "-o", str(sites / "found.yaml"), "--delay", "0")  # fmt: skip
    assert found.returncode == 0, found.stderr[-2000:]
    data = yaml.safe_load((sites / "found.yaml").read_text(encoding="utf-8"))
    assert data["layout"] == info.cms
    assert data["timezone"] == info.timezone
    assert "fill rate: title 100%, published_at 100%" in found.stderr
    store = f"sqlite:///{tmp_path / 'a.db'}"
    done = crawl("found", sites, store, server.url, "--full")
    assert done.returncode == 0, done.stderr[-2000:]
    _stored_right(manifest, name, store)

    check = uninews("sites", "check", "found", "--sites-dir", str(sites), "--base-url",
                    server.url, "--delay", "0", "--sample", "3", "--format", "json")  # fmt: skip
    assert check.returncode == 0, check.stderr[-2000:]
    report = json.loads(check.stdout)
    assert report["articles"] >= 3
    assert report["fill_rates"]["title"] == report["fill_rates"]["published_at"] == 1.0


def test_discover_says_so_when_a_page_leads_to_no_news(tmp_path: Path) -> None:
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "index.html").write_text(
        "<html><body><a href='/about.html'>About us</a></body></html>", encoding="utf-8"
    )
    with serve(tmp_path / "www") as server:
        out = uninews("sites", "discover", "http://uni.example.edu/", "--base-url", server.url,
                      "--delay", "0")  # fmt: skip
    assert out.returncode == 1
    assert (
        out.stderr.startswith("uninews: error: no news column found")
        and "Traceback" not in out.stderr
    )


def test_layouts_are_named_in_site_files() -> None:
    from crawler.extraction.pages import LAYOUTS

    assert {"vsb", "webplus", "wordpress", "drupal"} <= set(LAYOUTS)
