"""Real Scrapyd nodes on 127.0.0.1 for the cluster tests: each in a folder of its own, deployed to
with scrapyd-deploy the way an operator deploys."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ScrapydNode:
    """`scrapyd` in `folder` on a free port, in a process group of its own (so a test can kill
    the node with everything it runs, as a machine that dies would)."""

    def __init__(self, folder: Path, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.folder = folder / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        # poll_interval: how soon a scheduled job starts (5 s by default); max_proc: two crawls.
        (self.folder / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            f"bind_address = 127.0.0.1\nhttp_port = {self.port}\n"
            f"eggs_dir = {self.folder / 'eggs'}\nlogs_dir = {self.folder / 'logs'}\n"
            f"dbs_dir = {self.folder / 'dbs'}\nitems_dir =\n"
            "poll_interval = 0.2\nmax_proc = 2\njobs_to_keep = 20\n",
            encoding="utf-8",
        )

    def start(self) -> ScrapydNode:
        log = open(self.folder / "scrapyd.log", "ab")  # noqa: SIM115  (the child owns it)
        self.proc = subprocess.Popen(
            [str(BIN / "scrapyd"), "--nodaemon", "--pidfile=", "-l", "-"],
            cwd=self.folder,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 30
        while True:
            try:
                self.get("daemonstatus.json")
                return self
            except (OSError, ValueError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"scrapyd {self.name} did not start:\n{self.log()}"
                    ) from None
                time.sleep(0.1)

    def get(self, endpoint: str, **params: str) -> dict[str, Any]:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        with urllib.request.urlopen(f"{self.url}/{endpoint}?{query}", timeout=10) as answer:
            doc: dict[str, Any] = json.load(answer)
        return doc

    def jobs(self) -> dict[str, list[dict[str, Any]]]:
        try:
            return self.get("listjobs.json", project="uninews")
        except (OSError, urllib.error.URLError):
            return {}

    def log(self) -> str:
        path = self.folder / "scrapyd.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def job_logs(self) -> str:
        logs = sorted((self.folder / "logs").rglob("*.log"))
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}" for p in logs)

    def kill(self) -> None:
        """Like the machine dying: the node and every crawl it runs, at once."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def deploy(nodes: list[ScrapydNode], config_home: Path) -> subprocess.CompletedProcess[str]:
    """`scrapyd-deploy -a -p uninews` from the project's root, with the nodes as deploy targets
    in the user's scrapy.cfg ($XDG_CONFIG_HOME), as an operator would name them."""
    config_home.mkdir(parents=True, exist_ok=True)
    (config_home / "scrapy.cfg").write_text(
        "".join(f"[deploy:{n.name}]\nurl = {n.url}/\nproject = uninews\n\n" for n in nodes),
        encoding="utf-8",
    )
    env = dict(os.environ, XDG_CONFIG_HOME=str(config_home))
    return subprocess.run(
        [str(BIN / "scrapyd-deploy"), "-a", "-p", "uninews", "--version", "test"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
