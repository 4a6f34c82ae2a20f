"""`uninews daemon`: APScheduler 3.x runs each site's crawl on its schedule, in a subprocess."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler import __version__
from crawler.sites import Site, SiteError, load_sites_tolerant
from scheduler.jobs import (
    CrawlConfig,
    CrawlRunner,
    Executor,
    LocalExecutor,
    cron_trigger,
    last_missed_fire,
    log_dir,
    utc_iso,
)
from storage import ArchiveStore, StorageError, open_store
from storage.base import Lease
from storage.common import utcnow

logger = logging.getLogger(__name__)

HEARTBEAT_NAME = "daemon"
LOCK_NAME = "daemon"  # one daemon per store: a lock the OS (or a lease) frees when it dies
HEARTBEAT_INTERVAL = 10.0  # seconds; `uninews status` calls a daemon dead after 3 of these
CRON_JITTER = 30  # seconds: sites sharing a schedule line don't all start on the same tick
SETTLE_TIMEOUT = 15.0  # after SIGKILL, how long the job threads get to record their runs
# The heartbeats of daemons waiting for the store's lease: STANDBY_NAME + "host:pid", one each
# (several may wait; one shared heartbeat showed only the last to beat).
STANDBY_NAME = "standby:"
STANDBY_POLL = 1.0  # seconds between a standby's tries to take the lease


@dataclass
class DaemonOptions:
    """`uninews daemon`'s options, as the CLI parsed them."""

    store_uri: str
    sites_dir: Path | None = None
    only: list[str] | None = None
    max_parallel: int = 2
    run_timeout: float = 3 * 3600
    grace: float = 30.0
    every: float | None = None  # tests and demos: every site every N seconds instead of cron
    base_urls: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    # Where crawls run: "local" (a process each) or "scrapyd" (jobs on these nodes).
    executor: str = "local"
    scrapyd_nodes: list[str] = field(default_factory=list)
    scrapyd_project: str = "uninews"
    poll: float = 5.0  # seconds between looks at a node's job lists
    node_timeout: float = 60.0  # a node silent this long has lost its run


def job_id(site: str) -> str:
    return f"crawl:{site}"


def build_scheduler(max_parallel: int) -> BackgroundScheduler:
    """The scheduler and the misfire policy (docs/scheduler.md says why).

    - max_instances=1: a site never crawls twice at once; a time that comes round while its
      previous run still goes is skipped with a warning (that run is the crawl).
    - coalesce=True: runs missed while the daemon was busy or asleep happen once, not N times.
    - misfire_grace_time=None: ... and they do happen, however late. APScheduler's default is
      1 s, which would silently drop a run queued behind `max_parallel` long crawls.
    """
    return BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(max_workers=max_parallel)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=UTC,
    )


