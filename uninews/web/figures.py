"""The dashboards' figures (archive stats, the daemon's status, a site's months and runs), each
computed at most once every few seconds and shared by every request meanwhile.

They read every record's summary and every site file (~15 and ~25 ms on 10,000 records), and
the store serves one query at a time: recomputed per request, 50 people on the dashboards
queued for seconds, searches behind them. A figure a few seconds old is as good on a page
about crawls that run for minutes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread

from storage import ArchiveStore
from uninews.web import queries

T = TypeVar("T")
FIGURES_TTL = 10.0  # seconds a figure is reused


class Figures:
    """Cached figures over `store`; `clock` is for tests."""

    def __init__(
        self,
        store: ArchiveStore,
        sites_dir: Path | None,
        ttl: float = FIGURES_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.sites_dir = sites_dir
        self.ttl = ttl
        self.clock = clock
        self._values: dict[Any, tuple[float, Any]] = {}
        self._locks: dict[Any, threading.Lock] = {}
        self._guard = threading.Lock()

    def _get(self, key: Any, compute: Callable[[], T]) -> T:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        # One request computes; those arriving meanwhile wait for its answer instead of
        # queueing the same queries behind it.
        with lock:
            hit = self._values.get(key)
            if hit is not None and self.clock() - hit[0] < self.ttl:
                return hit[1]
            value = compute()
            self._values[key] = (self.clock(), value)
            return value

    def _fresh(self, key: Any) -> Any | None:
        hit = self._values.get(key)
        return hit[1] if hit is not None and self.clock() - hit[0] < self.ttl else None

    async def _off_loop(self, key: Any, compute: Callable[[], T]) -> T:
        """For async routes: a fresh figure at once, on the event loop (no thread to wake,
        no turn to wait for among the threads serving searches); else computed in a worker
        thread, never on the loop."""
        hit = self._fresh(key)
        if hit is not None:
            return hit
        return await anyio.to_thread.run_sync(compute)

    async def status_now(self) -> dict[str, Any]:
        return await self._off_loop("status", self.status)

    async def stats_now(self) -> list[dict[str, Any]]:
        return await self._off_loop("stats", self.stats)

    async def site_view_now(self, name: str) -> queries.SiteView:
        return await self._off_loop(("site", name), lambda: self.site_view(name))

    def titles(self) -> dict[str, str]:
        """Each site's title by name, from its site file (packaged, or in `sites_dir`): the
        names people know; a site without a file has none (its slug is shown)."""
        from crawler.sites import load_sites_tolerant

        def load() -> dict[str, str]:
            return {n: s.title for n, s in load_sites_tolerant(self.sites_dir)[0].items()}

        return self._get("titles", load)

    async def titles_now(self) -> dict[str, str]:
        return await self._off_loop("titles", self.titles)

    def status(self) -> dict[str, Any]:
        from scheduler.status import status_doc

        return self._get("status", lambda: status_doc(self.store, self.sites_dir))

    def stats(self) -> list[dict[str, Any]]:
        return self._get("stats", self.store.stats)

    def site_view(self, name: str) -> queries.SiteView:
        # An unknown name raises NotFound and is not kept: only real sites fill the cache.
        return self._get(
            ("site", name),
            lambda: queries.site_view(
                self.store, name, self.sites_dir, self.status(), stats=self.stats()
            ),
        )
