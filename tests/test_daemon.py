"""The scheduler daemon: triggers, misfire policy, run bookkeeping, and real daemons over local sites."""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from crawler.sites import Site
from scheduler import jobs
from scheduler.daemon import build_scheduler
from scheduler.jobs import CrawlConfig, CrawlRunner, cron_trigger, last_missed_fire
from storage import RunRecord, open_store
from tests.sitegen import NEWS_HOST, LocalSite, Manifest, SiteSpec, build_site, serve

ROOT = Path(__file__).resolve().parent.parent
FAST = ["-s", "AUTOTHROTTLE_ENABLED=false", "-s", "UNINEWS_EXTRACT_WORKERS=0"]
# One request at a time, 0.15 s apart: a crawl of the test site takes ~7 s, and a SIGTERM stops
# it after the request in flight (Scrapy's graceful stop drains what the downloader holds).
SLOW_CRAWL = [
    "-s", "DOWNLOAD_DELAY=0.15", "-s", "CONCURRENT_REQUESTS=1", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
]  # fmt: skip
ARTICLE_RE = r"^/publish/(news|thunews)/\d+/(\d{4}/)?\d{23}/\d{23}_\.html$"


def wait_for(what: str, pred: Callable[[], Any], timeout: float = 20.0, every: float = 0.1) -> Any:
    """Poll until `pred()` is truthy; fail naming `what` at the deadline (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


# --- triggers and the misfire policy --------------------------------------------------------
@pytest.mark.parametrize(
    ("expr", "weekdays"),
    [
        ("0 3 * * 0", {6}),  # crontab: 0 is Sunday (APScheduler 3.x alone would say Monday)
        ("0 3 * * 7", {6}),
        ("0 3 * * 1-5", {0, 1, 2, 3, 4}),
        ("0 3 * * */2", {6, 1, 3, 5}),  # Sun, Tue, Thu, Sat
        ("0 3 * * sat,sun", {5, 6}),
        ("0 3 * * *", set(range(7))),
    ],
)
def test_cron_trigger_reads_weekdays_like_crontab(expr: str, weekdays: set[int]) -> None:
    trigger = cron_trigger(expr, "Asia/Shanghai")
    t = datetime(2026, 1, 1, tzinfo=UTC)
    seen = set()
    for _ in range(14):
        t = trigger.get_next_fire_time(None, t + timedelta(seconds=1))
        assert t is not None
        assert (t.hour, t.minute) == (3, 0)
        assert str(t.tzinfo) == "Asia/Shanghai"
        seen.add(t.weekday())
    assert seen == weekdays


def test_last_missed_fire() -> None:
    trigger = cron_trigger("17 */3 * * *", "UTC")
    now = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    assert last_missed_fire(trigger, now - timedelta(minutes=30), now) is None
    assert last_missed_fire(trigger, datetime(2026, 4, 1, tzinfo=UTC), now) == datetime(
        2026, 5, 1, 9, 17, tzinfo=UTC
    )


def test_late_run_happens_once() -> None:
    """Three fire times already past when the scheduler looks: one run, not three, not zero."""
    scheduler = build_scheduler(max_parallel=1)
    calls: list[float] = []
    done = threading.Event()

    def job() -> None:
        calls.append(time.monotonic())
        done.set()

    now = datetime.now(UTC)
    scheduler.add_job(
        job,
        IntervalTrigger(hours=1, start_date=now - timedelta(hours=3, minutes=1)),
        id="crawl:late",
        next_run_time=now - timedelta(hours=3),
    )
    scheduler.start()
    try:
        assert done.wait(10)
        job_ = wait_for("the next run time", lambda: scheduler.get_job("crawl:late"))
        assert job_.next_run_time > now
    finally:
        scheduler.shutdown(wait=True)
    assert len(calls) == 1


# --- CrawlRunner with stand-in children (no Scrapy) -----------------------------------------
CHILD_PRELUDE = """
import os, signal, sys, time
from storage import RunRecord, open_store
from storage.common import utcnow
run_id = sys.argv[1]
store = open_store(os.environ["UNINEWS_STORE"])
def start():
    store.start_run(RunRecord(site="fake", started_at=utcnow(), pid=os.getpid(), id=run_id))
