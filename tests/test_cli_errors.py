"""Bad input anywhere on the command line is one line and a non-zero exit, never a traceback:
settings, limits, store URIs that name missing files, full disks."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from storage import open_store
from tests.crawling import ROOT, cli_env, uninews
from tests.webarchive import populate

CompletedRun = subprocess.CompletedProcess[str]


def _one_line_error(out: object, *needles: str) -> str:
    stderr: str = out.stderr.strip()  # type: ignore[attr-defined]
    assert out.returncode != 0, out  # type: ignore[attr-defined]
    assert "Traceback" not in stderr and stderr.count("\n") == 0, stderr
    assert stderr.startswith("uninews: error:"), stderr
    for n in needles:
        assert n in stderr, stderr
    return stderr


@pytest.mark.parametrize(
    ("pair", "takes"),
    [
        ("DOWNLOAD_DELAY=abc", "takes a number"),
        ("CONCURRENT_REQUESTS=1.5", "takes a whole number"),
        ("ROBOTSTXT_OBEY=maybe", "takes true or false"),
        ("ITEM_PIPELINES={x", "takes a JSON object"),
        ("DOWNLOAD_TIMEOUT=nan", "takes a number"),
    ],
)
def test_a_setting_of_the_wrong_type_is_refused_before_the_crawl(
    archive: str, pair: str, takes: str
) -> None:
    out = uninews("crawl", "tsinghua", "--store", archive, "--base-url", "http://127.0.0.1:9",
                  "-s", pair)  # fmt: skip
    _one_line_error(out, pair.split("=", maxsplit=1)[0], takes)
    assert out.returncode == 2


def test_settings_of_the_right_type_pass(archive: str) -> None:
    from crawler.overrides import checked

    pairs = [("DOWNLOAD_DELAY", "0.5"), ("DEPTH_PRIORITY", "-1"), ("ROBOTSTXT_OBEY", "false"),
             ("LOG_LEVEL", "INFO"), ("UNKNOWN_TO_SCRAPY", "anything")]  # fmt: skip
    assert checked(pairs) == dict(pairs)


@pytest.mark.parametrize("command", ["search", "runs"])
def test_a_limit_out_of_range_is_refused(archive: str, command: str) -> None:
    _one_line_error(uninews(command, "--store", archive, "--limit", str(10**30)), "too large")
    _one_line_error(uninews(command, "--store", archive, "--limit", "-1"), "below 0")


def test_search_limit_zero_is_all(archive: str) -> None:
    out = uninews("search", "--store", archive, "--limit", "0", "--format", "jsonl")
    assert out.returncode == 0 and len(out.stdout.splitlines()) == 7


def test_a_store_uri_naming_a_missing_file_is_one_line() -> None:
    uri = "mongodb://127.0.0.1:9/db?tls=true&tlsCAFile=/nonexistent/ca.pem"
    _one_line_error(uninews("search", "x", "--store", uri), "bad store URI", "tlscafile")


def _export_with_a_size_limit(archive: str, fmt: str, target: Path, limit: int) -> CompletedRun:
    """`export` in a process whose files cannot grow past `limit` bytes: its writes fail as
    on a full disk (EFBIG instead of ENOSPC; SIGXFSZ ignored so the write returns the error)."""

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "uninews", "export", "--store", archive, "--format", fmt,
         "-o", str(target)],
        capture_output=True, text=True, timeout=120, env=cli_env(), cwd=ROOT,
        preexec_fn=small_files, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "json", "warc"])
def test_export_onto_a_full_disk_is_one_line_and_leaves_nothing(
    archive: str, fmt: str, tmp_path: Path
) -> None:
    target = tmp_path / f"out.{fmt}"
    out = _export_with_a_size_limit(archive, fmt, target, 2000)
    _one_line_error(out, f"cannot write {target}", "nothing written")
    assert out.returncode == 1
    assert list(tmp_path.iterdir()) == []  # the partial temporary file is removed
    assert _export_with_a_size_limit(archive, fmt, target, 10**8).returncode == 0
    assert target.stat().st_size > 2000  # the limit was below what it writes


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "json", "warc"])
def test_export_to_a_full_standard_output_is_one_line(archive: str, fmt: str) -> None:
    with open("/dev/full", "w") as full:
        out = subprocess.run(
            [sys.executable, "-m", "uninews", "export", "--store", archive, "--format", fmt],
            stdout=full, stderr=subprocess.PIPE, text=True, timeout=120, env=cli_env(), cwd=ROOT,
            check=False,
        )  # fmt: skip
    _one_line_error(out, "cannot write to standard output", "No space left")


def test_export_dash_is_standard_output(archive: str, tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "uninews", "export", "--store", archive, "-o", "-"],
        capture_output=True, text=True, timeout=120, env=cli_env(), cwd=tmp_path, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == 7 and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal", ".locks", ".locks/x"])
def test_export_never_writes_a_file_of_the_archive(tmp_path: Path, suffix: str) -> None:
    db = tmp_path / "a.db"
    store = open_store(f"sqlite:///{db}")
    populate(store)
    store.close()
    target = Path(f"{db}{suffix}")
    existed = target.exists()
    out = uninews("export", "--store", f"sqlite:///{db}", "-o", str(target), "--force")
    _one_line_error(out, "of the archive" if suffix else "the archive itself")
    if suffix not in ("-wal", "-shm"):  # those two SQLite makes itself when it opens the file
        assert target.exists() == existed


def test_a_record_that_is_not_utf8_is_skipped_and_named(tmp_path: Path) -> None:
    """A damaged page of the file leaves bytes that are not UTF-8 in a record: search and export
    skip that record and say which, instead of stopping at it."""
    import sqlite3

    db = tmp_path / "a.db"
    store = open_store(f"sqlite:///{db}")
    populate(store)
    store.close()
    with sqlite3.connect(db) as conn:
        (damaged,) = conn.execute("SELECT id FROM articles ORDER BY rowid LIMIT 1").fetchone()
        conn.execute(
            "UPDATE articles SET record = CAST(x'7b227469746c65223a2022ff227d' AS TEXT)"
            " WHERE id = ?",
            (damaged,),
        )
    conn.close()
    uri = f"sqlite:///{db}"
    for args in (("search", "--limit", "0", "--format", "jsonl"), ("export",),
                 ("export", "--format", "csv")):  # fmt: skip
        out = uninews(*args, "--store", uri)
        assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
        assert f"Record {damaged}" in out.stderr and "skipped" in out.stderr
        rows = out.stdout.splitlines()
        assert len(rows) == (7 if "csv" in args else 6)  # a header line and 6 rows
        assert damaged not in out.stdout
