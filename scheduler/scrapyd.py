"""Crawls on Scrapyd nodes: placed with schedule.json, followed with listjobs.json, stopped with cancel.json."""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

from scheduler.jobs import CrawlConfig, Ended, StartError

logger = logging.getLogger(__name__)

PROJECT = "uninews"
SPIDER = "news"  # crawler/commands/crawl.py turns it into a whole uninews crawl
HTTP_TIMEOUT = 10.0  # seconds for one call to a node
AUTH_ENV = "UNINEWS_SCRAPYD_AUTH"  # USER:PASSWORD for nodes that require it


class NodeError(Exception):
    """A node did not answer, or answered with an error; the message says which and why.

    unsure: the request may have reached the node all the same (it timed out or the connection
    broke after it was sent): a job it asked for may exist.
    """

    def __init__(self, message: str, *, unsure: bool = False) -> None:
        super().__init__(message)
        self.unsure = unsure


@dataclass
class Node:
    url: str
    down_until: float = 0.0  # time.monotonic(): skipped until then, then asked again
    why: str = ""  # what it last said (or that it did not answer), while it is skipped
    placed: int = 0  # runs this daemon placed on it (ties go to the one with fewer)

    def up(self) -> bool:
        return time.monotonic() >= self.down_until


class ScrapydExecutor:
    """Runs each crawl as a job on the Scrapyd node with the fewest jobs.

    The daemon stays the one place that decides what runs when; the nodes only execute. A node
    that does not answer is skipped for `node_timeout` seconds while the others keep working.
    A run whose node stops answering (or forgets the job) is recorded as failed and goes again
    on another node; should the first crawl still be alive somewhere, it holds the site's lock
    in the store, so the second is `skipped`, never run twice.
    """

    def __init__(
        self,
        nodes: list[str],
        config: CrawlConfig,
        *,
        project: str = PROJECT,
        poll: float = 5.0,
        node_timeout: float = 60.0,
    ) -> None:
        if not nodes:
            raise ValueError("no Scrapyd node")
        self.nodes = [Node(u.rstrip("/")) for u in nodes]
        self.config = config
        self.project = project
        self.poll = poll
        self.node_timeout = node_timeout
        # A lost node's run goes again, on another node each time it is lost.
        self.attempts = len(self.nodes)
        # Scrapyd's basic auth (its username/password settings), from the environment only:
        # in a node's URL it would show in the run history, the heartbeat and the logs.
        user, _, password = os.environ.get(AUTH_ENV, "").partition(":")
        auth = (user, password) if user else None
        self._client = httpx.Client(timeout=HTTP_TIMEOUT, auth=auth)
        self._place = threading.Lock()  # one placement at a time: each sees the others' jobs

    def where(self) -> str:
        return f"on Scrapyd node(s) {', '.join(n.url for n in self.nodes)} (project {self.project})"

    def state(self) -> dict[str, str]:
        """Each node: up, or skipped for now, and why (it did not answer, or refused a run)."""
        return {n.url: "up" if n.up() else f"skipped: {n.why}" for n in self.nodes}

    # --- HTTP ------------------------------------------------------------------------------
    def call(self, node: Node, endpoint: str, data: Any = None) -> dict[str, Any]:
        """One call to a node's JSON API; NodeError when it does not answer or says error."""
        url = f"{node.url}/{endpoint}"
        try:
            if data is None:
                answer = self._client.get(url, params={"project": self.project})
            else:
                answer = self._client.post(url, data=data)
            answer.raise_for_status()
            doc = answer.json()
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # nothing reached it
            raise NodeError(f"{node.url} does not answer: {exc or type(exc).__name__}") from None
        except httpx.HTTPStatusError as exc:
            raise NodeError(f"{node.url} answered {exc.response.status_code}") from None
        except httpx.HTTPError as exc:  # sent, then no (whole) answer
            why = exc or type(exc).__name__
            raise NodeError(f"{node.url} did not finish answering: {why}", unsure=True) from None
        except ValueError:
            raise NodeError(f"{node.url}/{endpoint} answered with no JSON") from None
        if not isinstance(doc, dict) or doc.get("status") != "ok":
            message = doc.get("message") if isinstance(doc, dict) else doc
            raise NodeError(f"{node.url} says: {str(message).strip()[:300]}")
        return doc

    def _down(self, node: Node, why: str) -> None:
        if node.up():
            logger.warning("Scrapyd node skipped for %.0fs: %s", self.node_timeout, why)
        node.down_until = time.monotonic() + self.node_timeout
        node.why = why

    # --- placing a run ---------------------------------------------------------------------
    def _loads(self) -> list[tuple[int, int, Node]]:
        """(jobs pending or running, runs placed here, node) of each node that answers."""
        out = []
        for node in self.nodes:
            if not node.up():
                continue
            try:
                doc = self.call(node, "daemonstatus.json")
            except NodeError as exc:
                self._down(node, str(exc))
                continue
            out.append((int(doc.get("running", 0)) + int(doc.get("pending", 0)), node.placed, node))
        return out

    def _arguments(self, site: str, run_id: str, node: Node) -> dict[str, str | list[str]]:
        """schedule.json's form: the spider's arguments (crawler/commands/crawl.py reads them)
        and the settings of every crawl. The store is the node's $UNINEWS_STORE, never sent:
        a password would show in the node's process list and job queue."""
        data: dict[str, str | list[str]] = {
            "project": self.project, "spider": SPIDER, "jobid": run_id,
            "site": site, "run_id": run_id, "node": node.url,
        }  # fmt: skip
        if self.config.sites_dir:
            data["sites_dir"] = str(self.config.sites_dir)
        if site in self.config.base_urls:
            data["base_url"] = self.config.base_urls[site]
        data["setting"] = [f"{k}={v}" for k, v in self.config.settings.items()]
        return data

    def start(self, site: str, run_id: str, started_at: str) -> ScrapydJob:
        with self._place:
            for _, _, node in sorted(self._loads(), key=lambda x: (x[0], x[1])):
                try:
                    self.call(node, "schedule.json", self._arguments(site, run_id, node))
                except NodeError as exc:
                    self._down(node, str(exc))
                    if not exc.unsure:
                        continue
                    # It may hold the job: follow it there rather than place the same run
                    # twice. If it does not, the job is "gone" and the run goes again.
                    logger.warning("%s: run %s may be on %s: %s", site, run_id, node.url, exc)
                node.placed += 1
                logger.info("%s: run %s scheduled on %s", site, run_id, node.url)
                return ScrapydJob(self, node, run_id)
        # Every node is skipped now: each for what it last said.
        raise StartError(f"no Scrapyd node took the run: {'; '.join(n.why for n in self.nodes)}")


