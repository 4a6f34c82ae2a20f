"""Faults of the SQLite archive a user meets: a damaged file, a damaged record, a full disk, a
read-only archive, an archive that is not there. Each ends in one clear line (never a traceback),
and nothing is written where it must not be."""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage import open_store
from tests.crawling import FAST, LEGACY_ARTICLE_URL, ROOT, crawl, write_site
from tests.sitegen import LocalSite, Manifest, SiteSpec, build_site, serve

NEWS = "news.tsinghua.edu.cn"
LISTING = "publish/news/4205/index.html"
SITE = "faults"
SETPRIV = Path("/usr/bin/setpriv")
NOBODY = ["--reuid=65534", "--regid=65534", "--clear-groups"]


@dataclass
class Archive:
    root: Path
    manifest: Manifest
    server: LocalSite
    sites_dir: Path
    db: Path  # crawled once; tests that damage it work on a copy
    expected: set[str]  # the URL of every article the site has (each stored once)

    @property
    def articles(self) -> int:
        return len(self.expected)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    tmp = tmp_path_factory.mktemp("faults")
    # One column, long enough (8 listing pages) that a crawl stopped early is plainly early.
    spec = SiteSpec(hosts=(NEWS,), legacy_columns={"4205": 60, "4204": 9}, thunews_articles=0)
    m = build_site(tmp / "site", spec)
    sites_dir = tmp / "sites"
    write_site(sites_dir, name=SITE, base_url=f"http://{NEWS}/", listings=[LISTING],
               article_url=LEGACY_ARTICLE_URL)  # fmt: skip
    expected = {a.url for a in m.articles if a.column == "legacy:4205"}
    expected -= set(m.not_found) | set(m.stubs)
    db = tmp / "archive.sqlite3"
    with serve(tmp / "site" / NEWS) as server:
        done = crawl(SITE, sites_dir, f"sqlite:///{db}", server.url)
        assert done.returncode == 0, done.stderr[-3000:]
        s = open_store(f"sqlite:///{db}")
        assert sorted(r["url"] for r in s.iter_records()) == sorted(expected)
        s.close()
        yield Archive(tmp, m, server, sites_dir, db, expected)


