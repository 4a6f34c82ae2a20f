"""WARC: the archive exported for web archives (warcio reads it, digests verify, a replay indexer
indexes it), imported back record for record, and WARC files of other tools imported."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import defaultdict
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.capture_http import capture_http
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from storage import StorageError, open_store
from tests.crawling import ROOT, cli_env, crawl, uninews
from tests.sitegen.server import LocalSite, StatusRule
from tests.tinysite import ORIGIN, article_html, build, site_file
from uninews.warc_export import record_of_metadata
from uninews.warc_import import LABELS, _file_key

_MANY = {one: many for _, one, many in LABELS}  # "1 error" is counted as "errors"

BIN = Path(sys.executable).parent


def _records(path: Path) -> list[Any]:
    """(type, target URI, WARC headers, HTTP headers, payload) of every record."""
    out = []
    with path.open("rb") as fh:
        for r in ArchiveIterator(fh):
            payload = r.content_stream().read()
            out.append((r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.rec_headers,
                        r.http_headers, payload))  # fmt: skip
    return out


def _import(warc: Path, store: str, sites: Path, *extra: str, site: str = "tiny") -> Any:
    return uninews("import-warc", str(warc), "--site", site, "--sites-dir", str(sites),
                   "--store", store, *extra, env={"UNINEWS_EXTRACT_WORKERS": "0"})  # fmt: skip


def _counts(line: str) -> dict[str, int]:
    """'…: 31 records: 6 new, 1 error' → {'records': 31, 'new': 6, 'errors': 1}."""
    out = {"records": int(re.search(r"(\d+) records", line).group(1))}  # type: ignore[union-attr]
    for n, label in re.findall(r"(\d+) ([a-zA-Z][^,;]*)", line.split(" records", 1)[1]):
        out[_MANY.get(label.strip(), label.strip())] = int(n)
    return out


@pytest.fixture
def crawled(tmp_path: Path) -> tuple[Path, str, Path]:
    """Six articles crawled; one edited and all fetched again (five identical payloads, one
    new version). Returns (sites dir, store URI, WARC exported from it)."""
    docroot = build(tmp_path / "www", [[1, 2, 3], [4, 5, 6]])
    sites = tmp_path / "sites"
    site_file(sites)
    store = f"sqlite:///{tmp_path / 'a.db'}"
    with LocalSite(docroot) as server:
        assert crawl("tiny", sites, store, server.url).returncode == 0
        page = docroot / "news" / "2.html"
        page.write_text(
            page.read_text("utf-8").replace("opened a new", "opened a brand-new"), "utf-8"
        )
        again = uninews("backfill", "tiny", "--since", "2024-01-01", "--refetch",
                        "--sites-dir", str(sites), "--store", store, "--base-url", server.url,
                        "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "UNINEWS_EXTRACT_WORKERS=0")  # fmt: skip
        assert again.returncode == 0, again.stderr[-2000:]
    warc = tmp_path / "out.warc.gz"
    done = uninews("export", "--store", store, "--format", "warc", "-o", str(warc))
    assert done.returncode == 0, done.stderr
    assert "6 articles: 7 request/response pairs, 5 revisits, 6 metadata records" in done.stderr
    return sites, store, warc


def test_export_reads_back_with_verified_digests_and_replay_indexes_it(
    crawled: tuple[Path, str, Path],
) -> None:
    _, _, warc = crawled
    checked = subprocess.run([BIN / "warcio", "check", "-v", str(warc)], capture_output=True,
                             text=True, check=False)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "digest pass" in checked.stdout and "digest failed" not in checked.stdout

    records = _records(warc)
    assert records[0][0] == "warcinfo" and b"uninews/" in records[0][4]
    by_url: dict[str, list[str]] = defaultdict(list)
    for kind, uri, warc_headers, http, payload in records[1:]:
        by_url[uri].append(kind)
        if kind == "response":
            # the payload digest is what a replay tool verifies: ours, recomputed here
            sha1 = base64.b32encode(hashlib.sha1(payload).digest()).decode()
            assert warc_headers.get_header("WARC-Payload-Digest") == f"sha1:{sha1}"
            assert http.get_statuscode() == "200" and b"Story number" in payload
            assert http.get_header("Content-Length") == str(len(payload))
        if kind == "request":
            assert "uninews/" in (http.get_header("User-Agent") or "")  # the headers sent
        if kind == "metadata":
            assert warc_headers.get_header("Content-Type") == "application/warc-fields"
            record = record_of_metadata(payload)
            assert record is not None
            assert record["url"] == uri and record["title"].startswith("Story number")
            assert warc_headers.get_header("WARC-Refers-To")
        if kind == "revisit":
            assert warc_headers.get_header("WARC-Refers-To-Target-URI") == uri
            assert "identical-payload-digest" in warc_headers.get_header("WARC-Profile")
    assert len(by_url) == 6
    for uri, kinds in by_url.items():
        assert kinds.count("request") == kinds.count("response") + kinds.count("revisit"), uri
        assert kinds.count("metadata") == 1 and kinds.count("response") >= 1, uri
    edited = by_url[f"{ORIGIN}/news/2.html"]
    assert edited.count("response") == 2 and edited.count("revisit") == 0

    index = subprocess.run([BIN / "cdxj-indexer", str(warc)], capture_output=True, text=True,
                           check=False)  # fmt: skip
    assert index.returncode == 0, index.stderr
    lines = [json.loads(ln.split(" ", 2)[2]) for ln in index.stdout.splitlines()]
    # Responses and revisits: metadata and requests are not what a replay shows.
    assert len(lines) == 7 + 5
    assert {ln["url"] for ln in lines if ln.get("status") == "200"} == set(by_url)


def test_round_trip_into_an_empty_store_gives_the_same_records(
    crawled: tuple[Path, str, Path], tmp_path: Path
) -> None:
    sites, store, warc = crawled
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    done = _import(warc, fresh, sites)
    assert done.returncode == 0, done.stderr[-2000:]
    counts = _counts(done.stdout)
    assert (counts["new"], counts["updated"], counts["errors"]) == (6, 1, 0), done.stdout
    assert counts["revisit records"] == 5

    fields = ("id", "url", "canonical_url", "title", "published_at", "authors", "text", "version")
    before = {r["id"]: {k: r.get(k) for k in fields} for r in open_store(store).iter_records()}
    after = {r["id"]: {k: r.get(k) for k in fields} for r in open_store(fresh).iter_records()}
    assert after == before
    assert len(after) == 6

    # Run again: nothing to do; read it again on purpose: all unchanged, nothing twice.
    again = _import(warc, fresh, sites)
    # warcinfo, 12 requests, 7 responses, 5 revisits, 6 metadata
    assert counts["records"] == 31
    assert "imported already (31 records)" in again.stdout, again.stdout
    restarted = _counts(_import(warc, fresh, sites, "--restart").stdout)
    assert (restarted["new"], restarted["unchanged"], restarted["updated"]) == (0, 7, 0)
    assert open_store(fresh).count() == 6


def test_a_warc_of_another_tool_gives_its_articles_and_skips_the_rest(tmp_path: Path) -> None:
    docroot = build(tmp_path / "www", [[1, 2, 3]])
    (docroot / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    warc = tmp_path / "captured.warc.gz"
    with LocalSite(docroot) as server:
        server.set_status("/old.html", StatusRule(301, location="/news/1.html"))
        local = server.url
        with capture_http(str(warc)):  # warcio's own recorder, as a capture tool would
            for path in ("/robots.txt", "/news/index.html", "/news/1.html", "/news/2.html",
                         "/news/3.html", "/logo.png", "/old.html", "/gone.html"):  # fmt: skip
                try:
                    urllib.request.urlopen(local + path).read()
                except urllib.error.HTTPError as exc:
                    assert exc.code == 404
            urllib.request.urlopen(local.replace("127.0.0.1", "localhost") + "/news/3.html").read()
    sites = tmp_path / "sites"
    site_file(sites, base_url=local + "/")
    store = f"sqlite:///{tmp_path / 'b.db'}"

    dry = _import(warc, store, sites, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert _counts(dry.stdout)["would be new"] == 4  # 1.html twice (after the redirect)
    assert not (tmp_path / "b.db").exists()

    done = _import(warc, store, sites)
    assert done.returncode == 0, done.stderr
    c = _counts(done.stdout)
    assert (c["new"], c["unchanged"], c["errors"]) == (3, 1, 0), done.stdout
    assert c["not articles"] == 1  # the listing page
    assert (c["redirects"], c["not HTML"], c["other statuses"]) == (1, 1, 1), done.stdout
    assert c["files"] == 1  # the logo, kept as capture keeps files; robots.txt is no file
    assert c["pages of other sites"] == 1
    s = open_store(store)
    titles = sorted(r["title"] for r in s.iter_records())
    assert titles == [f"Story number {n} about the new laboratory" for n in (1, 2, 3)]
    story = s.get(local + "/news/1.html")
    assert story is not None and story["published_at"].startswith("2024-03-02")
    [(_, raw)] = [p for p in s.raw_pages() if p[0]["id"] == story["id"]]
    assert b"Story number 1" in raw.body and raw.fetched_at.endswith("Z")


def _big_warc(path: Path, n: int) -> None:
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for i in range(1, n + 1):
            body = article_html(i, 1 + i % 28).encode()
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                f"{ORIGIN}/news/{i}.html", "response", payload=BytesIO(body), http_headers=http
            ))  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
def test_an_interrupted_import_resumes_and_stores_each_article_once(
    tmp_path: Path, how: signal.Signals
) -> None:
    n = 2000
    warc = tmp_path / "big.warc.gz"
    _big_warc(warc, n)
    sites = tmp_path / "sites"
    site_file(sites)
    db = tmp_path / "c.db"
    store = f"sqlite:///{db}"
    args = [sys.executable, "-m", "uninews", "import-warc", str(warc), "--site", "tiny",
            "--sites-dir", str(sites), "--store", store]  # fmt: skip
    env = cli_env(UNINEWS_EXTRACT_WORKERS="0")
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    key = _file_key("tiny", warc)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until the first batch is stored and the place saved
        try:
            state = open_store(store, readonly=True).get_state(key) if db.exists() else None
        except StorageError:  # the file is there, its tables not yet
            state = None
        if state and state["records"] > 0:
            break
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(how)
    _, err = proc.communicate(timeout=60)
    if how == signal.SIGINT:
        assert proc.returncode == 130 and "run the same command again" in err, err
    stored = open_store(store, readonly=True).count()
    assert 0 < stored < n

    again = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr[-2000:]
    c = _counts(again.stdout)
    assert "resumed at record" in again.stdout
    # The counts run on across the interruption: each article stored once, none twice.
    assert (c["records"], c["new"], c["errors"]) == (n, n, 0), again.stdout
    assert c["unchanged"] <= 100  # at most one batch, redone after a kill
    assert open_store(store, readonly=True).count() == n
    if how == signal.SIGINT:
        assert c["unchanged"] == 0  # the graceful stop stored what it had read


def test_bad_input_is_one_line_and_loses_nothing(
    crawled: tuple[Path, str, Path], tmp_path: Path
) -> None:
    sites, store, warc = crawled
    exists = uninews("export", "--store", store, "--format", "warc", "-o", str(warc))
    assert exists.returncode == 2 and "exists" in exists.stderr
    missing = _import(tmp_path / "nope.warc.gz", store, sites)
    assert (
        missing.returncode == 2
        and missing.stderr.count("\n") == 1
        and "no such file" in missing.stderr
    )
    junk = tmp_path / "junk.warc"
    junk.write_bytes(b"this is not a web archive\n" * 10)
    bad = _import(junk, store, sites)
    assert bad.returncode == 1 and "not a WARC or ARC file" in bad.stdout, bad.stdout
    assert "Traceback" not in bad.stderr
    # A damaged copy (a bad disk block): what comes before the damage is imported, and said.
    data = warc.read_bytes()
    cut = len(data) // 2
    damaged = tmp_path / "damaged.warc.gz"
    damaged.write_bytes(data[:cut] + bytes(300) + data[cut + 300 :])
    part = _import(damaged, f"sqlite:///{tmp_path / 'd.db'}", sites)
    assert part.returncode == 1 and "damaged after record" in part.stdout, part.stdout
    assert 0 < _counts(part.stdout)["new"] < 6 and "Traceback" not in part.stderr
    assert open_store(store).count() == 6  # nothing lost


def test_export_by_publish_date_for_every_format(crawled: tuple[Path, str, Path]) -> None:
    _, store, _ = crawled
    # tinysite dates story n on March 1 + n % 28: stories 1–3 fall on March 2–4
    rows = uninews("export", "--store", store, "--since", "2024-03-02", "--until", "2024-03-04")
    got = sorted(json.loads(ln)["url"] for ln in rows.stdout.splitlines())
    assert got == [f"{ORIGIN}/news/{n}.html" for n in (1, 2, 3)]
    out = Path(os.path.dirname(store.removeprefix("sqlite:///"))) / "part.warc.gz"
    part = uninews("export", "--store", store, "--format", "warc", "--since", "2024-03-05",
                   "-o", str(out))  # fmt: skip
    assert part.returncode == 0 and "3 articles" in part.stderr, part.stderr
    assert {u for k, u, *_ in _records(out) if k == "metadata"} == {
        f"{ORIGIN}/news/{n}.html" for n in (4, 5, 6)
    }


def test_an_archive_from_before_request_headers_exports_and_upgrades(tmp_path: Path) -> None:
    """Schema 3 kept no request headers and no log of refetches: it still exports (read-only),
    and the next crawl's write upgrades it in place."""
    import sqlite3

    from storage import RawPage

    db = tmp_path / "old.db"
    url = f"{ORIGIN}/news/1.html"
    s = open_store(f"sqlite:///{db}")
    record = {"url": url, "site": "tiny", "title": "Old", "text": "An old story. " * 20,
              "published_at": "2024-03-02T09:00:00+00:00", "fetched_at": "2025-01-01T00:00:00Z"}  # fmt: skip
    s.upsert(
        record,
        RawPage(url, url, 200, {"Content-Type": "text/html"}, b"<p>old</p>", record["fetched_at"]),
    )
    s.close()
    con = sqlite3.connect(db)
    con.execute("ALTER TABLE raw_pages DROP COLUMN request")
    con.execute("DROP TABLE captures")
    con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    db.chmod(0o444)  # a query never writes: it must read the old layout as it is

    out = tmp_path / "old.warc.gz"
    done = uninews("export", "--store", f"sqlite:///{db}", "--format", "warc", "-o", str(out))
    assert done.returncode == 0, done.stderr
    [request] = [http for kind, _, _, http, _ in _records(out) if kind == "request"]
    assert request.get_header("Host") == "news.tiny.example.edu" and not request.get_header(
        "User-Agent"
    )

    db.chmod(0o644)
    s = open_store(f"sqlite:///{db}")
    again = RawPage(url, url, 200, {}, b"<p>old</p>", "2025-02-01T00:00:00Z", {"User-Agent": "u"})
    s.upsert({**record, "fetched_at": again.fetched_at}, again)
    [(_, caps)] = list(s.captures())
    assert [c.stored for c in caps] == [True, False] and caps[1].raw.request_headers == {
        "User-Agent": "u"
    }


