"""`uninews status`: daemon alive/stopped/dead, and per site the schedule, next and last run, articles."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scheduler.status import print_status
from storage import ArchiveStore, RunRecord, open_store
from storage.base import Lease
from tests.sitegen import NEWS_HOST, SiteSpec, build_site, serve
from tests.test_daemon import FAST, DaemonProc, expected_articles, wait_for, write_site

ROOT = Path(__file__).resolve().parent.parent
SITE_YAML = """\
name: demo
title: Demo University News
base_url: https://news.demo.example/
timezone: Asia/Shanghai
schedule: "17 */3 * * *"
listings: [news/]
article_url: '^/news/\\d+\\.htm$'
"""


@pytest.fixture
def sites_dir(tmp_path: Path) -> Path:
    d = tmp_path / "sites"
    d.mkdir()
    (d / "demo.yaml").write_text(SITE_YAML, encoding="utf-8")
    return d


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'archive.sqlite3'}"


@pytest.fixture
def store(uri: str) -> Iterator[ArchiveStore]:
    s = open_store(uri)
    yield s
    s.close()


def beat(store: ArchiveStore, **extra: Any) -> None:
    info = {
        "state": "running",
        "pid": 4242,
        "host": "cron-box",
        "started_at": "2026-01-01T00:00:00.000000Z",
        "version": "0.1.0",
        "interval": 10.0,
        "sites": ["demo"],
        "schedules": {"demo": "17 */3 * * * Asia/Shanghai"},
        "jobs": {"demo": "2099-01-01T00:17:00Z"},
        "running": [],
    }
    store.heartbeat("daemon", info | extra)


def hold_daemon_lock(store: ArchiveStore) -> Lease:
    """What a live daemon holds for as long as it runs (released by the OS when it dies)."""
    lease = store.lock("daemon", {"pid": 4242, "host": "cron-box", "since": "2026-01-01"})
    assert lease is not None
    return lease


def record_run(store: ArchiveStore, status: str, error: str | None = None) -> str:
    run_id = store.start_run(RunRecord(site="demo", started_at="2026-11-27T09:17:03.000000Z"))
    store.finish_run(run_id, status, {"inserted": 12, "new_version": 1, "errors": 2}, error)
    return run_id


def status(store: ArchiveStore, sites_dir: Path, fmt: str = "table") -> str:
    out = io.StringIO()
    assert print_status(store, sites_dir, fmt, out) == 0
    return out.getvalue()


def test_no_daemon_ever(store: ArchiveStore, sites_dir: Path) -> None:
    text = status(store, sites_dir)
    assert text.startswith("daemon: not running (no daemon has used this store)")
    row = next(line for line in text.splitlines() if line.startswith("demo "))
    assert "17 */3 * * * Asia/Shanghai" in row
    assert "never" in row
    doc = json.loads(status(store, sites_dir, "json"))
    assert (doc["daemon"]["state"], doc["daemon"]["alive"]) == ("never", False)
    demo = next(s for s in doc["sites"] if s["site"] == "demo")
    # Without a daemon the next run is what the schedule says (minute 17 of every third hour).
    assert demo["next_run_source"] == "schedule"
    next_run = datetime.fromisoformat(demo["next_run"].replace("Z", "+00:00"))
    assert next_run > datetime.now(UTC)
    assert (next_run.minute, (next_run.hour + 8) % 3) == (17, 0)
    assert demo["last_run"] is None
    assert demo["articles"] == 0


def test_alive_daemon_and_last_run(store: ArchiveStore, sites_dir: Path) -> None:
    record_run(store, "failed", "exit code 2: uninews: error: demo.yaml: not valid YAML")
    beat(store, running=["demo"])
    lease = hold_daemon_lock(store)
    text = status(store, sites_dir)
    first = text.splitlines()[0]
    assert first.startswith("daemon: alive (pid 4242 on cron-box")
    assert first.endswith("running: demo")
    row = next(line for line in text.splitlines() if line.startswith("demo "))
    assert "running now" in row
    assert "failed" in row and "12 new, 1 updated, 2 errors" in row
    assert "\ndemo: failed: exit code 2: uninews: error: demo.yaml: not valid YAML\n" in text

    doc = json.loads(status(store, sites_dir, "json"))
    assert doc["daemon"]["alive"] is True
    assert doc["daemon"]["running"] == ["demo"]
    demo = next(s for s in doc["sites"] if s["site"] == "demo")
    assert (demo["next_run"], demo["next_run_source"]) == ("2099-01-01T00:17:00Z", "daemon")
    assert demo["last_run"]["status"] == "failed"
    assert demo["last_run"]["counts"]["inserted"] == 12
    # Sites the daemon does not schedule (it runs with --only demo) say so.
    other = next(s for s in doc["sites"] if s["site"] == "tsinghua")
    assert (other["next_run"], other["next_run_source"]) == (None, "not scheduled")
    lease.release()


def test_stopped_and_dead_daemons(store: ArchiveStore, sites_dir: Path) -> None:
    beat(store, state="stopped", jobs={})
    assert status(store, sites_dir).startswith("daemon: not running (stopped cleanly")
    assert json.loads(status(store, sites_dir, "json"))["daemon"]["state"] == "stopped"
    # A heartbeat that says "running" but nobody holds the daemon's lock: it died (kill -9,
    # power loss) without saying so, however fresh its last heartbeat.
    beat(store)
    assert "NOT RUNNING" in status(store, sites_dir)
    doc = json.loads(status(store, sites_dir, "json"))
    assert (doc["daemon"]["state"], doc["daemon"]["alive"]) == ("dead", False)
    demo = next(s for s in doc["sites"] if s["site"] == "demo")
    assert demo["next_run_source"] == "schedule"  # a dead daemon's next-run times mean nothing


def test_cli_status(uri: str, store: ArchiveStore, sites_dir: Path) -> None:
    record_run(store, "ok")
    beat(store)
    lease = hold_daemon_lock(store)

    def cli(*args: str) -> str:
        cmd = [sys.executable, "-m", "uninews", "status", "--store", uri]
        cmd += ["--sites-dir", str(sites_dir), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert cli().startswith("daemon: alive")
    doc = json.loads(cli("--format", "json"))
    assert doc["daemon"]["alive"] is True
    demo = next(s for s in doc["sites"] if s["site"] == "demo")
    assert demo["last_run"]["status"] == "ok"
    lease.release()
    assert cli().startswith("daemon: NOT RUNNING")


@pytest.mark.slow
def test_status_of_a_real_daemon(tmp_path: Path) -> None:
    manifest = build_site(tmp_path / "www", SiteSpec(hosts=(NEWS_HOST,)))
    with serve(manifest.docroot(NEWS_HOST)) as site:
        d = DaemonProc(tmp_path, "--every", "1", "--only", "good")
        d.args += ("--base-url", f"good={site.url}", *FAST, "-s", "DOWNLOAD_DELAY=0")
        write_site(d.sites_dir, "good", manifest)
        try:
            d.start()
            wait_for("an ok run", lambda: "ok" in [r.status for r in d.runs("good")])

            def show(fmt: str = "table") -> str:
                out = io.StringIO()
                print_status(d.store, d.sites_dir, fmt, out)
                return out.getvalue()

            doc = json.loads(show("json"))
            assert doc["daemon"]["alive"] is True
            good = next(s for s in doc["sites"] if s["site"] == "good")
            assert good["scheduled"] is True
            assert good["articles"] == expected_articles(manifest)
            assert good["last_run"]["log"] and Path(good["last_run"]["log"]).is_file()
            assert show().startswith("daemon: alive")

            d.send(signal.SIGTERM)
            assert d.wait(timeout=20) == 0
            assert show().startswith("daemon: not running (stopped cleanly")
        finally:
            d.close()


def test_a_site_whose_fill_rates_fall_is_flagged(store: ArchiveStore, sites_dir: Path) -> None:
    """Runs record per-field fill rates; after a redesign most articles lose their date."""
    for i, dated in enumerate([20, 19, 20, 3]):
        run_id = store.start_run(
            RunRecord(site="demo", started_at=f"2026-11-2{i}T09:17:03.000000Z")
        )
        counts = {"inserted": 20, "extracted": 20, "filled_title": 20, "filled_text": 20,
                  "filled_published_at": dated}  # fmt: skip
        store.finish_run(run_id, "ok", counts, None)
    doc = json.loads(status(store, sites_dir, "json"))
    demo = next(s for s in doc["sites"] if s["site"] == "demo")
    assert [(d["field"], d["now"], d["before"]) for d in demo["fill_drift"]] == [
        ("published_at", 0.15, 1.0)
    ]
    text = status(store, sites_dir)
    assert "layout changed?" in next(ln for ln in text.splitlines() if ln.startswith("demo "))
    assert "demo: layout changed? published_at found in 15% of the articles" in text


def test_crawls_record_fill_rates(tmp_path: Path) -> None:
    from tests.crawling import crawl
    from tests.sitegen.server import LocalSite
    from tests.tinysite import build, site_file

    docroot = build(tmp_path / "www", [[1, 2, 3, 4]])
    sites = tmp_path / "sites"
    site_file(sites)
    uri = f"sqlite:///{tmp_path / 'a.db'}"
    with LocalSite(docroot) as server:
        assert crawl("tiny", sites, uri, server.url).returncode == 0
    s = open_store(uri)
    [run] = s.runs("tiny")
    s.close()
    assert run.counts["extracted"] == 4
    assert run.counts["filled_title"] == run.counts["filled_published_at"] == 4
    assert run.counts["filled_authors"] == 4  # "By Jane Doe" on every page


def test_a_crawl_the_daemon_did_not_start_is_shown_running(
    store: ArchiveStore, sites_dir: Path
) -> None:
    """A crawl left behind by a daemon that died (or run by hand) holds the site's lock and
    runs: status says so, instead of "no crawl running"."""
    import os
    import socket

    from crawler.run import lock_name

    me = {"pid": os.getpid(), "host": socket.gethostname()}
    crawl_lock = store.lock(lock_name("crawl", "demo"), me)
    assert crawl_lock is not None
    store.start_run(RunRecord(site="demo", started_at="2026-11-27T09:17:03.000000Z", **me))
    beat(store, running=[])
    lease = hold_daemon_lock(store)
    text = status(store, sites_dir)
    first, second = text.splitlines()[:2]
    assert "no crawl running" not in first and first.endswith("no crawl of its own running")
    assert second == f"running outside the daemon: demo (pid {me['pid']} on {me['host']})"
    row = next(line for line in text.splitlines() if line.startswith("demo "))
    assert "running now" in row
    doc = json.loads(status(store, sites_dir, "json"))
    assert doc["daemon"]["running_outside"] == ["demo"]
    demo = next(s for s in doc["sites"] if s["site"] == "demo")
    assert demo["running"] and demo["running_outside_daemon"]
    lease.release()
    # the daemon died; its crawl goes on
    assert "running outside the daemon: demo" in status(store, sites_dir)
    crawl_lock.release()  # the crawl's process is gone: no longer running, but abandoned
    assert "running outside" not in status(store, sites_dir)


def test_every_standby_daemon_is_listed(store: ArchiveStore, sites_dir: Path) -> None:
    from scheduler.daemon import STANDBY_NAME

    beat(store)
    lease = hold_daemon_lock(store)
    for pid, since in ((101, "2026-11-27T01:00:00Z"), (102, "2026-11-27T02:00:00Z")):
        store.heartbeat(f"{STANDBY_NAME}box-{pid}:{pid}", {"pid": pid, "host": f"box-{pid}",
                        "since": since, "state": "standby", "interval": 10.0})  # fmt: skip
    store.heartbeat(f"{STANDBY_NAME}box-103:103", {"pid": 103, "host": "box-103",
                    "since": "2026-11-27T03:00:00Z", "state": "stopped"})  # fmt: skip
    lines = [ln for ln in status(store, sites_dir).splitlines() if ln.startswith("standby:")]
    assert [ln.split(" (")[0] for ln in lines] == [
        "standby: pid 101 on box-101", "standby: pid 102 on box-102"
    ]  # fmt: skip
    doc = json.loads(status(store, sites_dir, "json"))
    assert [s["pid"] for s in doc["daemon"]["standbys"]] == [101, 102]
    lease.release()


def test_a_revisits_handful_of_articles_never_flags_a_layout_change() -> None:
    from scheduler.status import fill_drift
    from storage import RunRecord

    def run(kind: str, extracted: int, titles: int) -> RunRecord:
        counts = {"extracted": extracted, "filled_title": titles, "filled_published_at": extracted,
                  "filled_text": extracted}  # fmt: skip
        return RunRecord(site="x", started_at="2026-11-20T00:00:00Z", kind=kind, counts=counts)

    crawls = [run("crawl", 20, 20) for _ in range(3)]
    # Newest first: a revisit whose old articles lack titles, then the site's usual crawls.
    assert fill_drift([run("revisit", 8, 0), *crawls]) == []
    assert fill_drift([run("crawl", 8, 0), *crawls])[0]["field"] == "title"