def _run(
    *args: str,
    cwd: Path = ROOT,
    prefix: Sequence[str] = (),
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`uninews ARGS` in a fresh process (as `tests.crawling.uninews`), in `cwd`, optionally
    under a command prefix (setpriv: then with the other user's home, not ours) or with limits
    set before it starts."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("UNINEWS_STORE", None)
    if prefix:
        for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "UNINEWS_LOG_DIR"):
            env.pop(var, None)
        env["HOME"] = "/nonexistent"  # nobody's home
    return subprocess.run(
        [*prefix, sys.executable, "-m", "uninews", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=cwd,
        preexec_fn=preexec_fn,
        check=False,
    )


def _one_line_error(out: subprocess.CompletedProcess[str], *needles: str) -> str:
    """As tests/test_cli.py: non-zero exit, no traceback, exactly one `uninews: error:` line."""
    stderr = out.stderr.strip()
    assert out.returncode != 0, out
    assert "Traceback" not in stderr
    assert stderr.count("\n") == 0, stderr
    assert stderr.startswith("uninews: error:"), stderr
    for n in needles:
        assert n in stderr, stderr
    return stderr


def _crawl_args(a: Archive, store: str, *extra: str) -> list[str]:
    return ["crawl", SITE, "--sites-dir", str(a.sites_dir), "--store", store,
            "--base-url", a.server.url, *FAST, *extra]  # fmt: skip


def _ids_and_urls(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as c:
        return dict(c.execute("SELECT id, url FROM articles").fetchall())


def _jsonl(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


# --- 1. a damaged archive file ---------------------------------------------------------------


def _damage(db: Path, where: str) -> None:
    """Overwrite whole pages with garbage: the `articles` b-tree's root and the pages it points
    to, or a run of pages in the middle of the file."""
    with sqlite3.connect(db) as c:
        page_size = c.execute("PRAGMA page_size").fetchone()[0]
        pages = c.execute("PRAGMA page_count").fetchone()[0]
        root = c.execute("SELECT rootpage FROM sqlite_master WHERE name = 'articles'").fetchone()[0]
    targets = [root, root + 1] if where == "articles" else list(range(pages // 2, pages // 2 + 4))
    garbage = random.Random(f"{where}-2015")
    with db.open("r+b") as f:
        for page in targets:
            f.seek((page - 1) * page_size)
            f.write(garbage.randbytes(page_size))
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:  # the damage is real: SQLite sees it
        assert c.execute("PRAGMA quick_check").fetchone()[0] != "ok"
    except sqlite3.DatabaseError as exc:
        assert "malformed" in str(exc)
    finally:
        c.close()


@pytest.mark.parametrize("where", ["articles", "middle"])
def test_crawl_refuses_a_damaged_archive_and_leaves_it_alone(
    archive: Archive, tmp_path: Path, where: str
) -> None:
    db = tmp_path / "damaged.sqlite3"
    shutil.copyfile(archive.db, db)
    _damage(db, where)
    before = db.read_bytes()
    store = f"sqlite:///{db}"

    archive.server.reset()
    out = _run(*_crawl_args(archive, store))
    _one_line_error(out, "damaged", str(db), ".recover")
    assert out.returncode == 1
    assert archive.server.requests == []  # refused before a single page was fetched
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.sqlite3"]

    for args in (["search"], ["search", "清华"], ["stats"], ["export"], ["status"]):
        out = _run(*args, "--store", store)
        assert "Traceback" not in out.stderr, (args, out.stderr)
        if out.returncode != 0:
            _one_line_error(out, "damaged", str(db))
            assert out.returncode == 1
    assert db.read_bytes() == before


# --- 2. one damaged record in a sound file ---------------------------------------------------


def _damage_record(a: Archive, db: Path) -> tuple[str, str]:
    """Break the stored JSON of the newest article (shown first by search): its id and URL."""
    shutil.copyfile(a.db, db)
    with sqlite3.connect(db) as c:
        aid, url = c.execute(
            "SELECT id, url FROM articles ORDER BY pub_utc DESC, first_seen DESC LIMIT 1"
        ).fetchone()
        c.execute("UPDATE articles SET record = '{not json' WHERE id = ?", (aid,))
    return aid, url


def test_a_damaged_record_is_reported_and_skipped(archive: Archive, tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite3"
    bad_id, bad_url = _damage_record(archive, db)
    store = f"sqlite:///{db}"
    others = {i: u for i, u in _ids_and_urls(db).items() if i != bad_id}

    out = _run("export", "--format", "jsonl", "--store", store)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    exported = _jsonl(out.stdout)
    assert sorted(str(r["id"]) for r in exported) == sorted(others)
    assert bad_id in out.stderr  # reported, by id

    out = _run("search", "--limit", "0", "--format", "jsonl", "--store", store)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    assert sorted(str(r["id"]) for r in _jsonl(out.stdout)) == sorted(others)

    # The first page of results is still full: the damaged record does not cut it short.
    out = _run("search", "--format", "jsonl", "--limit", "5", "--store", store)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    found = [str(r["id"]) for r in _jsonl(out.stdout)]
    assert len(found) == 5 and bad_id not in found

    for ref in (bad_id, bad_url):
        line = _one_line_error(_run("show", ref, "--store", store), bad_id)
        assert "no article" not in line  # it is there, but cannot be read: say so
    _one_line_error(_run("show", bad_id, "--versions", "--store", store), bad_id)

    good = next(iter(others))
    out = _run("show", good, "--format", "json", "--store", store)
    assert out.returncode == 0 and json.loads(out.stdout)["id"] == good


def test_refetching_a_damaged_record_that_changed_stores_the_new_version(
    archive: Archive, tmp_path: Path
) -> None:
    """The site changed an article whose stored copy is damaged: the refetch stores the new
    version instead of stopping the crawl."""
    db = tmp_path / "a.sqlite3"
    bad_id, bad_url = _damage_record(archive, db)
    docroot = tmp_path / "site"
    shutil.copytree(archive.root / "site" / NEWS, docroot)
    page = docroot / bad_url.split(NEWS + "/", 1)[1]
    title = archive.manifest.article(bad_url).record.title
    body = page.read_bytes()
    assert title.encode() in body
    page.write_bytes(body.replace(title.encode(), f"{title}（更新）".encode()))
    store = f"sqlite:///{db}"
    with serve(docroot) as server:
        out = _run("backfill", SITE, "--since", "2000-01-01", "--refetch", "--sites-dir",
                   str(archive.sites_dir), "--store", store, "--base-url", server.url, *FAST)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    assert "Traceback" not in out.stderr
    s = open_store(store, readonly=True)
    try:
        rec = s.get(bad_id)
        assert rec is not None and rec["title"] == f"{title}（更新）"
        assert s.count() == archive.articles
    finally:
        s.close()
    out = _run("show", bad_id, "--versions", "--store", store)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr


# --- 3. the disk fills up in the middle of a crawl -----------------------------------------


def test_disk_full_mid_crawl_stops_cleanly_and_a_rerun_finishes(
    archive: Archive, tmp_path: Path
) -> None:
    db = tmp_path / "a.sqlite3"
    store = f"sqlite:///{db}"
    open_store(store).close()  # a fresh, empty archive
    wal = Path(f"{db}-wal")
    limit = db.stat().st_size + (wal.stat().st_size if wal.exists() else 0) + 64 * 1024

    def small_disk() -> None:  # writes past `limit` fail with EFBIG (Python ignores SIGXFSZ)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    archive.server.reset()
    out = _run(*_crawl_args(archive, store), preexec_fn=small_disk)
    fetched = [r for r in archive.server.requests if r.endswith("_.html")]
    assert out.returncode == 1, out.stdout + out.stderr[-3000:]
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    errors = [ln for ln in out.stderr.splitlines() if "ERROR" in ln or "error" in ln]
    assert 1 <= len(errors) <= 5, out.stderr[-3000:]
    said = out.stdout + out.stderr  # the user learns that the store failed, and why
    assert any(w in said for w in ("disk is full", "disk I/O error", "cannot write")), said
    assert len(fetched) <= archive.articles // 2, len(fetched)  # it stopped early

    s = open_store(store)
    try:
        runs = s.runs(SITE)
        recorded = bool(runs) and runs[0].status == "failed"
        assert recorded or "could not be recorded" in said, (runs, said)
    finally:
        s.close()

    archive.server.reset()
    again = _run(*_crawl_args(archive, store))
    assert again.returncode == 0, again.stdout + again.stderr[-3000:]
    s = open_store(store, readonly=True)
    try:
        urls = [str(r["url"]) for r in s.iter_records()]
        assert sorted(urls) == sorted(archive.expected)  # every article, each once
        assert s.runs(SITE)[0].status == "ok"
    finally:
        s.close()


# --- 4. a read-only archive ---------------------------------------------------------------


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every entry of the folder (and the folder itself): size and mtime."""
    out = {".": (0, folder.stat().st_mtime_ns)}
    for p in folder.iterdir():
        st = p.stat()
        out[p.name] = (st.st_size, st.st_mtime_ns)
    return out


@dataclass
class ReadOnly:
    db: Path  # a copy of the archive; it and its folder are read-only
    sites_dir: Path  # a copy of the site files the user can read
    prefix: list[str]  # run the CLI under this (as root: setpriv to nobody)


@pytest.fixture
def readonly_archive(archive: Archive, tmp_path: Path) -> Iterator[ReadOnly]:
    """A copy of the archive in a folder nobody may write. As root (chmod binds nobody else),
    the CLI runs as nobody on a copy in a fresh folder under /tmp it can reach."""
    if os.geteuid() == 0:
        if not SETPRIV.exists():
            pytest.skip("running as root and /usr/bin/setpriv is missing: cannot drop privileges")
        folder = Path(tempfile.mkdtemp(dir="/tmp"))
        prefix = [str(SETPRIV), *NOBODY]
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        prefix = []
    sites_dir = folder / "sites"
    try:
        folder.chmod(0o755)
        shutil.copytree(archive.sites_dir, sites_dir)
        db = folder / "archive.sqlite3"
        shutil.copyfile(archive.db, db)
        for f in [db, *sites_dir.iterdir()]:
            f.chmod(0o444)
        sites_dir.chmod(0o555)
        folder.chmod(0o555)
        yield ReadOnly(db, sites_dir, prefix)
    finally:
        folder.chmod(0o755)
        if sites_dir.exists():
            sites_dir.chmod(0o755)
        if prefix:
            shutil.rmtree(folder)


def test_read_commands_work_on_a_read_only_archive(
    archive: Archive, readonly_archive: ReadOnly
) -> None:
    ro = readonly_archive
    store = f"sqlite:///{ro.db}"

    def as_user(*args: str) -> subprocess.CompletedProcess[str]:
        return _run(*args, "--store", store, prefix=ro.prefix, cwd=ro.db.parent)

    before = _snapshot(ro.db.parent)
    ids = _ids_and_urls(archive.db)

    out = as_user("search", "--limit", "0", "--format", "jsonl")
    assert out.returncode == 0, out.stderr
    assert sorted(str(r["id"]) for r in _jsonl(out.stdout)) == sorted(ids)

    some_id, some_url = next(iter(ids.items()))
    out = as_user("show", some_id, "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["url"] == some_url

    out = as_user("stats", "--format", "json")
    assert out.returncode == 0, out.stderr
    [row] = json.loads(out.stdout)
    assert (row["site"], row["articles"]) == (SITE, archive.articles)

    out = as_user("export")
    assert out.returncode == 0, out.stderr
    assert sorted(str(r["url"]) for r in _jsonl(out.stdout)) == sorted(archive.expected)

    out = as_user("status", "--format", "json", "--sites-dir", str(ro.sites_dir))
    assert out.returncode == 0, out.stderr
    assert SITE in out.stdout

    assert _snapshot(ro.db.parent) == before  # no -wal, no -shm, nothing touched

    archive.server.reset()
    out = _run("crawl", SITE, "--sites-dir", str(ro.sites_dir), "--store", store, "--base-url",
               archive.server.url, *FAST, prefix=ro.prefix, cwd=ro.db.parent)  # fmt: skip
    _one_line_error(out, str(ro.db), "read-only")
    assert out.returncode == 1
    assert archive.server.requests == []
    assert _snapshot(ro.db.parent) == before


# --- 5. no archive there --------------------------------------------------------------------

READS = [["search"], ["show", "X"], ["stats"], ["export"], ["status"]]


@pytest.mark.parametrize("args", READS, ids=lambda a: a[0])
def test_read_commands_on_a_missing_archive_create_nothing(tmp_path: Path, args: list[str]) -> None:
    missing = tmp_path / "nope" / "a.db"
    out = _run(*args, "--store", f"sqlite:///{missing}", cwd=tmp_path)
    _one_line_error(out, f"no archive at {missing}")
    assert out.returncode == 1
    assert list(tmp_path.iterdir()) == []

    out = _run(*args, "--store", "sqlite:///tmp/x.db", cwd=tmp_path)  # meant /tmp/x.db?
    _one_line_error(out, f"no archive at {tmp_path / 'tmp' / 'x.db'}", "relative",
                    "sqlite:////tmp/x.db")  # fmt: skip
    assert out.returncode == 1
    assert list(tmp_path.iterdir()) == []


def test_crawl_to_a_new_relative_path_says_where_it_creates_the_archive(
    archive: Archive, tmp_path: Path
) -> None:
    out = _run(*_crawl_args(archive, "sqlite:///tmp/x.db", "--max-pages", "1"), cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    created = tmp_path / "tmp" / "x.db"
    notes = [ln for ln in out.stderr.splitlines() if ln.startswith("uninews: note:")]
    assert len(notes) == 1, out.stderr
    assert "creating a new archive" in notes[0] and str(created) in notes[0]
    assert created.is_file()
    s = open_store(f"sqlite:///{created}", readonly=True)
    try:
        assert s.count() > 0
    finally:
        s.close()
    out = _run(*_crawl_args(archive, "sqlite:///tmp/x.db", "--max-pages", "1"), cwd=tmp_path)
    assert out.returncode == 0 and "uninews: note:" not in out.stderr  # it exists now