def _warc_of(path: Path, pages: dict[int, str], *, gz: bool, cut: int = 0) -> None:
    """A WARC of these article pages, in order; its last `cut` bytes removed (a cut copy)."""
    buf = BytesIO()
    writer = WARCWriter(buf, gzip=gz)
    for n, html in pages.items():
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            f"{ORIGIN}/news/{n}.html", "response", payload=BytesIO(html.encode()), http_headers=http
        ))  # fmt: skip
    data = buf.getvalue()
    path.write_bytes(data[: len(data) - cut])


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_a_cut_record_is_reported_and_skipped_never_stored(tmp_path: Path, gz: bool) -> None:
    sites = tmp_path / "sites"
    site_file(sites)
    store = f"sqlite:///{tmp_path / 'a.db'}"
    first = tmp_path / "first.warc"
    _warc_of(first, {n: article_html(n, n) for n in (1, 2, 3)}, gz=False)
    assert _counts(_import(first, store, sites).stdout)["new"] == 3
    # A later capture, every page edited, copied incompletely: the last record is cut.
    edited = {
        n: article_html(n, n).replace("opened a new", "opened a brand-new") for n in (1, 2, 3)
    }
    cut = tmp_path / ("later.warc.gz" if gz else "later.warc")
    _warc_of(cut, edited, gz=gz, cut=60 if gz else 700)
    for attempt in (1, 2):  # the file is never marked done, and nothing is stored twice
        done = _import(cut, store, sites)
        assert done.returncode == 1, (attempt, done.stdout, done.stderr)
        assert "cut short at record 3" in done.stdout + done.stderr
        c = _counts(done.stdout)
        assert c["truncated records skipped"] == 1, done.stdout
        assert c["updated"] == 2  # the file's totals, so far (the second run reads only record 3)
        assert "Traceback" not in done.stderr
    s = open_store(store)
    try:
        whole = s.get(f"{ORIGIN}/news/3.html")
        assert whole is not None and whole["version"] == 1 and "brand-new" not in whole["text"]
        assert whole["text"].endswith("(Story 3.)") and whole["published_at"].startswith(
            "2024-03-03"
        )
        assert s.get(f"{ORIGIN}/news/1.html")["version"] == 2  # type: ignore[index]
        assert s.count() == 3
    finally:
        s.close()


