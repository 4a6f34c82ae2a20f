"""One scheduled run: `uninews crawl` in its own process, its timeout, its log, how it ended."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Protocol

from apscheduler.triggers.cron import CronTrigger

from crawler.sites import Site
from scheduler.cron import _crontab_weekdays, cron_trigger  # noqa: F401  (re-exported)
from storage import ArchiveStore, RunRecord
from storage.common import utcnow

logger = logging.getLogger(__name__)

LOG_DIR_ENV = "UNINEWS_LOG_DIR"
LOG_KEEP = 100  # per-run log files kept per site; older ones are deleted when a run starts
_ERROR_LINE = re.compile(r"^[\w.]*(Error|Exception|Exit|Interrupt)\b")


# --- triggers -------------------------------------------------------------------------------
# cron_trigger moved to scheduler.cron: site validation needs it without the rest of this module.
def last_missed_fire(trigger: CronTrigger, since: datetime, now: datetime) -> datetime | None:
    """The latest fire time in (since, now], or None when the schedule has not come round since."""
    fire = trigger.get_next_fire_time(None, since + timedelta(microseconds=1))
    if fire is None or fire > now:
        return None
    for _ in range(100_000):  # a minutely schedule and a week's downtime is ~10k steps
        nxt = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
        if nxt is None or nxt > now:
            return fire
        fire = nxt
    return now


# --- logs -----------------------------------------------------------------------------------
def log_dir() -> Path:
    """Where per-run logs go: `$UNINEWS_LOG_DIR`, else `$XDG_STATE_HOME/uninews/logs`."""
    env = os.environ.get(LOG_DIR_ENV)
    if env:
        return Path(env).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state) / "uninews" / "logs"


def run_log_path(site: str, run_id: str) -> Path:
    return log_dir() / site / f"{run_id}.log"


def _prune_logs(folder: Path, keep: int = LOG_KEEP) -> None:
    try:
        logs = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in logs[keep:]:
            old.unlink(missing_ok=True)
    except OSError as exc:  # a log we cannot delete must not stop a crawl
        logger.warning("cannot prune old logs in %s: %s", folder, exc)


def last_words(path: Path, limit: int = 300) -> str:
    """What a dead child last said: its last error line if it printed one, else its last line."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16384))
            tail = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    # The header line is the daemon's, not the child's.
    lines = [ln.strip() for ln in tail.splitlines() if ln.strip() and not ln.startswith("# run ")]
    for line in reversed(lines):
        # `uninews: error: …` from the CLI, or the last line of a Python traceback.
        if line.startswith("uninews: ") or _ERROR_LINE.match(line):
            return line[:limit]
    return lines[-1][:limit] if lines else ""


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


# --- runs -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CrawlConfig:
    """What every scheduled crawl gets, whatever the site."""

    store_uri: str
    sites_dir: Path | None = None
    base_urls: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    run_timeout: float = 3 * 3600  # unless the site file says otherwise
    grace: float = 30.0  # between SIGTERM and SIGKILL


def crawl_command(site: str, config: CrawlConfig, run_id: str) -> list[str]:
    """The child's argv. The store travels in the environment (`$UNINEWS_STORE`), not here,
    so a MongoDB password never shows in `ps`."""
    cmd = [sys.executable, "-m", "uninews", "crawl", site]
    if config.sites_dir:
        cmd += ["--sites-dir", str(config.sites_dir)]
    if site in config.base_urls:
        cmd += ["--base-url", config.base_urls[site]]
    for key, value in config.settings.items():
        cmd += ["-s", f"{key}={value}"]
    return [*cmd, "--run-id", run_id]


LOST = "failed (node lost)"  # what _settle says of a run it recorded failed because its node went


@dataclass
class Ended:
    """How a crawl's process or job ended, for when its run record does not say."""

    clean: bool  # exit status 0 / the job finished
    how: str  # "exit code 2: uninews: error: …", "killed by SIGKILL", "node … stopped answering"
    lost: bool = False  # its node went away: the run may go again elsewhere


