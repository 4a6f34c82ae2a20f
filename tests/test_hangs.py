"""Servers and pages that would hang a command: a trickling server, Ctrl-C at any moment.

Each bound here is on a hang (a process that never ends fails the test instead of the run);
how fast things stop is measured by bench/hangs.py.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from crawler.discover import Fetcher
from tests.crawling import FAST, ROOT, cli_env, crawl
from tests.tinysite import ORIGIN, TricklingSite, site_file

HANG = 30  # seconds: far beyond any of these commands' real time, the bound on a hang


def _start(args: list[str]) -> subprocess.Popen[str]:
    """`uninews ARGS` as a script's background job starts it: with SIGINT ignored (an ignored
    signal stays ignored across exec)."""
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "uninews", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(),
            cwd=ROOT,
        )
    finally:
        signal.signal(signal.SIGINT, old)


def _interrupt(proc: subprocess.Popen[str], site: TricklingSite) -> tuple[int, str]:
    """SIGINT once the command is stuck on the server; its exit status and stderr."""
    assert site.asked.wait(HANG), "the command never reached the server"
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=HANG)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"still running {HANG}s after SIGINT")
    return proc.returncode, err


# --- discover and check: a deadline for the whole request -----------------------------------
def test_a_trickling_server_cannot_hold_a_fetch_past_its_deadline(
    caplog: pytest.LogCaptureFixture,
) -> None:
    got: list[object] = []
    with TricklingSite(interval=0.2) as site:
        fetch = Fetcher(ORIGIN, base_url=site.url, delay=0, timeout=1)
        worker = threading.Thread(target=lambda: got.append(fetch.get(ORIGIN + "/news/")))
        with caplog.at_level(logging.WARNING, logger="crawler.discover"):
            worker.start()
            worker.join(HANG)
        assert not worker.is_alive(), "the fetch outlived its deadline"
    assert got == [None]
    assert f"Cannot fetch {ORIGIN}/news/: took longer than 1 seconds" in caplog.text


@pytest.mark.parametrize("command", ["discover", "check"])
def test_ctrl_c_stops_discover_and_check_even_when_started_in_the_background(
    tmp_path: Path, command: str
) -> None:
    site_file(tmp_path)
    with TricklingSite() as site:
        args = [ORIGIN + "/"] if command == "discover" else ["tiny", "--sites-dir", str(tmp_path)]
        proc = _start(["sites", command, *args, "--base-url", site.url])
        status, err = _interrupt(proc, site)
    assert status == 130, err
    assert err.strip().endswith("uninews: interrupted"), err
    assert "Traceback" not in err


# --- crawls ---------------------------------------------------------------------------------
def test_a_crawl_gives_up_on_a_trickling_page_at_its_download_timeout(tmp_path: Path) -> None:
    site_file(tmp_path / "sites")
    store = f"sqlite:///{tmp_path / 'a.db'}"
    with TricklingSite(interval=0.2) as site:
        out = crawl(
            "tiny", tmp_path / "sites", store, site.url,
            "-s", "DOWNLOAD_TIMEOUT=1", "-s", "RETRY_TIMES=0", "-s", "ROBOTSTXT_OBEY=false",
        )  # fmt: skip
    assert out.returncode == 1, out.stderr
    assert "took longer than 1.0 seconds" in out.stderr
    assert "no listing page could be fetched" in out.stdout


def test_ctrl_c_stops_a_crawl_held_by_a_trickling_server(tmp_path: Path) -> None:
    """The graceful stop waits for the pages in flight, but not for ever: the server would hold
    it for DOWNLOAD_TIMEOUT on every retry (robots.txt, then the listing: minutes)."""
    site_file(tmp_path / "sites")
    store = f"sqlite:///{tmp_path / 'a.db'}"
    with TricklingSite() as site:
        proc = _start(
            ["crawl", "tiny", "--sites-dir", str(tmp_path / "sites"), "--store", store,
             "--base-url", site.url, *FAST, "-s", "UNINEWS_STOP_GRACE=2"]
        )  # fmt: skip
        status, err = _interrupt(proc, site)
    assert status == 130, err
    assert "The pages in flight took over 2s" in err
    assert "Traceback" not in err
