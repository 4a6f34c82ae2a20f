"""Bad input gets one clear line and a non-zero exit, never a traceback; stored data is untouched."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from crawler.sites import SiteError, load_site_file, load_sites
from storage import open_store
from tests.conftest import SHARED
from tests.crawling import FAST, LEGACY_ARTICLE_URL, summary_counts, uninews, write_site
from tests.sitegen import serve


def _one_line_error(out: object, *needles: str) -> None:
    stderr = out.stderr.strip()  # type: ignore[attr-defined]
    assert out.returncode != 0, out  # type: ignore[attr-defined]
    assert "Traceback" not in stderr
    assert stderr.count("\n") == 0, stderr
    assert stderr.startswith("uninews: error:")
    for n in needles:
        assert n in stderr, stderr


def test_unknown_site(tmp_path: Path) -> None:
    _one_line_error(
        uninews("crawl", "nosuchsite", "--store", f"sqlite:///{tmp_path}/a.db"),
        "nosuchsite",
        "known:",
    )


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (
            "name: bad\ntitle: x\nbase_url: http://x.edu/\nlistings: [a]\narticle_url: '('\n",
            "'article_url'",
        ),
        ("name: bad\ntitle: x\nbase_url: x.edu\nlistings: [a]\narticle_url: a\n", "'base_url'"),
        (
            "name: bad\ntitle: x\nbase_url: http://x.edu/\nlistings: [a]\narticle_url: a\ntimezone: Mars/Base\n",
            "'timezone'",
        ),
        (
            "name: bad\ntitle: x\nbase_url: http://x.edu/\nlistings: [a]\narticle_url: a\nschedule: every day\n",
            "'schedule'",
        ),
        (
            "name: bad\ntitle: x\nbase_url: http://x.edu/\nlistings: [a]\narticle_url: a\nlisting: [b]\n",
            "'listing'",
        ),
        ("name: bad\ntitle: x\nbase_url: http://x.edu/\narticle_url: a\n", "'listings'"),
        ("name: bad\n  title: [\n", "not valid YAML"),
        ("- just a list\n", "mapping"),
    ],
)
def test_invalid_site_file_names_file_and_key(tmp_path: Path, content: str, needle: str) -> None:
    (tmp_path / "bad.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(SiteError) as err:
        load_site_file(tmp_path / "bad.yaml")
    assert "bad.yaml" in str(err.value) and needle in str(err.value)
    out = uninews(
        "crawl", "bad", "--sites-dir", str(tmp_path), "--store", f"sqlite:///{tmp_path}/a.db"
    )
    _one_line_error(out, "bad.yaml")
    assert out.returncode == 2


def test_bad_store_uri_and_bad_date(tmp_path: Path) -> None:
    _one_line_error(uninews("stats", "--store", "postgres://h/db"), "postgres://h/db")
    _one_line_error(
        uninews("search", "--since", "2020-02-30", "--store", f"sqlite:///{tmp_path}/a.db"),
        "2020-02-30",
    )
    _one_line_error(uninews("crawl", "tsinghua", "--max-pages", "zero"), "zero")
    _one_line_error(uninews("stats", "--store", "mongodb://u:secret@127.0.0.1:1/db"), "u:***@")
    out = uninews("stats", "--store", "mongodb://u:secret@127.0.0.1:1/db")
    assert "secret" not in out.stderr + out.stdout


def test_unreadable_store_file_leaves_it_untouched(tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-db.sqlite3"
    bogus.write_bytes(b"this is not a database" * 100)
    before = bogus.read_bytes()
    _one_line_error(uninews("stats", "--store", f"sqlite:///{bogus}"), "not-a-db.sqlite3")
    assert bogus.read_bytes() == before


def test_packaged_sites_are_valid() -> None:
    sites = load_sites()
    assert {"tsinghua", "tsinghua-legacy"} <= set(sites)
    assert sites["tsinghua"].is_article_url("https://www.tsinghua.edu.cn/info/1182/124190.htm")
    assert not sites["tsinghua"].is_article_url("https://mp.weixin.qq.com/s/abc")
    legacy = sites["tsinghua-legacy"]
    assert legacy.is_article_url(
        "http://news.tsinghua.edu.cn/publish/thunews/9648/2016/20160307091125373933095/20160307091125373933095_.html"
    )
    assert not legacy.is_article_url("file:///publish/news/4205/2015/1/1_.html")


def test_extract_command(tmp_path: Path) -> None:
    from tests.sitegen import seed_article_page

    url, body, _ = seed_article_page()
    page = tmp_path / "seed.html"
    page.write_bytes(body)
    out = uninews("extract", str(page), "--url", url)
    assert out.returncode == 0, out.stderr
    rec = json.loads(out.stdout)
    assert (rec["published_at"], rec["authors"], rec["editors"]) == (
        "2016-03-04T21:16:26+08:00",
        ["李含"],
        ["清芷"],
    )
    stub = tmp_path / "stub.html"
    stub.write_bytes(
        b'<html><script>window.location.href="/publish/news/index.html"</script></html>'
    )
    gone = uninews("extract", str(stub), "--url", url)
    assert gone.returncode == 3 and "not an article" in gone.stderr
    _one_line_error(
        uninews("extract", str(tmp_path / "missing.html"), "--url", url), "missing.html"
    )


def test_scrapy_list_shows_the_site_spiders() -> None:
    import subprocess
    import sys

    from tests.crawling import ROOT

    out = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-1000:]
    assert {"news", "tsinghua", "tsinghua-legacy"} <= set(out.stdout.split())


@pytest.mark.shared
def test_crawl_a_mirror_of_real_legacy_pages(tmp_path: Path) -> None:
    """The real Tsinghua 4195 column (../shared/corpus), rebuilt as a mirror and crawled."""
    corpus = SHARED / "corpus"
    if not (corpus / "SOURCES.tsv").exists():
        pytest.skip("../shared/corpus is absent")
    import csv

    mirror = tmp_path / "mirror"
    truths = {}
    for row in csv.DictReader((corpus / "SOURCES.tsv").open(encoding="utf-8"), delimiter="\t"):
        if "news.tsinghua.edu.cn/" in row["source_path"]:
            dst = mirror / row["source_path"].split("news.tsinghua.edu.cn/", 1)[1]
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(corpus / row["file"], dst)
    for t in (corpus / "tsinghua-2015" / "truth").glob("*.json"):
        truth = json.loads(t.read_text(encoding="utf-8"))
        truths["http://news.tsinghua.edu.cn" + truth["url_path"]] = truth
    sites = tmp_path / "sites"
    write_site(sites, name="thu-4195", base_url="http://news.tsinghua.edu.cn/",
               listings=["publish/news/4195/index.html"], article_url=LEGACY_ARTICLE_URL)  # fmt: skip
    store = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    with serve(mirror) as server:
        first = uninews("crawl", "thu-4195", "--sites-dir", str(sites), "--store", store,
                        "--base-url", server.url, *FAST)  # fmt: skip
        second = uninews("crawl", "thu-4195", "--sites-dir", str(sites), "--store", store,
                         "--base-url", server.url, *FAST)  # fmt: skip
    assert first.returncode == 0, first.stderr[-2000:]
    counts = summary_counts(first.stdout)
    linked = [u for u in truths]
    s = open_store(store)
    try:
        assert s.count() == len(linked) == counts["new"]
        for url, truth in truths.items():
            rec = s.get(url)
            assert rec is not None, url
            assert rec["title"] == truth["title"]
            assert rec["published_at"] == truth["published_at"]
    finally:
        s.close()
    assert counts["not articles"] == 44  # the listed pages the mirror does not have (404)
    assert summary_counts(second.stdout)["new"] == 0
    assert summary_counts(second.stdout)["articles fetched"] == 0


def test_a_broken_site_file_does_not_block_other_sites(tmp_path: Path) -> None:
    from crawler.sites import get_site

    (tmp_path / "broken.yaml").write_text("name: broken\ntitle: [\n", encoding="utf-8")
    assert get_site("tsinghua", tmp_path).name == "tsinghua"
    with pytest.raises(SiteError, match=r"broken\.yaml"):
        get_site("broken", tmp_path)


def test_unreachable_site_is_a_failed_run(tmp_path: Path) -> None:
    sites = tmp_path / "sites"
    write_site(sites, name="down", base_url="http://news.tsinghua.edu.cn/",
               listings=["publish/news/4205/index.html"], article_url=LEGACY_ARTICLE_URL)  # fmt: skip
    store = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    out = uninews("crawl", "down", "--sites-dir", str(sites), "--store", store,
                  "--base-url", "http://127.0.0.1:9", *FAST, "-s", "RETRY_TIMES=1")  # fmt: skip
    assert out.returncode == 1
    assert "failed" in out.stdout and "no listing page could be fetched" in out.stdout
    s = open_store(store)
    [run] = s.runs("down")
    s.close()
    assert run.status == "failed" and run.error == "no listing page could be fetched"
