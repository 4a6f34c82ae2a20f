"""Crawl progress on a terminal: `uninews crawl` under a pseudo-terminal draws a tqdm bar."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crawling import LEGACY_ARTICLE_URL, ROOT, cli_env, write_site
from tests.sitegen import SiteSpec, build_site, serve
from tests.sitegen.model import NEWS_HOST

LISTING = "publish/news/4205/index.html"
# One request at a time with a delay: the crawl lasts a few seconds, so the 0.5 s redraw fires.
SLOW = [
    "-s", "AUTOTHROTTLE_ENABLED=false",
    "-s", "CONCURRENT_REQUESTS=1",
    "-s", "DOWNLOAD_DELAY=0.1",
    "-s", "RETRY_BACKOFF_BASE=0.05",
    "-s", "UNINEWS_EXTRACT_WORKERS=0",
]  # fmt: skip
# "thu: 12 articles [00:02,  6.00 articles/s, eta=?, listing=2, new=11, reached=2015-02-18]"
BAR = re.compile(r"^thu: (\d+) articles \[[^\]]*listing=\d+")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """(sites dir, base URL) of a local news site with one legacy column."""
    root = tmp_path_factory.mktemp("progress")
    build_site(root / "site", SiteSpec(hosts=(NEWS_HOST,)))
    sites = root / "sites"
    write_site(sites, name="thu", base_url="http://news.tsinghua.edu.cn/", listings=[LISTING],
               article_url=LEGACY_ARTICLE_URL)  # fmt: skip
    with serve(root / "site" / NEWS_HOST) as server:
        yield sites, server.url


def under_pty(args: list[str], size: tuple[int, int] | None, timeout: float = 90) -> str:
    """Everything `uninews ARGS` writes to a terminal (stdin, stdout and stderr all on one pty).

    size: (rows, columns) of the terminal, or None for a pty that reports no size (0x0).
    """
    master, slave = pty.openpty()
    if size is not None:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", *size, 0, 0))
    env = cli_env(TERM="xterm", COLUMNS="120")
    for name in [k for k in env if k.startswith("TQDM_")]:
        env.pop(name)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uninews", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    os.close(slave)
    out = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no EOF in {timeout}s; so far: {out[-2000:]!r}")
            ready, _, _ = select.select([master], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer has closed the pty (Linux's EOF)
                break
            if not chunk:
                break
            out += chunk
        assert proc.wait(timeout=max(deadline - time.monotonic(), 1)) == 0, out[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return out.decode("utf-8", "replace")


def crawl_args(site: tuple[Path, str], tmp_path: Path, *extra: str) -> list[str]:
    sites, url = site
    store = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    return ["crawl", "thu", "--sites-dir", str(sites), "--store", store, "--base-url", url,
            *SLOW, *extra]  # fmt: skip


def screen_lines(out: str) -> list[str]:
    """What was drawn at the start of a terminal line: each \\r or \\n starts a new one."""
    return [part.strip() for part in re.split(r"[\r\n]+", out) if part.strip()]


def bar_counts(out: str) -> list[int]:
    return [int(m.group(1)) for line in screen_lines(out) if (m := BAR.match(line))]


@pytest.mark.parametrize(
    "size",
    [(40, 120), None],
    ids=["sized-terminal", "terminal-without-size"],
)
def test_crawl_on_a_terminal_draws_a_progress_bar(
    site: tuple[Path, str], tmp_path: Path, size: tuple[int, int] | None
) -> None:
    out = under_pty(crawl_args(site, tmp_path), size)
    counts = bar_counts(out)
    assert counts, f"no progress bar for thu on the terminal:\n{out!r}"
    assert max(counts) > 0, f"the bar never counted an article:\n{out!r}"
    bars = [line for line in screen_lines(out) if BAR.match(line)]
    assert any("new=" in line and "reached=" in line for line in bars), bars
    assert "thu: ok in" in out, out


def test_quiet_crawl_on_a_terminal_shows_no_progress(
    site: tuple[Path, str], tmp_path: Path
) -> None:
    out = under_pty(crawl_args(site, tmp_path, "-q"), (40, 120))
    assert not bar_counts(out), f"-q drew a progress bar:\n{out!r}"
    assert " articles [" not in out and "Progress:" not in out, out
    assert "thu: ok in" in out, out


def test_log_lines_are_not_glued_onto_the_bar(site: tuple[Path, str], tmp_path: Path) -> None:
    sites, url = site
    # A second listing that does not exist: its error is logged while the bar is up.
    write_site(sites / "missing", name="thu", base_url="http://news.tsinghua.edu.cn/",
               listings=[LISTING, "publish/news/9999/index.html"],
               article_url=LEGACY_ARTICLE_URL)  # fmt: skip
    out = under_pty(crawl_args((sites / "missing", url), tmp_path), (40, 120))
    errors = [line for line in screen_lines(out) if "Listing page failed" in line]
    assert errors, out
    assert all(line.startswith(tuple("0123456789")) for line in errors), errors
    assert bar_counts(out) and max(bar_counts(out)) > 0, out
    assert "thu: ok in" in out, out