class Job(Protocol):
    """A crawl started by an executor: a local process, or a job on a Scrapyd node."""

    pid: int | None
    node: str | None  # the Scrapyd node's URL; None for a local process

    def wait(self, timeout: float | None) -> Ended | None:
        """How it ended, or None if it still runs after `timeout` seconds (None: no limit)."""

    def stop(self) -> None:
        """Ask it to stop cleanly: the crawl stores what is in flight, records `interrupted`."""

    def kill(self) -> None:
        """Stop it at once."""


class Executor(Protocol):
    """Where crawls run: `LocalExecutor` (a process each, the default) or `ScrapydExecutor`."""

    attempts: int  # how many times a run whose node was lost is tried (on other nodes)

    def start(self, site: str, run_id: str, started_at: str) -> Job:
        """Start a crawl of `site` recording its run as `run_id`; StartError if it cannot."""

    def where(self) -> str:
        """One line for the daemon's start-up log."""

    def state(self) -> dict[str, str]:
        """Each node's state for the heartbeat (none for local crawls)."""


class StartError(Exception):
    """A crawl could not be started; the message says why in one line."""


class LocalExecutor:
    """Each crawl is `uninews crawl` in a child process of the daemon, with a log file of its own."""

    attempts = 1

    def __init__(self, config: CrawlConfig) -> None:
        self.config = config

    def where(self) -> str:
        return f"here, each in its own process (logs in {log_dir()})"

    def state(self) -> dict[str, str]:
        return {}

    def start(self, site: str, run_id: str, started_at: str) -> LocalJob:
        log_path = run_log_path(site, run_id)
        cmd = crawl_command(site, self.config, run_id)
        env = dict(os.environ, UNINEWS_STORE=self.config.store_uri, PYTHONUNBUFFERED="1")
        log: IO[bytes] | None = None
        try:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            _prune_logs(log_path.parent, LOG_KEEP - 1)
            log = open(log_path, "ab")  # noqa: SIM115  (the child owns it; closed below)
            log.write(f"# run {run_id} of {site}, started {started_at}\n".encode())
            log.flush()
            # A session of its own: a Ctrl-C in the daemon's terminal reaches the daemon
            # only, which forwards one SIGTERM; and SIGKILL can take the whole group
            # (extraction workers included) with os.killpg.
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            raise StartError(f"cannot start a crawl: {exc}") from None
        finally:
            if log is not None:
                log.close()  # the child has its own descriptor now
        logger.info("%s: run %s started (pid %d, log %s)", site, run_id, proc.pid, log_path)
        return LocalJob(proc, log_path)


class LocalJob:
    node: str | None = None

    def __init__(self, proc: subprocess.Popen[bytes], log_path: Path) -> None:
        self.proc = proc
        self.pid: int | None = proc.pid
        self.log_path = log_path

    def wait(self, timeout: float | None) -> Ended | None:
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        if code != 0:
            # Whatever killed the child may have left extraction workers behind.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        how = describe_exit(code)
        said = last_words(self.log_path) if code > 0 else ""  # a kill says nothing
        if said:
            how += f": {said}"
        if code == 0:
            how = "exited without recording how the run ended"
        return Ended(clean=code == 0, how=how)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)


@dataclass
class Child:
    """A crawl in flight."""

    site: str
    run_id: str
    job: Job
    started_at: str  # ISO UTC, as the store writes it
    started: float  # time.monotonic()
    timeout: float
    stop_reason: str | None = None  # "timeout" or "shutdown" once the daemon asked it to stop
    killed: bool = False


