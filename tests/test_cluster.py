"""Crawls on a Scrapyd cluster: the project deployed to two real Scrapyd nodes, the daemon placing
runs on them, a node dying mid-run, SIGTERM cancelling the jobs; and `scrapy crawl` as a whole
uninews crawl."""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import UsageError

from crawler.commands.crawl import uninews_argv
from crawler.sites import Site
from scheduler.jobs import CrawlConfig, CrawlRunner, Ended
from storage import RunRecord, open_store
from tests.cluster import ROOT, ScrapydNode, deploy
from tests.crawling import uninews
from tests.sitegen import LocalSite, serve
from tests.tinysite import build, site_file

SITES = ("a", "b", "c")
PER_SITE = 12  # articles: three listing pages of four
# One request at a time, 0.2 s apart: a first crawl of a site takes ~3 s, long enough to kill
# its node in the middle of it.
SLOW = ["-s", "DOWNLOAD_DELAY=0.2", "-s", "CONCURRENT_REQUESTS=1", "-s", "AUTOTHROTTLE_ENABLED=false"]  # fmt: skip


def wait_for(what: str, pred: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := pred()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)
    return value


# --- `scrapy crawl` is a uninews crawl ------------------------------------------------------
def test_spider_arguments_become_the_uninews_command_line() -> None:
    assert uninews_argv({"site": "tsinghua", "_job": "j1"}, {}) == [
        "crawl", "tsinghua", "--run-id", "j1",
    ]  # fmt: skip
    assert uninews_argv(
        {"site": "t", "mode": "backfill", "since": "2020-01-01", "run_id": "r", "node": "http://n:6800"},
        {"DOWNLOAD_DELAY": "2"},
    ) == ["backfill", "t", "--since", "2020-01-01", "--run-id", "r", "--node", "http://n:6800",
          "-s", "DOWNLOAD_DELAY=2"]  # fmt: skip
    assert uninews_argv({"site": "t", "mode": "full"}, {}, "sqlite:///x.db") == [
        "crawl", "t", "--full", "--store", "sqlite:///x.db",
    ]  # fmt: skip
    assert uninews_argv({"site": "t", "mode": "revisit", "max_pages": "5"}, {}) == [
        "revisit", "t", "--limit", "5",
    ]  # fmt: skip
    with pytest.raises(UsageError, match="unknown spider argument"):
        uninews_argv({"site": "t", "store": "mongodb://u:secret@h/db"}, {})
    with pytest.raises(UsageError, match="mode="):
        uninews_argv({"site": "t", "mode": "sideways"}, {})
    with pytest.raises(UsageError, match="which site"):
        uninews_argv({}, {})


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[tuple[Path, LocalSite]]:
    docroot = build(tmp_path / "www", [[1, 2, 3], [4, 5, 6]])
    site = serve(docroot)
    site_file(tmp_path / "sites")
    yield tmp_path / "sites", site
    site.close()


def test_scrapy_crawl_with_a_store_is_a_whole_uninews_crawl(
    tmp_path: Path, tiny: tuple[Path, LocalSite]
) -> None:
    """What Scrapyd runs on a node: the site's lock, a run record, the same pipelines."""
    sites, site = tiny
    uri = f"sqlite:///{tmp_path / 'a.db'}"
    env = dict(os.environ, UNINEWS_STORE=uri, PYTHONPATH=str(ROOT), UNINEWS_EXTRACT_WORKERS="0")
    cmd = [sys.executable, "-m", "scrapy", "crawl", "tiny", "-a", f"sites_dir={sites}",
           "-a", f"base_url={site.url}", "-a", "_job=job42", "-s", "AUTOTHROTTLE_ENABLED=false"]  # fmt: skip
    done = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("tiny: ok") and "6 new" in done.stdout
    store = open_store(uri)
    [run] = store.runs("tiny")
    assert (run.id, run.status, run.counts["inserted"]) == ("job42", "ok", 6)
    assert store.count("tiny") == 6
    store.close()