class Daemon:
    """Owns the scheduler, the crawl runner, the heartbeat and the signal handling."""

    def __init__(self, opts: DaemonOptions, store: ArchiveStore) -> None:
        self.opts = opts
        self.store = store
        self.sites: dict[str, Site] = self._load_sites()
        self.scheduler = build_scheduler(opts.max_parallel)
        config = CrawlConfig(
            store_uri=opts.store_uri,
            sites_dir=opts.sites_dir,
            base_urls=dict(opts.base_urls),
            settings=dict(opts.settings),
            run_timeout=opts.run_timeout,
            grace=opts.grace,
        )
        self.executor: Executor = LocalExecutor(config)
        if opts.executor == "scrapyd":
            from scheduler.scrapyd import ScrapydExecutor

            self.executor = ScrapydExecutor(
                opts.scrapyd_nodes,
                config,
                project=opts.scrapyd_project,
                poll=opts.poll,
                node_timeout=opts.node_timeout,
            )
        self.runner = CrawlRunner(
            store, config, self.sites, on_change=self._poke_heartbeat, executor=self.executor
        )
        self.started_at = utcnow()
        self._signals = 0  # SIGTERM/SIGINT received; handlers only touch these two fields
        self._reload_requested = False
        self._beat_wake = threading.Event()
        self._beat_stop = threading.Event()
        self._stopped = False

    # --- sites and jobs --------------------------------------------------------------------
    def _load_sites(self) -> dict[str, Site]:
        # One broken site file must not stop the others' crawls: it is reported and skipped,
        # unless it is one the daemon was told to run (--only).
        sites, errors = load_sites_tolerant(self.opts.sites_dir)
        wanted = set(self.opts.only or [])

        def concerns(err: SiteError, names: set[str]) -> bool:
            return bool({err.site, err.path.stem if err.path else None} & names)

        for err in errors:
            if not wanted or concerns(err, wanted):
                logger.error("Site file skipped: %s", err)
        if self.opts.only:
            unknown = wanted - set(sites)
            broken = [e for e in errors if concerns(e, unknown)]
            if broken:
                raise broken[0]
            if unknown:
                raise SiteError(
                    f"unknown site(s) in --only: {', '.join(sorted(unknown))} "
                    f"(known: {', '.join(sorted(sites))})"
                )
            sites = {n: s for n, s in sites.items() if n in wanted}
        if not sites:
            raise SiteError("no sites to schedule")
        return sites

    def _trigger(self, site: Site) -> BaseTrigger:
        if self.opts.every:
            return IntervalTrigger(seconds=self.opts.every, timezone=UTC)
        return cron_trigger(site.schedule, site.timezone, jitter=CRON_JITTER)

    def _catch_up(self, site: Site) -> datetime | None:
        """The schedule time missed while no daemon ran, if any: it runs once, now."""
        if self.opts.every:
            return None
        try:
            runs = [r for r in self.store.runs(site.name, limit=20) if r.kind == "crawl"]
        except Exception as exc:  # the store may be briefly unreachable; the schedule still holds
            logger.warning("%s: cannot read past runs (%s); no catch-up run", site.name, exc)
            return None
        if not runs:
            return None  # never crawled: the first run comes at its scheduled time
        last = datetime.fromisoformat(runs[0].started_at.replace("Z", "+00:00"))
        now = datetime.now(UTC)
        missed = last_missed_fire(cron_trigger(site.schedule, site.timezone), last, now)
        if missed is not None:
            logger.info(
                "%s: the run due %s was missed (last run started %s); running it now",
                site.name,
                utc_iso(missed),
                runs[0].started_at,
            )
        return missed

    def _schedule(self, site: Site, catch_up: bool = False) -> None:
        extra: dict[str, Any] = {}
        missed = self._catch_up(site) if catch_up else None
        if missed is not None:
            # A first fire time in the past: APScheduler's misfire handling (coalesce, no grace
            # limit) turns it into exactly one run now.
            extra["next_run_time"] = missed
        self.scheduler.add_job(
            self.runner.run,
            trigger=self._trigger(site),
            args=[site.name],
            id=job_id(site.name),
            name=job_id(site.name),
            replace_existing=True,
            **extra,
        )

    def _describe(self, site: Site) -> str:
        return (
            f"every {self.opts.every:g}s" if self.opts.every else f"{site.schedule} {site.timezone}"
        )

    def reload(self) -> None:
        """SIGHUP: re-read the site files and rebuild the jobs; a broken file keeps the old ones."""
        try:
            new = self._load_sites()
        except SiteError as exc:
            logger.error("reload failed, keeping the current jobs: %s", exc)
            return
        old = self.sites
        added = sorted(set(new) - set(old))
        removed = sorted(set(old) - set(new))
        changed = sorted(
            n
            for n in set(new) & set(old)
            if (new[n].schedule, new[n].timezone) != (old[n].schedule, old[n].timezone)
        )
        for name in removed:
            if self.scheduler.get_job(job_id(name)):
                self.scheduler.remove_job(job_id(name))
        self.sites = new
        self.runner.sites = new  # runs read their site (run_timeout, listings) when they start
        for name in added + changed:
            self._schedule(new[name])
        parts = [f"added {', '.join(added)}"] if added else []
        parts += [f"removed {', '.join(removed)}"] if removed else []
        parts += [
            f"rescheduled {n} ({old[n].schedule} {old[n].timezone} -> "
            f"{new[n].schedule} {new[n].timezone})"
            for n in changed
        ]
        unchanged = len(new) - len(added) - len(changed)
        logger.info(
            "reloaded site files: %s%s%d schedule(s) unchanged",
            "; ".join(parts),
            "; " if parts else "",
            unchanged,
        )
        self._poke_heartbeat()

    # --- heartbeat -------------------------------------------------------------------------
    def _info(self, state: str = "running") -> dict[str, Any]:
        jobs: dict[str, str | None] = {}
        for job in self.scheduler.get_jobs() if state == "running" else []:
            site = job.id.removeprefix("crawl:")
            jobs[site] = utc_iso(job.next_run_time) if job.next_run_time else None
        return {
            "state": state,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": self.started_at,
            "version": __version__,
            "interval": HEARTBEAT_INTERVAL,
            "sites": sorted(self.sites),
            "schedules": {n: self._describe(s) for n, s in sorted(self.sites.items())},
            "jobs": jobs,
            "running": self.runner.running(),
            "placed": self.runner.placed(),
            "executor": self.opts.executor,
            "nodes": self.executor.state(),
            "max_parallel": self.opts.max_parallel,
            "log_dir": str(log_dir()),
        }

    def beat(self, state: str = "running") -> None:
        try:
            self.store.heartbeat(HEARTBEAT_NAME, self._info(state))
        except Exception as exc:  # a store hiccup must not stop the daemon; next beat retries
            logger.warning("heartbeat failed: %s", exc)

    def _poke_heartbeat(self) -> None:
        self._beat_wake.set()

    def _heartbeat_loop(self) -> None:
        while not self._beat_stop.is_set():
            self.beat()
            # Woken early when a run starts or ends, so `uninews status` shows it promptly.
            self._beat_wake.wait(HEARTBEAT_INTERVAL)
            self._beat_wake.clear()

    def _standby_beat(self, state: str, **more: Any) -> None:
        name = f"{STANDBY_NAME}{socket.gethostname()}:{os.getpid()}"
        self.store.heartbeat(name, {**self._lease_info(), "state": state, **more})

    def _lease_info(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "host": socket.gethostname(), "since": self.started_at}

    def _take_lease(self) -> Lease | None:
        """The store's lease: one daemon schedules; another one waits as a hot standby.

        Two daemons on one store would crawl every site twice. The second waits, trying for
        the lease every STANDBY_POLL seconds, and takes over when the first stops or dies (on
        SQLite an OS lock, free the moment its holder dies; on MongoDB a lease its holder
        renews, expired LEASE_SECONDS after it stops). None: stopped while waiting.
        """
        lease = self.store.lock(LOCK_NAME, self._lease_info())
        if lease is not None:
            return lease
        who = self.store.lock_holder(LOCK_NAME) or {}
        logger.warning(
            "standby: another daemon (pid %s on %s, since %s) holds this store's lease; taking"
            " over when it stops",
            who.get("pid", "?"),
            who.get("host", "?"),
            who.get("since", "?"),
        )
        waiting = time.monotonic()
        beat = 0.0
        while not self._signals:
            if time.monotonic() - beat >= HEARTBEAT_INTERVAL:
                beat = time.monotonic()
                with contextlib.suppress(Exception):  # a store hiccup: the next beat retries
                    self._standby_beat("standby", interval=HEARTBEAT_INTERVAL)
            time.sleep(STANDBY_POLL)
            try:
                lease = self.store.lock(LOCK_NAME, self._lease_info())
            except StorageError as exc:
                logger.warning("standby: cannot reach the store: %s", exc)
                continue
            if lease is not None:
                logger.warning(
                    "took over the store's lease from pid %s on %s after %.1fs in standby",
                    who.get("pid", "?"),
                    who.get("host", "?"),
                    time.monotonic() - waiting,
                )
                with contextlib.suppress(Exception):
                    self._standby_beat("active")
                return lease
        return None

    # --- signals ---------------------------------------------------------------------------
    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        # Signal handlers only set flags: the main loop does the work (no locks taken here).
        self._signals += 1

    def _on_hup(self, signum: int, frame: FrameType | None) -> None:
        self._reload_requested = True

    def _install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        signal.signal(signal.SIGINT, self._on_stop_signal)
        signal.signal(signal.SIGHUP, self._on_hup)

    # --- main ------------------------------------------------------------------------------
    def run(self) -> int:
        self._install_signals()
        lease = self._take_lease()
        if lease is None:
            with contextlib.suppress(Exception):  # gone from `status` at once, not in 30 s
                self._standby_beat("stopped")
            logger.info("daemon stopped (in standby)")
            return 0
        try:
            return self._run(lease)
        finally:
            lease.release()

    def _run(self, lease: Lease) -> int:
        for site in self.sites.values():
            self._schedule(site, catch_up=True)
        self.scheduler.start()
        logger.info(
            "daemon started (pid %d): %d site(s), at most %d crawl(s) at once, store %s;"
            " crawls run %s",
            os.getpid(),
            len(self.sites),
            self.opts.max_parallel,
            _redact(self.opts.store_uri),
            self.executor.where(),
        )
        for job in self.scheduler.get_jobs():
            site = self.sites[job.id.removeprefix("crawl:")]
            logger.info(
                "%s: %s, next run %s",
                site.name,
                self._describe(site),
                utc_iso(job.next_run_time) if job.next_run_time else "-",
            )
        beat = threading.Thread(target=self._heartbeat_loop, name="heartbeat", daemon=True)
        beat.start()
        try:
            while not self._signals:
                if not lease.held():
                    self._lost_lease()
                if self._reload_requested:
                    self._reload_requested = False
                    logger.info("SIGHUP: reloading site files")
                    try:
                        self.reload()
                    except Exception:  # a bad reload must not take the running daemon down
                        logger.exception("reload failed, keeping the current jobs")
                time.sleep(0.2)
        finally:
            self._shutdown()
            self._beat_stop.set()
            self._beat_wake.set()
            beat.join(timeout=5)
            self.beat("stopped")
        logger.info("daemon stopped")
        return 0

    def _lost_lease(self) -> NoReturn:
        """Another daemon may hold the lease now (this one could not renew it in time): two
        must never schedule at once, so this one stops acting at once, as if killed. Its crawls
        go on and record their own runs; their sites' locks keep the new daemon's runs of those
        sites `skipped` meanwhile, and a supervisor restarts this one, as the standby. Nothing
        more is written: a "stopped" heartbeat would overwrite the new holder's."""
        logger.error("lost the store's lease (not renewed in time); exiting, crawls left running")
        logging.shutdown()
        os._exit(1)

    def _shutdown(self) -> None:
        """Stop scheduling; give running crawls `grace` seconds to stop cleanly; kill the rest."""
        if self._stopped:
            return
        self._stopped = True
        self.runner.stop_accepting()
        self.scheduler.shutdown(wait=False)
        running = self.runner.running()
        if running:
            logger.info(
                "stopping: %d crawl(s) running (%s); %.0fs grace",
                len(running),
                ", ".join(running),
                self.opts.grace,
            )
        else:
            logger.info("stopping: no crawl running")
        self.runner.terminate_all()
        deadline = time.monotonic() + self.opts.grace
        while self.runner.running() and time.monotonic() < deadline:
            if self._signals >= 2:
                logger.warning("second stop signal: killing running crawls now")
                break
            time.sleep(0.1)
        if self.runner.running():
            self.runner.kill_all()
        # The job threads record how their runs ended; wait for that bookkeeping.
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while self.runner.running() and time.monotonic() < deadline:
            time.sleep(0.05)


def _redact(uri: str) -> str:
    from storage import redact_uri

    return redact_uri(uri)


def run_daemon(opts: DaemonOptions) -> int:
    """Run until SIGTERM/SIGINT; returns the exit status (0 after a clean stop)."""
    if opts.store_uri.startswith("mongomock:"):
        # Each crawl runs in its own process, and mongomock lives inside one process.
        raise StorageError("the daemon needs a shared store: sqlite:///PATH or mongodb://…")
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        # Our own lines say when each run starts and ends; APScheduler's repeat them.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    store = open_store(opts.store_uri)
    try:
        return Daemon(opts, store).run()
    finally:
        store.close()