class ScrapydJob:
    """A run placed on a node, followed through the node's job lists."""

    pid: int | None = None

    def __init__(self, executor: ScrapydExecutor, node: Node, job_id: str) -> None:
        self.executor = executor
        self._node = node
        self.node: str | None = node.url
        self.job_id = job_id
        self._silent_since: float | None = None
        self._cancelled = False
        self._kill_sent = 0.0  # time.monotonic() of the last KILL asked for

    def _where(self) -> tuple[str, dict[str, Any]] | None:
        """("pending"|"running"|"finished", the job's entry), ("gone", {}), or None: no answer."""
        try:
            doc = self.executor.call(self._node, "listjobs.json")
        except NodeError:
            return None
        for state in ("pending", "running", "finished"):
            for entry in doc.get(state) or []:
                if entry.get("id") == self.job_id:
                    return state, entry
        return "gone", {}

    def wait(self, timeout: float | None) -> Ended | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = self.executor.poll
        while True:
            found = self._where()
            now = time.monotonic()
            if found is None:
                self._silent_since = self._silent_since or now
                silent = now - self._silent_since
                if silent >= self.executor.node_timeout:
                    self.executor._down(self._node, f"{self.node} stopped answering")
                    return Ended(
                        clean=False,
                        how=f"node {self.node} stopped answering for {silent:.0f}s during the run",
                        lost=True,
                    )
            else:
                self._silent_since = None
                state, entry = found
                if state == "running" and self.pid is None:
                    self.pid = entry.get("pid")
                if state == "running" and self._kill_sent and now - self._kill_sent >= pause:
                    self._cancel("KILL")  # the last one was lost or not yet acted on
                if state == "finished":
                    log = (
                        f" (its log: {self.node}{entry['log_url']})" if entry.get("log_url") else ""
                    )
                    if self._cancelled:  # stopped while it started, before it had a run
                        return Ended(clean=False, how=f"cancelled on {self.node}{log}")
                    return Ended(
                        clean=True,
                        how=f"job {self.job_id} ended on {self.node} without recording how its"
                        f" run ended in this store{log}; is the node's $UNINEWS_STORE this"
                        " daemon's store?",
                    )
                if state == "gone":
                    if self._cancelled:
                        return Ended(clean=False, how=f"cancelled on {self.node} before it started")
                    how = f"node {self.node} no longer knows job {self.job_id} (restarted?)"
                    self.executor._down(self._node, how)  # the retry goes to another node
                    return Ended(clean=False, how=how, lost=True)
            if deadline is not None and now >= deadline:
                return None
            time.sleep(pause if deadline is None else max(0.0, min(pause, deadline - now)))

    def _cancel(self, signal: str) -> None:
        self._cancelled = True
        if signal == "KILL":
            self._kill_sent = time.monotonic()
        data = {"project": self.executor.project, "job": self.job_id, "signal": signal}
        try:
            self.executor.call(self._node, "cancel.json", data)
        except NodeError as exc:
            logger.warning("cannot cancel job %s: %s", self.job_id, exc)

    def stop(self) -> None:
        # SIGINT, Scrapyd's default: the crawl stores what it has in flight, records the run.
        self._cancel("INT")

    def kill(self) -> None:
        # The crawl's extraction workers exit when it dies (they watch a pipe only it writes).
        # Asked again while the job still runs (wait): a cancel that got lost must not leave
        # a crawl going past its timeout.
        self._kill_sent = time.monotonic()
        self._cancel("KILL")