class CrawlRunner:
    """Runs crawls through an executor, at most one per site, and records how each one ended.

    `run` is the APScheduler job function: it blocks its executor thread until the crawl ends,
    which is what makes the thread pool's size the limit on parallel crawls.
    """

    def __init__(
        self,
        store: ArchiveStore,
        config: CrawlConfig,
        sites: dict[str, Site],
        on_change: Callable[[], None] = lambda: None,
        executor: Executor | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.sites = sites  # replaced whole on reload; read at the start of each run
        self.on_change = on_change
        self.executor: Executor = executor or LocalExecutor(config)
        self._lock = threading.Lock()
        self._children: dict[str, Child] = {}
        self._starting: set[str] = set()  # sites whose run is being placed right now
        self._stopping = False

    # --- what the daemon asks --------------------------------------------------------------
    def running(self) -> list[str]:
        """The sites crawling now, including those whose run is being placed."""
        with self._lock:
            return sorted(set(self._children) | self._starting)

    def placed(self) -> dict[str, str]:
        """Where each running crawl runs: a Scrapyd node's URL, or "local"."""
        with self._lock:
            return {s: c.job.node or "local" for s, c in sorted(self._children.items())}

    def stop_accepting(self) -> None:
        """No new crawls from now on (jobs already queued in the pool return at once)."""
        with self._lock:
            self._stopping = True

    def _shutting_down(self) -> list[Child]:
        """The running children, each marked as stopped by the daemon's shutdown."""
        with self._lock:
            children = list(self._children.values())
            for child in children:
                child.stop_reason = child.stop_reason or "shutdown"
        return children

    def terminate_all(self) -> None:
        """Ask every crawl to stop: it finishes in-flight work and records `interrupted`."""
        for child in self._shutting_down():
            logger.info("%s: asking run %s to stop", child.site, child.run_id)
            child.job.stop()

    def kill_all(self) -> None:
        for child in self._shutting_down():
            logger.warning("%s: killing run %s", child.site, child.run_id)
            self._kill(child)

    # --- one run ---------------------------------------------------------------------------
    def run(self, name: str) -> None:
        site = self.sites.get(name)
        if site is None:
            logger.warning("%s: no such site any more; nothing to run", name)
            return
        timeout = float(site.run_timeout or self.config.run_timeout)
        for attempt in range(1, self.executor.attempts + 1):
            if not self._run_once(site.name, timeout):
                return
            if attempt < self.executor.attempts:
                logger.warning("%s: its node was lost; running it again elsewhere", site.name)

    def _run_once(self, site: str, timeout: float) -> bool:
        """One run; True when it should go again: its node was lost before the crawl said how
        it ended (a crawl that recorded its end, a timeout, a shutdown: never again)."""
        child = self._spawn(site, timeout)
        if child is None:
            return False
        self.on_change()
        status = "failed"
        again = False
        try:
            ended = self._wait(child)
            status = self._settle(child, ended)
            again = status == LOST and child.stop_reason is None
            with self._lock:
                again = again and not self._stopping
        finally:
            with self._lock:
                self._children.pop(child.site, None)
            self.on_change()
            logger.info(
                "%s: run %s ended: %s after %.0fs",
                child.site,
                child.run_id,
                status,
                time.monotonic() - child.started,
            )
        return again

    def _spawn(self, site: str, timeout: float) -> Child | None:
        run_id = uuid.uuid4().hex[:12]
        with self._lock:
            if self._stopping:
                logger.info("%s: not starting a run: the daemon is stopping", site)
                return None
            if site in self._children or site in self._starting:
                # max_instances=1 makes this unreachable; belt and braces
                logger.warning("%s: a run is still going; not starting another", site)
                return None
            self._starting.add(site)
        # Outside the lock: placing a run on a node means calls over the network, and the
        # heartbeat and the shutdown must not wait behind them.
        started_at = utcnow()
        try:
            job = self.executor.start(site, run_id, started_at)
        except Exception as exc:  # StartError says why; anything else is a fault of ours
            with self._lock:
                self._starting.discard(site)
            if not isinstance(exc, StartError):
                logger.exception("%s: cannot start a run", site)
                exc = StartError(f"cannot start a run: {exc!r}")
            logger.error("%s: %s", site, exc)
            self._record(
                RunRecord(site=site, started_at=started_at, id=run_id), False, "failed", {},
                str(exc),
            )  # fmt: skip
            return None
        child = Child(
            site=site,
            run_id=run_id,
            job=job,
            started_at=started_at,
            started=time.monotonic(),
            timeout=timeout,
        )
        with self._lock:
            self._starting.discard(site)
            self._children[site] = child
            stopping = self._stopping
            if stopping:  # the shutdown began while it started: it missed this one
                child.stop_reason = "shutdown"
        if stopping:
            job.stop()
        return child

    def _wait(self, child: Child) -> Ended:
        """Wait for the crawl; past its timeout, ask it to stop, then kill it after the grace."""
        remaining = child.started + child.timeout - time.monotonic()
        ended = child.job.wait(max(0.0, remaining))
        if ended is not None:
            return ended
        with self._lock:
            shutting_down = child.stop_reason is not None
            child.stop_reason = child.stop_reason or "timeout"
        if shutting_down:  # the daemon's shutdown is already stopping it; don't ask twice
            return _until_ended(child.job)
        logger.warning(
            "%s: run %s exceeded its %.0fs timeout; asking it to stop",
            child.site,
            child.run_id,
            child.timeout,
        )
        child.job.stop()
        ended = child.job.wait(self.config.grace)
        if ended is not None:
            return ended
        logger.warning(
            "%s: run %s still going %.0fs after it was asked to stop; killing it",
            child.site,
            child.run_id,
            self.config.grace,
        )
        self._kill(child)
        return _until_ended(child.job)

    def _settle(self, child: Child, ended: Ended) -> str:
        """Make the store say how the run ended, when the crawl could not say it itself."""
        try:
            record = self._find_run(child)
        except Exception:
            logger.exception("%s: cannot read run %s back from the store", child.site, child.run_id)
            return "unknown"
        recorded = record.status if record else None
        counts = dict(record.counts) if record else {}
        seconds = time.monotonic() - child.started
        if child.stop_reason == "timeout" and recorded in (None, "running", "interrupted"):
            how = "killed" if child.killed else "stopped"
            error = f"{how} after {seconds:.0f}s (run timeout {child.timeout:.0f}s)"
            self._record(record or self._new_record(child), bool(record), "timeout", counts, error)
            return "timeout"
        if recorded in (None, "running"):
            if child.stop_reason == "shutdown" and not ended.lost:
                status = "interrupted"
                error = f"daemon shutdown; {ended.how}"
            else:
                status = "failed"
                error = ended.how
            self._record(record or self._new_record(child), bool(record), status, counts, error)
            # A run its node lost is recorded failed; the runner may send it elsewhere.
            return LOST if ended.lost and status == "failed" else status
        return recorded or "unknown"

    def _new_record(self, child: Child) -> RunRecord:
        return RunRecord(
            site=child.site,
            started_at=child.started_at,
            pid=child.job.pid,
            id=child.run_id,
            node=child.job.node,
        )

    def _find_run(self, child: Child) -> RunRecord | None:
        # The child's run is the latest of its site unless someone ran `uninews crawl` meanwhile.
        for run in self.store.runs(child.site, limit=10):
            if run.id == child.run_id:
                return run
        return None

    def _record(
        self, run: RunRecord, exists: bool, status: str, counts: dict[str, int], error: str
    ) -> None:
        """Record the end of a run the crawl did not finish recording (or never started)."""
        assert run.id is not None
        try:
            if not exists:
                self.store.start_run(run)
            self.store.finish_run(run.id, status, counts, error)
        except Exception:
            logger.exception("%s: cannot record run %s as %s", run.site, run.id, status)
            return
        logger.info("%s: run %s recorded as %s: %s", run.site, run.id, status, error)

    def _kill(self, child: Child) -> None:
        child.killed = True
        child.job.kill()


def _until_ended(job: Job) -> Ended:
    ended = job.wait(None)
    assert ended is not None  # no time limit
    return ended


def utc_iso(dt: datetime) -> str:
    """A datetime as the store writes instants: ISO 8601 UTC with Z."""
    return dt.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