def test_records_warcio_cannot_read_are_one_counted_error_each(tmp_path: Path) -> None:
    """A response with no WARC-Target-URI, and one whose HTTP status line is `abc`: each is
    skipped as an error, and the good records around them are imported."""
    warc = tmp_path / "odd.warc.gz"
    with warc.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for n, status in ((1, "200 OK"), (2, "abc"), (3, "200 OK"), (4, "200 OK")):
            http = StatusAndHeaders(status, [("Content-Type", "text/html")], protocol="HTTP/1.1")
            record = writer.create_warc_record(f"{ORIGIN}/news/{n}.html", "response",
                payload=BytesIO(article_html(n).encode()), http_headers=http)  # fmt: skip
            if n == 3:
                record.rec_headers.remove_header("WARC-Target-URI")
            writer.write_record(record)
    sites = tmp_path / "sites"
    site_file(sites)
    store = f"sqlite:///{tmp_path / 'a.db'}"
    out = _import(warc, store, sites)
    assert "Traceback" not in out.stderr, out.stderr
    assert out.returncode == 0, out.stderr
    assert _counts(out.stdout) == {"records": 4, "new": 2, "updated": 0, "unchanged": 0,
                                   "duplicates": 0, "not articles": 0, "errors": 2}  # fmt: skip
    assert "Bad HTTP status line 'abc'" in out.stderr and "without WARC-Target-URI" in out.stderr
    s = open_store(store)
    assert sorted(r["url"] for r in s.iter_records()) == [f"{ORIGIN}/news/{n}.html" for n in (1, 4)]
    s.close()