def finish(status, **counts):
    store.finish_run(run_id, status, counts, None)
"""


@pytest.fixture
def runner_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., CrawlRunner]]:
    monkeypatch.setenv("UNINEWS_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    store = open_store(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
    site = Site(
        name="fake",
        title="Fake",
        base_url="http://fake.example/",
        listings=["news/"],
        article_url="^/a/",
    )

    def make(body: str, timeout: float = 30.0, grace: float = 5.0) -> CrawlRunner:
        code = CHILD_PRELUDE + textwrap.dedent(body)
        monkeypatch.setattr(
            jobs, "crawl_command", lambda s, c, run_id: [sys.executable, "-c", code, run_id]
        )
        config = CrawlConfig(
            store_uri=f"sqlite:///{tmp_path / 'archive.sqlite3'}", run_timeout=timeout, grace=grace
        )
        return CrawlRunner(store, config, {"fake": site})

    yield make
    store.close()


def _only_run(runner: CrawlRunner) -> RunRecord:
    runs = runner.store.runs("fake")
    assert len(runs) == 1, runs
    return runs[0]


def test_runner_keeps_what_the_child_recorded(runner_for: Callable[..., CrawlRunner]) -> None:
    runner = runner_for("start(); finish('ok', inserted=3)")
    runner.run("fake")
    run = _only_run(runner)
    assert (run.status, run.counts, run.error) == ("ok", {"inserted": 3}, None)
    assert jobs.run_log_path("fake", run.id or "").is_file()


def test_runner_records_a_child_that_never_recorded(
    runner_for: Callable[..., CrawlRunner],
) -> None:
    runner = runner_for("print('uninews: error: bad site file', file=sys.stderr); sys.exit(2)")
    runner.run("fake")
    run = _only_run(runner)
    assert run.status == "failed"
    assert run.error == "exit code 2: uninews: error: bad site file"
    assert run.ended_at is not None


def test_runner_records_a_child_killed_mid_run(runner_for: Callable[..., CrawlRunner]) -> None:
    runner = runner_for("start(); os.kill(os.getpid(), signal.SIGKILL)")
    runner.run("fake")
    run = _only_run(runner)
    assert (run.status, run.error) == ("failed", "killed by SIGKILL")


def test_runner_timeout_stops_then_kills(runner_for: Callable[..., CrawlRunner]) -> None:
    runner = runner_for(
        """
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a crawl stuck beyond SIGTERM
        start()
        time.sleep(60)
        """,
        timeout=1.0,
        grace=0.5,
    )
    t0 = time.monotonic()
    runner.run("fake")
    assert time.monotonic() - t0 < 10
    run = _only_run(runner)
    assert run.status == "timeout"
    assert run.error is not None and run.error.startswith("killed after")


def test_runner_timeout_keeps_counts_of_a_clean_stop(
    runner_for: Callable[..., CrawlRunner],
) -> None:
    runner = runner_for(
        """
        def stop(*_):
            finish("interrupted", inserted=2)
            sys.exit(130)
        signal.signal(signal.SIGTERM, stop)
        start()
        time.sleep(60)
        """,
        timeout=1.0,
    )
    runner.run("fake")
    run = _only_run(runner)
    assert (run.status, run.counts) == ("timeout", {"inserted": 2})
    assert run.error is not None and run.error.startswith("stopped after")


def test_runner_shutdown_records_interrupted(runner_for: Callable[..., CrawlRunner]) -> None:
    runner = runner_for(
        """
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        start()
        time.sleep(60)
        """
    )
    thread = threading.Thread(target=runner.run, args=["fake"])
    thread.start()
    wait_for("the child to record its start", lambda: runner.store.runs("fake"))
    runner.stop_accepting()
    runner.terminate_all()
    runner.kill_all()
    thread.join(10)
    run = _only_run(runner)
    assert run.status == "interrupted"
    runner.run("fake")  # stopping: nothing new starts
    assert len(runner.store.runs("fake")) == 1


# --- real daemons ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def legacy_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Manifest, LocalSite]]:
    root = tmp_path_factory.mktemp("sites")
    manifest = build_site(root, SiteSpec(hosts=(NEWS_HOST,)))
    with serve(manifest.docroot(NEWS_HOST)) as site:
        yield manifest, site


def expected_articles(manifest: Manifest) -> int:
    # Cross-posted copies are stored once, as an alias URL of the first.
    return len(manifest.urls(host=NEWS_HOST)) - len(manifest.duplicates)


@pytest.fixture
def hanging_server() -> Iterator[str]:
    """Accepts connections and never answers (a site that hangs)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    conns: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conns.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for c in conns:
        c.close()
    server.close()


