"""The dashboards' figures are computed once per few seconds and shared: many requests at once
cost one computation, and a new crawl shows up once the figures are renewed."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx

from storage import RunRecord, open_store
from tests.webarchive import populate, serving
from uninews.web.app import create_app
from uninews.web.figures import Figures


class Counting:
    """The store, counting the calls to the dashboards' costly reads."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.calls: dict[str, int] = {}
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.store, name)
        if name not in ("stats", "monthly_counts", "runs"):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            self.entered.set()
            assert self.release.wait(10)
            return attr(*args, **kwargs)

        return counted


def test_figures_are_reused_within_their_time_and_renewed_after(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    populate(store)
    counting = Counting(store)
    now = [0.0]
    figures = Figures(counting, None, ttl=10.0, clock=lambda: now[0])  # type: ignore[arg-type]
    first = figures.site_view("tsinghua")
    assert [(r["kind"], r["status"]) for r in first.runs] == [("revisit", "ok"), ("crawl", "ok")]
    once = dict(counting.calls)  # runs: the site's, and each known site's for the status
    for _ in range(20):
        assert figures.site_view("tsinghua").runs == first.runs
        figures.stats()
        figures.status()
    assert counting.calls == once and once["stats"] == 1
    run_id = store.start_run(RunRecord(site="tsinghua", started_at="2026-12-01T00:00:00.000000Z"))
    store.finish_run(run_id, "failed", {"errors": 1}, "the site was down")
    now[0] = 9.9
    assert len(figures.site_view("tsinghua").runs) == 2  # still the figures of a moment ago
    now[0] = 10.0
    assert [r["status"] for r in figures.site_view("tsinghua").runs] == ["failed", "ok", "ok"]
    assert counting.calls["stats"] == 2
    store.close()


def test_requests_at_once_wait_for_one_computation(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    populate(store)
    counting = Counting(store)
    figures = Figures(counting, None)  # type: ignore[arg-type]
    counting.release.clear()  # the first computation holds on inside stats()
    answers: list[int] = []
    threads = [
        threading.Thread(target=lambda: answers.append(len(figures.stats()))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    assert counting.entered.wait(10)
    counting.release.set()
    for t in threads:
        t.join(10)
    assert answers == [2] * 8 and counting.calls["stats"] == 1
    store.close()


def test_the_served_dashboard_and_api_share_the_figures(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    populate(store)
    counting = Counting(store)
    app = create_app(counting)  # type: ignore[arg-type]
    with serving(app) as base, httpx.Client(base_url=base) as client:
        for path in ("/", "/sites/tsinghua", "/api/sites", "/api/sites/mit/stats") * 5:
            assert client.get(path).status_code == 200, path
        assert client.get("/sites/nowhere").status_code == 404
    assert counting.calls["stats"] == 1 and counting.calls["monthly_counts"] == 2
    store.close()


def test_a_dashboard_being_computed_blocks_no_other_request(tmp_path: Path) -> None:
    """The dashboards' routes run on the event loop when their figures are fresh; when not,
    the computing happens in a worker thread, and every other request is answered meanwhile."""
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    populate(store)
    counting = Counting(store)
    counting.release.clear()  # the dashboard's first figure hangs until released
    with serving(create_app(counting)) as base:  # type: ignore[arg-type]
        answers: list[int] = []
        slow = threading.Thread(
            target=lambda: answers.append(
                httpx.get(f"{base}/sites/tsinghua", timeout=20).status_code
            )
        )
        slow.start()
        assert counting.entered.wait(10)
        with httpx.Client(base_url=base, timeout=5) as client:
            assert client.get("/api/openapi.json").status_code == 200  # on the loop
            assert client.get("/search?q=climate").status_code == 200  # in a thread
        assert answers == []  # still computing
        counting.release.set()
        slow.join(20)
    assert answers == [200]
    store.close()