def test_runs_have_a_node_and_an_old_archive_gains_the_column(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    store = open_store(f"sqlite:///{db}")
    store.start_run(RunRecord(site="s", started_at="2026-01-01T00:00:00Z", id="r1", host="h"))
    store.close()
    con = sqlite3.connect(db)
    con.execute("ALTER TABLE runs DROP COLUMN node")  # as schema 4 made it
    con.commit()
    con.close()
    db.chmod(0o444)
    old = uninews("runs", "--store", f"sqlite:///{db}", "--format", "json")
    assert old.returncode == 0, old.stderr
    assert '"node": null' in old.stdout and '"id": "r1"' in old.stdout
    db.chmod(0o644)
    store = open_store(f"sqlite:///{db}")  # a writer upgrades it in place
    store.start_run(RunRecord(site="s", started_at="2026-01-02T00:00:00Z", id="r2", node="http://n2:6800"))  # fmt: skip
    assert [(r.id, r.node) for r in store.runs("s")] == [("r2", "http://n2:6800"), ("r1", None)]
    store.close()
    table = uninews("runs", "s", "--store", f"sqlite:///{db}")
    assert table.returncode == 0, table.stderr
    rows = {line.split()[0]: line for line in table.stdout.splitlines()[1:] if line.strip()}
    assert "http://n2:6800" in rows["r2"] and "local: h" in rows["r1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--executor", "scrapyd"], "--executor scrapyd needs --scrapyd-node URL"),
        (["--executor", "scrapyd", "--scrapyd-node", "node1:6800"], "is an http(s) URL"),
        (["--scrapyd-node", "http://127.0.0.1:6800"], "--scrapyd-node is for --executor scrapyd"),
    ],
)
def test_cluster_options_are_checked_in_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = uninews("daemon", "--store", f"sqlite:///{tmp_path / 'a.db'}", *args)
    assert out.returncode == 2
    assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr


# --- a real cluster ---------------------------------------------------------------------------
@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Three sites served locally, a shared SQLite archive, two Scrapyd nodes deployed to."""
    servers: dict[str, LocalSite] = {}
    sites_dir = tmp_path / "sites"
    for i, name in enumerate(SITES):
        # Article numbers of their own per site: the three never share an article URL.
        pages = [[100 * i + 4 * p + k for k in range(1, 5)] for p in range(3)]
        servers[name] = serve(build(tmp_path / f"www-{name}", pages))
        site_file(sites_dir, name=name)
    uri = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    open_store(uri).close()
    # What a node needs: the store in its environment (never in a job's arguments).
    env = dict(os.environ, UNINEWS_STORE=uri, UNINEWS_EXTRACT_WORKERS="0")
    env.pop("PYTHONPATH", None)  # the code comes from the deployed egg
    nodes = [ScrapydNode(tmp_path, f"node{i}", env).start() for i in (1, 2)]
    try:
        deployed = deploy(nodes, tmp_path / "config")
        assert deployed.returncode == 0, deployed.stderr
        for node in nodes:
            assert node.get("listprojects.json")["projects"] == ["uninews"]
            assert "news" in node.get("listspiders.json", project="uninews")["spiders"]
        yield {"uri": uri, "sites_dir": sites_dir, "servers": servers, "nodes": nodes,
               "tmp": tmp_path}  # fmt: skip
    finally:
        for node in nodes:
            node.stop()
        for server in servers.values():
            server.close()


def start_daemon(c: dict[str, Any], *extra: str) -> tuple[subprocess.Popen[bytes], Path]:
    log = c["tmp"] / f"daemon-{time.monotonic_ns()}.log"
    cmd = [sys.executable, "-m", "uninews", "daemon", "--store", c["uri"], "--sites-dir",
           str(c["sites_dir"]), "--only", ",".join(SITES), "--every", "2", "--max-parallel", "3",
           "--executor", "scrapyd", "--poll", "0.3", "--node-timeout", "3",
           *[a for n in c["nodes"] for a in ("--scrapyd-node", n.url)],
           *[a for name, s in c["servers"].items() for a in ("--base-url", f"{name}={s.url}")],
           *SLOW, *extra]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(ROOT), UNINEWS_LOG_DIR=str(c["tmp"] / "logs"))
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=out)
    return proc, log


@pytest.mark.slow
def test_a_cluster_crawls_every_site_once_survives_a_dead_node_and_stops_cleanly(
    cluster: dict[str, Any],
) -> None:
    node1, node2 = cluster["nodes"]
    store = open_store(cluster["uri"])
    daemon, log = start_daemon(cluster)
    try:
        # Runs go to both nodes (the one with fewer jobs first); kill node 1 in mid-crawl.
        running = wait_for(
            "a crawl storing articles on node 1",
            lambda: store.count() >= 2 and node1.jobs().get("running"),
        )
        lost = {job["id"] for job in running}
        node1.kill()
        wait_for("every article of every site", lambda: store.count() == 3 * PER_SITE, 90)
        wait_for(
            "the lost runs recorded as failed",
            lambda: all(r.status == "failed" for r in store.runs(limit=200) if r.id in lost),
        )
        # SIGTERM while crawls run on node 2: its jobs are cancelled, each run says so.
        busy = wait_for("a crawl running on node 2", lambda: node2.jobs().get("running"))
        stopped = {job["id"] for job in busy}
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(60) == 0, log.read_text()
        assert not node2.jobs()["running"] and not node2.jobs()["pending"]
    finally:
        if daemon.poll() is None:
            daemon.kill()
    runs = store.runs(limit=500)
    said = log.read_text()
    by_node = Counter(r.node for r in runs)
    assert set(by_node) <= {node1.url, node2.url} and by_node[node1.url] >= 1, by_node
    for r in runs:
        if r.id in lost:
            assert r.node == node1.url and "stopped answering" in (r.error or ""), r
            # ... and its site was crawled to the end later, on the other node
            assert any(x.site == r.site and x.node == node2.url and x.status == "ok"
                       and x.started_at > r.started_at for x in runs), r.site  # fmt: skip
    assert not [r for r in runs if r.status in ("running", "abandoned")], runs
    # the runs going at SIGTERM stopped cleanly (or had just finished)
    assert all(r.status in ("interrupted", "ok") for r in runs if r.id in stopped), runs
    # Every article stored once: 36 records, no duplicate outcome, no run inserted twice.
    assert store.count() == 3 * PER_SITE
    assert sum(r.counts.get("duplicate", 0) for r in runs) == 0
    # (a crawl killed with its node never reports what it had stored: at most, not exactly)
    assert sum(r.counts.get("inserted", 0) for r in runs) <= 3 * PER_SITE
    assert {rec["version"] for rec in store.iter_records()} == {1}
    # Never two crawls of one site at once, whichever node they ran on.
    for site in SITES:
        spans = sorted((r.started_at, r.ended_at or "9") for r in runs
                       if r.site == site and r.status not in ("skipped",))  # fmt: skip
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), (site, spans)
    assert "Traceback" not in said, said[-3000:]
    print(  # the figures of the closing note (pytest -rP shows them)
        f"runs per node: node1 {by_node[node1.url]}, node2 {by_node[node2.url]};"
        f" statuses {dict(Counter(r.status for r in runs))}; articles {store.count()};"
        f" inserted {sum(r.counts.get('inserted', 0) for r in runs)};"
        f" duplicates {sum(r.counts.get('duplicate', 0) for r in runs)}"
    )
    store.close()


@pytest.mark.slow
def test_a_run_past_its_timeout_is_cancelled_on_its_node(cluster: dict[str, Any]) -> None:
    store = open_store(cluster["uri"])
    daemon, log = start_daemon(cluster, "--run-timeout", "1", "--grace", "10")
    try:
        timed_out = wait_for(
            "a run stopped at its timeout",
            lambda: [r for r in store.runs(limit=100) if r.status == "timeout"],
        )
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(60) == 0, log.read_text()
    finally:
        if daemon.poll() is None:
            daemon.kill()
    run = timed_out[0]
    assert run.node in {n.url for n in cluster["nodes"]}
    assert (run.error or "").startswith("stopped after"), run.error  # cancelled, stopped cleanly
    for node in cluster["nodes"]:
        jobs = node.jobs()
        assert not jobs["running"] and not jobs["pending"], jobs
    assert not [r for r in store.runs(limit=100) if r.status == "running"]
    store.close()


def test_a_run_no_node_takes_is_recorded_with_what_each_node_said(
    tmp_path: Path, tiny: tuple[Path, LocalSite]
) -> None:
    """A node the project was never deployed to, and an address where no node listens: the run
    fails, saying why for each, and the daemon goes on."""
    sites, site = tiny
    uri = f"sqlite:///{tmp_path / 'a.db'}"
    open_store(uri).close()
    bare = ScrapydNode(tmp_path, "bare", dict(os.environ, UNINEWS_STORE=uri)).start()
    try:
        cmd = [sys.executable, "-m", "uninews", "daemon", "--store", uri, "--sites-dir", str(sites),
               "--only", "tiny", "--every", "1", "--executor", "scrapyd", "--node-timeout", "2",
               "--scrapyd-node", bare.url, "--scrapyd-node", "http://127.0.0.1:9",
               "--base-url", f"tiny={site.url}"]  # fmt: skip
        env = dict(os.environ, PYTHONPATH=str(ROOT), UNINEWS_LOG_DIR=str(tmp_path / "logs"))
        daemon = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        store = open_store(uri)
        [run, *_] = wait_for("a failed run", lambda: store.runs("tiny"), timeout=30)
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=30)
        assert daemon.returncode == 0, err
    finally:
        bare.stop()
    assert run.status == "failed" and run.node is None
    assert f"{bare.url} says: project 'uninews' not found" in (run.error or ""), run.error
    assert "http://127.0.0.1:9 does not answer" in (run.error or ""), run.error
    shown = uninews("runs", "tiny", "--store", uri)
    assert "no Scrapyd node took the run" in shown.stdout and "local" not in shown.stdout
    store.close()


# --- the runner with an executor that loses nodes (no Scrapyd needed) ---------------------------
class FakeJob:
    node: str | None = "http://fake:6800"
    pid: int | None = None

    def __init__(self, outcome: Callable[[], Ended]) -> None:
        self.outcome = outcome
        self.stopped = False

    def wait(self, timeout: float | None) -> Ended | None:
        return self.outcome()

    def stop(self) -> None:
        self.stopped = True

    def kill(self) -> None:
        pass


class FakeExecutor:
    """Each run follows the next step of `plan`: what its crawl records, and how its job ends."""

    attempts = 2

    def __init__(self, store: Any, plan: list[tuple[str | None, Ended]]) -> None:
        self.store, self.plan = store, plan
        self.started: list[str] = []
        self.jobs: list[FakeJob] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def where(self) -> str:
        return "nowhere"

    def state(self) -> dict[str, str]:
        return {}

    def start(self, site: str, run_id: str, started_at: str) -> FakeJob:
        self.entered.set()
        self.release.wait()
        recorded, ended = self.plan[len(self.started)]
        self.started.append(run_id)

        def outcome() -> Ended:
            if recorded:  # the crawl on the node records its run, as a real one does
                self.store.start_run(RunRecord(site=site, started_at=started_at, id=run_id))
                self.store.finish_run(run_id, recorded, {"inserted": 1}, None)
            return ended

        self.jobs.append(FakeJob(outcome))
        return self.jobs[-1]


LOST = Ended(clean=False, how="node http://fake:6800 stopped answering for 60s", lost=True)
DONE = Ended(clean=True, how="job ended")


@pytest.fixture
def runner_with(tmp_path: Path) -> Iterator[Callable[..., tuple[CrawlRunner, FakeExecutor]]]:
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    site = Site(
        name="s", title="S", base_url="http://s.example/", listings=["n/"], article_url="^/a/"
    )

    def make(plan: list[tuple[str | None, Ended]]) -> tuple[CrawlRunner, FakeExecutor]:
        executor = FakeExecutor(store, plan)
        config = CrawlConfig(store_uri="unused", run_timeout=60, grace=1)
        return CrawlRunner(store, config, {"s": site}, executor=executor), executor

    yield make
    store.close()


def test_a_run_whose_node_is_lost_goes_again_once_elsewhere(
    runner_with: Callable[..., tuple[CrawlRunner, FakeExecutor]],
) -> None:
    runner, executor = runner_with([(None, LOST), ("ok", DONE)])
    runner.run("s")
    assert len(executor.started) == 2
    second, first = runner.store.runs("s")
    assert (first.status, first.node) == ("failed", "http://fake:6800")
    assert "stopped answering" in (first.error or "") and second.status == "ok"


def test_a_run_that_recorded_its_end_never_goes_again_though_its_node_is_lost(
    runner_with: Callable[..., tuple[CrawlRunner, FakeExecutor]],
) -> None:
    """The crawl stored its articles and recorded `ok`; then its node went quiet (or restarted
    and forgot the job). Crawling the site again at once would be a second crawl for nothing."""
    runner, executor = runner_with([("ok", LOST), ("ok", DONE)])
    runner.run("s")
    assert len(executor.started) == 1
    [run] = runner.store.runs("s")
    assert run.status == "ok"


def test_placing_a_run_never_holds_up_the_heartbeat_or_the_shutdown(
    runner_with: Callable[..., tuple[CrawlRunner, FakeExecutor]],
) -> None:
    """Placing a run is network calls (a node that does not answer takes its timeout); the
    daemon's heartbeat and its shutdown ask the runner what runs meanwhile."""
    runner, executor = runner_with([("interrupted", DONE)])
    executor.release.clear()
    placing = threading.Thread(target=runner.run, args=["s"])
    placing.start()
    assert executor.entered.wait(10)
    asked = threading.Thread(
        target=lambda: (runner.running(), runner.placed(), runner.stop_accepting())
    )
    asked.start()
    asked.join(10)
    assert not asked.is_alive(), "the runner's lock is held while a run is placed"
    executor.release.set()  # the node answers at last: the run started during the shutdown ...
    placing.join(10)
    assert executor.jobs[0].stopped  # ... was asked to stop at once
    [run] = runner.store.runs("s")
    assert run.status == "interrupted"