def write_site(
    sites_dir: Path,
    name: str,
    manifest: Manifest,
    schedule: str = "0 0 1 1 *",
    run_timeout: int | None = None,
) -> None:
    listings = [urlsplit(pages[0]).path.lstrip("/") for pages in manifest.listing_urls.values()]
    lines = [
        f"name: {name}",
        f"title: test site {name}",
        "base_url: http://news.tsinghua.edu.cn/",
        "timezone: UTC",
        f'schedule: "{schedule}"',
        "listings:",
        *(f"  - {p}" for p in listings),
        f"article_url: '{ARTICLE_RE}'",
    ]
    if run_timeout:
        lines.append(f"run_timeout: {run_timeout}")
    sites_dir.mkdir(exist_ok=True)
    (sites_dir / f"{name}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


class DaemonProc:
    """A real `uninews daemon` process over a temporary store and sites directory."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.uri = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
        self.sites_dir = tmp_path / "sites"
        self.log_dir = tmp_path / "logs"
        self.stderr_path = tmp_path / f"daemon-{time.monotonic_ns()}.log"
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None
        self.store = open_store(self.uri)

    def start(self) -> DaemonProc:
        env = dict(os.environ, UNINEWS_LOG_DIR=str(self.log_dir), PYTHONPATH=str(ROOT))
        env.pop("UNINEWS_STORE", None)
        cmd = [sys.executable, "-m", "uninews", "daemon", "--store", self.uri]
        cmd += ["--sites-dir", str(self.sites_dir), *self.args]
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=err, stderr=err, env=env, cwd=ROOT)
        return self

    @property
    def output(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def send(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"daemon still running {timeout:.0f}s later:\n{self.output[-3000:]}")

    def runs(self, site: str) -> list[RunRecord]:
        return self.store.runs(site, limit=100)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.store.close()


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Callable[..., DaemonProc]]:
    made: list[DaemonProc] = []

    def make(*args: str) -> DaemonProc:
        d = DaemonProc(tmp_path, *args)
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()


def _statuses(runs: list[RunRecord]) -> list[str]:
    return [r.status for r in runs]


@pytest.mark.slow
def test_daemon_runs_sites_and_records_failures(
    daemon: Callable[..., DaemonProc],
    legacy_site: tuple[Manifest, LocalSite],
    hanging_server: str,
) -> None:
    """One site crawls fine while another hangs past its timeout and a third's crawl is killed."""
    manifest, site = legacy_site
    d = daemon(
        "--every", "1.5", "--max-parallel", "3", "--grace", "1", "--run-timeout", "120",
        "--base-url", f"good={site.url}",
        "--base-url", f"hang={hanging_server}",
        "--base-url", f"victim={hanging_server}",
        "--only", "good,hang,victim",
        *FAST, "-s", "DOWNLOAD_DELAY=0",
    )  # fmt: skip
    write_site(d.sites_dir, "good", manifest)
    write_site(d.sites_dir, "hang", manifest, run_timeout=2)
    write_site(d.sites_dir, "victim", manifest)
    d.start()

    victim = wait_for(
        "the victim's crawl to record its start",
        lambda: next((r for r in d.runs("victim") if r.status == "running" and r.pid), None),
    )
    os.kill(victim.pid, signal.SIGKILL)  # a crawl that crashes hard records nothing itself
    wait_for("two ok runs of the good site", lambda: _statuses(d.runs("good")).count("ok") >= 2)
    wait_for("a timed-out run", lambda: "timeout" in _statuses(d.runs("hang")))
    wait_for("the killed run", lambda: "failed" in _statuses(d.runs("victim")))

    assert d.store.count("good") == expected_articles(manifest)
    killed = next(r for r in d.runs("victim") if r.id == victim.id)
    assert (killed.status, killed.error) == ("failed", "killed by SIGKILL")
    timed_out = next(r for r in d.runs("hang") if r.status == "timeout")
    assert timed_out.error is not None and timed_out.error.endswith("(run timeout 2s)")
    log = d.log_dir / "good" / f"{d.runs('good')[-1].id}.log"
    assert "good: ok in" in log.read_text(encoding="utf-8")  # the crawl's own summary

    d.send(signal.SIGTERM)
    assert d.wait(timeout=15) == 0
    for name in ("good", "hang", "victim"):
        assert "running" not in _statuses(d.runs(name)), (name, d.runs(name))
    assert "hang: run" in d.output and "exceeded its 2s timeout" in d.output
    assert "daemon stopped" in d.output
    assert d.store.get_heartbeat("daemon")["state"] == "stopped"  # type: ignore[index]


@pytest.mark.slow
def test_sigterm_mid_crawl_stops_cleanly(
    daemon: Callable[..., DaemonProc], legacy_site: tuple[Manifest, LocalSite]
) -> None:
    manifest, site = legacy_site
    d = daemon(
        "--every", "1", "--grace", "20", "--only", "good", "--base-url", f"good={site.url}",
        *FAST, *SLOW_CRAWL,
    )  # fmt: skip
    write_site(d.sites_dir, "good", manifest)
    d.start()
    wait_for("a crawl in progress with articles stored", lambda: d.store.count("good") >= 3)
    assert _statuses(d.runs("good")) == ["running"]

    t0 = time.monotonic()
    d.send(signal.SIGTERM)
    assert d.wait(timeout=20) == 0
    assert time.monotonic() - t0 < 20

    (run,) = d.runs("good")
    assert run.status == "interrupted"
    assert 3 <= run.counts["inserted"] < expected_articles(manifest)
    # The store opens fine in a fresh process and holds each article once.
    check = subprocess.run(
        [sys.executable, "-m", "uninews", "export", "--store", d.uri, "--site", "good"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    records = [json.loads(line) for line in check.stdout.splitlines()]
    assert len(records) == d.store.count("good") == run.counts["inserted"]
    assert len({r["url"] for r in records}) == len({r["id"] for r in records}) == len(records)


@pytest.mark.slow
def test_run_after_an_interrupted_one_finishes_the_job(
    daemon: Callable[..., DaemonProc], legacy_site: tuple[Manifest, LocalSite]
) -> None:
    """The articles an interrupted run did not reach are fetched by the next (incremental) run."""
    manifest, site = legacy_site
    slow = daemon(
        "--every", "1", "--grace", "20", "--only", "good", "--base-url", f"good={site.url}",
        *FAST, *SLOW_CRAWL,
    )  # fmt: skip
    write_site(slow.sites_dir, "good", manifest)
    seen = site.count("index_2.html")
    slow.start()
    # Stop it just after the first second listing page: Scrapy's priorities have fetched every
    # first page's articles by then, and none of the second page's.
    wait_for("a second listing page", lambda: site.count("index_2.html") > seen, every=0.02)
    slow.send(signal.SIGTERM)
    assert slow.wait(timeout=20) == 0

    fast = daemon(
        "--every", "1", "--only", "good", "--base-url", f"good={site.url}",
        *FAST, "-s", "DOWNLOAD_DELAY=0",
    ).start()  # fmt: skip
    wait_for("an ok run", lambda: "ok" in _statuses(fast.runs("good")))
    fast.send(signal.SIGTERM)
    assert fast.wait(timeout=20) == 0
    assert fast.store.count("good") == expected_articles(manifest)


@pytest.mark.slow
def test_second_signal_kills_at_once(
    daemon: Callable[..., DaemonProc],
    legacy_site: tuple[Manifest, LocalSite],
    hanging_server: str,
) -> None:
    manifest, _ = legacy_site
    d = daemon(
        "--every", "1", "--grace", "120", "--only", "hang",
        "--base-url", f"hang={hanging_server}", *FAST,
    )  # fmt: skip
    write_site(d.sites_dir, "hang", manifest)
    d.start()
    wait_for("a hanging crawl", lambda: _statuses(d.runs("hang")) == ["running"])
    d.send(signal.SIGTERM)  # Scrapy waits for the hanging download: it will not stop in time
    wait_for("the daemon to begin stopping", lambda: "stopping:" in d.output)
    t0 = time.monotonic()
    d.send(signal.SIGTERM)
    assert d.wait(timeout=15) == 0
    assert time.monotonic() - t0 < 15
    (run,) = d.runs("hang")
    assert run.status == "interrupted"


@pytest.mark.slow
def test_missed_run_happens_once_and_sighup_reloads(
    daemon: Callable[..., DaemonProc], legacy_site: tuple[Manifest, LocalSite]
) -> None:
    """The daemon was down when the schedule came round: one catch-up run at start, not N."""
    manifest, site = legacy_site
    # Daily, an hour ago: the last fire time is past, the next is ~23 h away.
    due = datetime.now(UTC) - timedelta(hours=1)
    d = daemon("--only", "good", "--base-url", f"good={site.url}", *FAST, "-s", "DOWNLOAD_DELAY=0")
    write_site(d.sites_dir, "good", manifest, schedule=f"{due.minute} {due.hour} * * *")
    old = d.store.start_run(RunRecord(site="good", started_at="2016-01-01T00:00:00.000000Z"))
    d.store.finish_run(old, "ok", {}, None)  # ~3650 daily runs missed since
    d.start()

    run = wait_for(
        "the catch-up run",
        lambda: (r := d.runs("good")[0]).id != old and r.status == "ok" and r,
    )
    beat = wait_for(
        "a heartbeat after the run",
        lambda: (
            (hb := d.store.get_heartbeat("daemon"))
            and hb["at"] > run.ended_at
            and hb["running"] == []
            and hb
        ),
    )
    assert _statuses(d.runs("good")) == ["ok", "ok"]
    next_run = datetime.fromisoformat(beat["jobs"]["good"].replace("Z", "+00:00"))
    assert timedelta(hours=22) < next_run - datetime.now(UTC) < timedelta(hours=24)
    assert "was missed" in d.output

    # SIGHUP with a changed schedule: the job is rebuilt.
    write_site(d.sites_dir, "good", manifest, schedule="30 4 * * *")
    d.send(signal.SIGHUP)
    wait_for("the reload", lambda: "rescheduled good" in d.output)
    beat = wait_for(
        "a heartbeat with the new schedule",
        lambda: (
            (hb := d.store.get_heartbeat("daemon"))
            and hb["schedules"]["good"].startswith("30 4")
            and hb
        ),
    )
    rescheduled = datetime.fromisoformat(beat["jobs"]["good"].replace("Z", "+00:00"))
    assert (rescheduled.hour, rescheduled.minute) == (4, 30)  # plus up to 30 s of jitter

    # A broken site file: one error line, the old jobs stay.
    (d.sites_dir / "good.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    d.send(signal.SIGHUP)
    wait_for("the failed reload", lambda: "reload failed, keeping the current jobs" in d.output)
    assert d.proc is not None and d.proc.poll() is None
    assert d.store.get_heartbeat("daemon")["jobs"]["good"] == beat["jobs"]["good"]  # type: ignore[index]

    d.send(signal.SIGINT)
    assert d.wait(timeout=15) == 0
    assert len(d.runs("good")) == 2


# --- one daemon per store, one crawl per site -------------------------------------------------
@pytest.mark.slow
def test_two_daemons_started_at_the_same_moment_one_schedules_one_stands_by(
    tmp_path: Path,
) -> None:
    """A real race, five times: two daemons on one store started together; exactly one holds
    the store's lease and schedules, the other waits as a hot standby and takes over when the
    first stops (SIGTERM) or dies (SIGKILL).

    On SQLite the lease is an OS file lock (flock): the kernel grants it to one, and frees it
    the moment its holder dies."""
    from tests.tinysite import site_file

    sites = tmp_path / "sites"
    site_file(sites, name="idle", schedule="0 0 1 1 *")

    def one_trial(trial: int) -> float:
        uri = f"sqlite:///{tmp_path / f'a{trial}.db'}"
        open_store(uri).close()
        env = dict(os.environ, PYTHONPATH=str(ROOT), UNINEWS_LOG_DIR=str(tmp_path / "logs"))
        cmd = [sys.executable, "-m", "uninews", "daemon", "--store", uri, "--sites-dir", str(sites),
               "--only", "idle"]  # fmt: skip
        logs = [tmp_path / f"d{trial}-{i}.log" for i in range(2)]
        procs = []
        for log in logs:
            with open(log, "wb") as out:
                procs.append(subprocess.Popen(cmd, env=env, stdout=out, stderr=out))
        try:

            def said(i: int) -> str:
                return logs[i].read_text(encoding="utf-8", errors="replace")

            wait_for("one daemon active, one in standby", lambda: sorted(
                ("daemon started" in said(i), "standby:" in said(i)) for i in range(2)
            ) == [(False, True), (True, False)])  # fmt: skip
            active = next(i for i in range(2) if "daemon started" in said(i))
            standby = 1 - active
            store = open_store(uri)
            assert store.get_heartbeat("daemon")["pid"] == procs[active].pid  # type: ignore[index]
            status = subprocess.run(
                [sys.executable, "-m", "uninews", "status", "--store", uri, "--sites-dir", str(sites)],
                capture_output=True, text=True, cwd=ROOT, check=False,
            )  # fmt: skip
            assert f"pid {procs[active].pid} on" in status.stdout.splitlines()[0]
            assert f"standby: pid {procs[standby].pid} on" in status.stdout, status.stdout
            how = signal.SIGKILL if trial % 2 else signal.SIGTERM
            t0 = time.monotonic()
            procs[active].send_signal(how)
            wait_for("the standby to take over", lambda: "took over" in said(standby), timeout=30)
            took = time.monotonic() - t0
            assert "daemon started" in said(standby)
            wait_for("its heartbeat", lambda: (store.get_heartbeat("daemon") or {}).get("pid")
                     == procs[standby].pid)  # fmt: skip
            store.close()
            procs[standby].send_signal(signal.SIGTERM)
            assert procs[standby].wait(15) == 0
            assert procs[active].wait(15) == (0 if how == signal.SIGTERM else -signal.SIGKILL)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        return took

    takeovers = [one_trial(trial) for trial in range(5)]
    print(f"takeover times: {', '.join(f'{t:.1f}s' for t in takeovers)}")  # pytest -rP
    assert max(takeovers) < 10  # the standby tries every second; the lock is free at once


def test_a_crawl_of_a_site_that_is_being_crawled_is_skipped(tmp_path: Path) -> None:
    from tests.crawling import uninews
    from tests.tinysite import site_file

    sites = tmp_path / "sites"
    site_file(sites)
    uri = f"sqlite:///{tmp_path / 'a.db'}"
    store = open_store(uri)
    lease = store.lock("crawl:tiny", {"pid": 1234, "host": "other-box", "since": "2026-12-01"})
    assert lease is not None
    try:
        out = uninews("crawl", "tiny", "--sites-dir", str(sites), "--store", uri,
                      "--base-url", "http://127.0.0.1:9")  # fmt: skip
        assert out.returncode == 1
        assert "skipped" in out.stdout and "another crawl of tiny is running" in out.stdout
        assert "pid 1234 on other-box" in out.stdout
        [run] = store.runs("tiny")
        assert run.status == "skipped"
        # A backfill of the same site is another kind of run: it may go on meanwhile.
        bf = uninews("backfill", "tiny", "--since", "2024-01-01", "--sites-dir", str(sites),
                     "--store", uri, "--base-url", "http://127.0.0.1:9", "-s", "RETRY_TIMES=0")  # fmt: skip
        assert "another" not in bf.stdout
    finally:
        lease.release()
        store.close()


def crawling_daemon(
    daemon: Callable[..., DaemonProc], legacy_site: tuple[Manifest, LocalSite]
) -> tuple[DaemonProc, list[str]]:
    """A daemon crawling `good` every second, slowly, caught in the middle of a crawl."""
    manifest, site = legacy_site
    args = ["--every", "1", "--only", "good", "--base-url", f"good={site.url}", *FAST, *SLOW_CRAWL]
    first = daemon(*args)
    write_site(first.sites_dir, "good", manifest)
    first.start()
    wait_for("a crawl in progress", lambda: first.store.count("good") >= 2)
    return first, args


def never_twice_at_once(second: DaemonProc, orphan: RunRecord) -> None:
    """The orphan crawl ends, `second` crawls after it, and no two runs of the site overlap."""
    wait_for(
        "the orphan to finish", lambda: d_run(second, orphan.id).status != "running", timeout=60
    )
    wait_for("a run of the new daemon", lambda: any(r.status == "ok" and r.id != orphan.id
                                                   for r in second.runs("good")), timeout=60)  # fmt: skip
    second.send(signal.SIGTERM)
    assert second.wait(timeout=20) == 0
    # Never two crawls of the site at once: no ok/interrupted run overlaps another one.
    spans = sorted(
        (r.started_at, r.ended_at or "9") for r in second.runs("good") if r.status != "skipped"
    )
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), spans


@pytest.mark.slow
def test_sigkill_of_the_daemon_then_restart_never_crawls_a_site_twice_at_once(
    daemon: Callable[..., DaemonProc], legacy_site: tuple[Manifest, LocalSite]
) -> None:
    first, args = crawling_daemon(daemon, legacy_site)
    [orphan] = first.runs("good")
    assert first.proc is not None
    first.proc.kill()  # SIGKILL: its crawl, in a session of its own, goes on
    first.proc.wait()
    status = subprocess.run(
        [sys.executable, "-m", "uninews", "status", "--store", first.uri, "--sites-dir",
         str(first.sites_dir)], capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert status.stdout.startswith("daemon: NOT RUNNING"), status.stdout  # at once, not 30 s later

    second = daemon(*args)
    second.start()
    skipped = wait_for(
        "the new daemon's run to meet the orphan crawl",
        lambda: [r for r in second.runs("good") if r.status == "skipped"],
        timeout=30,
    )
    assert "another crawl of good is running" in (skipped[0].error or "")
    assert f"pid {orphan.pid}" in (skipped[0].error or "")
    never_twice_at_once(second, orphan)


@pytest.mark.slow
def test_a_standby_takes_over_from_a_killed_daemon_and_no_run_happens_twice(
    daemon: Callable[..., DaemonProc], legacy_site: tuple[Manifest, LocalSite]
) -> None:
    manifest, _ = legacy_site
    first, args = crawling_daemon(daemon, legacy_site)
    second = daemon(*args).start()
    wait_for("the second daemon in standby", lambda: "standby:" in second.output)
    assert "daemon started" not in second.output  # it schedules nothing while it waits
    [orphan] = first.runs("good")
    assert first.proc is not None
    first.proc.kill()  # SIGKILL: its crawl, in a session of its own, goes on
    t0 = time.monotonic()
    wait_for("the standby to take over", lambda: "took over" in second.output, timeout=30)
    assert time.monotonic() - t0 < 10
    # Its first runs meet the orphan crawl, which still holds the site: skipped, not doubled.
    never_twice_at_once(second, orphan)
    assert second.store.count("good") == expected_articles(manifest)


def d_run(d: DaemonProc, run_id: str | None) -> RunRecord:
    return next(r for r in d.runs("good") if r.id == run_id)


def test_daemon_only_other_starts_despite_a_broken_site_file(
    daemon: Callable[..., DaemonProc], legacy_site: tuple[Manifest, LocalSite]
) -> None:
    manifest, site = legacy_site
    d = daemon("--only", "good", "--base-url", f"good={site.url}", *FAST)
    write_site(d.sites_dir, "good", manifest)
    (d.sites_dir / "broken.yaml").write_text("name: broken\ntitle: [\n", encoding="utf-8")
    d.start()
    wait_for("the daemon to schedule good", lambda: (hb := d.store.get_heartbeat("daemon"))
             and "good" in hb.get("jobs", {}))  # fmt: skip
    assert d.proc is not None and d.proc.poll() is None
    d.send(signal.SIGTERM)
    assert d.wait(timeout=15) == 0
    # Asked for the broken one itself: a clear refusal.
    bad = daemon("--only", "broken")
    bad.start()
    assert bad.wait(timeout=15) == 2
    assert "broken.yaml" in bad.output and "Traceback" not in bad.output
