"""Extraction worker processes: immune to the terminal's Ctrl-C until drained, gone when the crawl dies."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from crawler.records import prepare_page_in_worker, set_worker_site
from storage import RawPage
from storage.common import Prepared

if TYPE_CHECKING:
    from crawler.sites import Site

logger = logging.getLogger(__name__)

_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _exit_when_parent_dies(lifeline: Connection) -> None:
    # The crawl holds the only write end: EOF means it is gone (even by kill -9), and a worker
    # left behind would hold 60 MB and the resource tracker forever.
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv()
    os._exit(1)


def _init_worker(site: Site, lifeline: Connection) -> None:
    """Worker start-up: the site, no reaction to stop signals, a watch on the crawl process.

    A Ctrl-C in a terminal reaches the whole process group. The crawl itself stops gracefully
    and waits for the pages in extraction; a worker that died with the signal would lose them.
    """
    for sig in _STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # ignored now, never pending
    set_worker_site(site)
    threading.Thread(target=_exit_when_parent_dies, args=(lifeline,), daemon=True).start()


class ExtractionPool:
    """`workers` processes that turn fetched pages into prepared records for one site.

    The forkserver they fork from is started with SIGINT and SIGTERM blocked, so it (and every
    worker) outlives a signal sent to the process group; the crawl shuts them down when done.
    A pool broken by a killed worker is rebuilt once per page, so one OOM kill costs no page.
    """

    def __init__(self, workers: int, site: Site) -> None:
        self.workers = workers
        self.site = site
        self._ctx = multiprocessing.get_context("forkserver")
        self._lifeline_r: Connection | None = None
        self._lifeline_w: Connection | None = None
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        self._ctx.set_forkserver_preload(["crawler.records"])
        old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            # The forkserver inherits the blocked mask, and every worker inherits it from the
            # forkserver; a signal that arrives meanwhile waits for us, it is not lost.
            from multiprocessing import forkserver

            forkserver.ensure_running()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
        self._lifeline_r, self._lifeline_w = self._ctx.Pipe(duplex=False)
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        assert self._lifeline_r is not None
        init_args: tuple[Any, ...] = (self.site, self._lifeline_r)
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=self._ctx,
            initializer=_init_worker,
            initargs=init_args,
        )

    async def prepare(self, raw: RawPage) -> Prepared | str:
        """The page's prepared record, or why it is not an article (extraction in a worker)."""
        pending = self.submit(raw)
        try:
            return await asyncio.wrap_future(pending[1])
        except BrokenProcessPool:
            return await asyncio.wrap_future(self._again(raw, pending[0]))

    def submit(self, raw: RawPage) -> tuple[ProcessPoolExecutor, Future[Prepared | str]]:
        """Start extracting `raw`; hand the pair to `result` (for callers without a loop)."""
        pool = self._pool
        if pool is None:
            raise RuntimeError("the extraction pool is closed")
        return pool, pool.submit(prepare_page_in_worker, raw)

    def result(
        self, raw: RawPage, pending: tuple[ProcessPoolExecutor, Future[Prepared | str]]
    ) -> Prepared | str:
        try:
            return pending[1].result()
        except BrokenProcessPool:
            return self._again(raw, pending[0]).result()

    def _again(self, raw: RawPage, broken: ProcessPoolExecutor) -> Future[Prepared | str]:
        """The page once more, on new workers when `broken` is still the pool (one dead worker
        breaks every page it had: the first to notice renews the pool for all of them)."""
        if self._pool is None:
            raise RuntimeError("the extraction pool is closed")
        if self._pool is broken:
            logger.warning("An extraction worker died; starting new workers")
            broken.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
        return self._pool.submit(prepare_page_in_worker, raw)

    def close(self) -> None:
        """Wait for the workers to finish what they hold, then let them go."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        for conn in (self._lifeline_w, self._lifeline_r):
            if conn is not None:
                conn.close()
        self._lifeline_r = self._lifeline_w = None
