"""Bad input gets one clear line and a non-zero exit, never a traceback; stored data is untouched."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.sites import SiteError, load_site_file, load_sites
from storage import open_store
from tests.conftest import SHARED
from tests.crawling import FAST, LEGACY_ARTICLE_URL, crawl, summary_counts, uninews, write_site
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


# --- the archive's own file is never harmed; outputs say what happened ---------------------
@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, Path]]:
    """A small archive (25 English articles, one with a hostile title) and its sites dir."""
    from tests.sitegen.server import LocalSite
    from tests.tinysite import build, site_file

    tmp = tmp_path_factory.mktemp("archive")
    docroot = build(tmp / "www", [list(range(1, 26))])
    page = (docroot / "news" / "7.html").read_text(encoding="utf-8")
    page = page.replace("Story number 7", "Evil\x1b]0;pwned\x07 story\x1b[2J =cmd")
    (docroot / "news" / "7.html").write_text(page, encoding="utf-8")
    sites = tmp / "sites"
    site_file(sites)
    store = tmp / "a.db"
    with LocalSite(docroot) as server:
        done = crawl("tiny", sites, f"sqlite:///{store}", server.url)
    assert done.returncode == 0, done.stderr
    yield store, f"sqlite:///{store}", sites


def test_export_never_writes_onto_the_archive_or_an_existing_file(
    archive: tuple[Path, str, Path], tmp_path: Path
) -> None:
    store, uri, _ = archive
    before = store.read_bytes()
    _one_line_error(uninews("export", "--store", uri, "-o", str(store)), "archive itself")
    assert store.read_bytes() == before
    target = tmp_path / "out.jsonl"
    target.write_text("keep me\n")
    _one_line_error(uninews("export", "--store", uri, "-o", str(target)), "exists", "--force")
    assert target.read_text() == "keep me\n"
    done = uninews("export", "--store", uri, "-o", str(target), "--force")
    assert done.returncode == 0, done.stderr
    assert len(target.read_text().splitlines()) == 25
    assert "exported 25 records" in done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]  # no temporary file left


def test_hostile_text_never_reaches_the_terminal_and_csv_is_spreadsheet_safe(
    archive: tuple[Path, str, Path], tmp_path: Path
) -> None:
    _, uri, _ = archive
    found = uninews("search", "story", "--store", uri, "--limit", "0")
    assert found.returncode == 0
    assert "Evil" in found.stdout and "\x1b" not in found.stdout and "\x07" not in found.stdout
    rec_id = next(ln.split()[0] for ln in found.stdout.splitlines() if "Evil" in ln)
    shown = uninews("show", rec_id, "--store", uri)
    assert "Evil" in shown.stdout and "\x1b" not in shown.stdout
    as_json = uninews("show", rec_id, "--store", uri, "--format", "json")
    assert "\\u001b" in as_json.stdout  # the data itself is kept exactly
    out = tmp_path / "x.csv"
    assert (
        uninews("export", "--store", uri, "--format", "csv", "--excel", "-o", str(out)).returncode
        == 0
    )
    data = out.read_bytes()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 25
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values() if v)


def test_search_says_when_it_shows_only_some_results(archive: tuple[Path, str, Path]) -> None:
    _, uri, _ = archive
    out = uninews("search", "laboratory", "--store", uri)
    assert len(out.stdout.splitlines()) == 21  # header + 20
    assert "(20 of 25 articles; --limit 0 for all)" in out.stderr
    everything = uninews("search", "laboratory", "--store", uri, "--limit", "0")
    assert len(everything.stdout.splitlines()) == 26 and "(25 articles)" in everything.stderr
    one = uninews(
        "search", "--author", "Jane Doe", "--store", uri, "--limit", "1", "--format", "jsonl"
    )
    assert len(one.stdout.splitlines()) == 1 and "(1 of 25 articles" in one.stderr


def test_read_commands_name_an_unknown_site(archive: tuple[Path, str, Path]) -> None:
    _, uri, _ = archive
    for cmd in (["search", "x"], ["export"]):
        _one_line_error(uninews(*cmd, "--site", "tinny", "--store", uri), "'tinny'", "tiny")


def test_stats_shows_the_last_crawls_outcome_in_local_time(
    archive: tuple[Path, str, Path],
) -> None:
    _, uri, _ = archive
    out = uninews("stats", "--store", uri)
    row = next(ln for ln in out.stdout.splitlines() if ln.startswith("tiny "))
    assert row.rstrip().endswith(" ok")
    assert "Z" not in row.split()[-3] and "T" not in row  # "2026-12-02 04:21", not UTC ISO
    doc = json.loads(uninews("stats", "--store", uri, "--format", "json").stdout)
    assert doc[0]["last_crawl_status"] == "ok"


def test_bad_crawl_arguments_are_one_line_errors(archive: tuple[Path, str, Path]) -> None:
    _, uri, sites = archive
    _one_line_error(
        uninews(
            "crawl",
            "tiny",
            "--sites-dir",
            str(sites),
            "--store",
            uri,
            "--base-url",
            "127.0.0.1:8000",
        ),
        "http://127.0.0.1:8000",
    )
    _one_line_error(
        uninews(
            "backfill",
            "tiny",
            "--sites-dir",
            str(sites),
            "--store",
            uri,
            "--since",
            "2024-05-01",
            "--until",
            "2024-01-01",
        ),
        "--since 2024-05-01 is after --until 2024-01-01",
    )
    assert (
        "3" in uninews("extract", "--help").stdout
    )  # the not-an-article exit status is documented


def test_a_default_crawl_prints_the_summary_and_real_problems_only(tmp_path: Path) -> None:
    """No Scrapy settings/stats dumps, no deprecation warnings, no tracebacks: the summary and
    one line per real problem, with its cause. -v and -q work after the subcommand too."""
    from tests.sitegen.server import LocalSite
    from tests.tinysite import build, site_file

    docroot = build(tmp_path / "www", [[1, 2, 3], [4, 5]])
    (docroot / "news" / "index_2.html").unlink()
    sites = tmp_path / "sites"
    site_file(sites)
    site_file(sites, name="down", base_url="http://unresolvable.invalid/")
    state = tmp_path / "state"
    env = {"XDG_STATE_HOME": str(state)}
    store = f"sqlite:///{tmp_path / 'a.db'}"
    with LocalSite(docroot) as server:
        args = ["crawl", "tiny", "--sites-dir", str(sites), "--store", store,
                "--base-url", server.url, "-s", "AUTOTHROTTLE_ENABLED=false"]  # fmt: skip
        default = uninews(*args, env=env)
        verbose = uninews(*args, "-v", "--full", env=env)
        quiet = uninews(*args, "-q", env=env)
    assert default.returncode == 0, default.stderr
    assert len(default.stdout.splitlines()) == 2  # the summary
    assert default.stderr.count("\n") == 1 and "Listing page gone (404)" in default.stderr
    assert "Dumping Scrapy stats" in verbose.stderr and "Overridden settings" in verbose.stderr
    assert not [ln for ln in quiet.stderr.splitlines() if " INFO: " in ln]
    # Scrapy's remote-control server (it runs Python sent to it) is off: no job files either.
    assert "Remote control" not in verbose.stderr
    assert not list(state.rglob("*.json"))

    down = uninews("crawl", "down", "--sites-dir", str(sites), "--store", store,
                   "-s", "RETRY_TIMES=0", env=env)  # fmt: skip
    assert down.returncode == 1
    lines = down.stderr.splitlines()
    assert 1 <= len(lines) <= 2, down.stderr  # robots.txt, the listing page: one line each
    assert all("DNS lookup failed" in ln and "unresolvable.invalid" in ln for ln in lines)
    assert "Traceback" not in down.stderr and "Deprecat" not in down.stderr
    assert "1 error" in down.stdout and "1 errors" not in down.stdout
