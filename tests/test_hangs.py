"""Servers and pages that would hang a command: a trickling server, Ctrl-C at any moment.

Each bound here is on a hang (a process that never ends fails the test instead of the run);
how fast things stop is measured by bench/hangs.py.
"""

from __future__ import annotations

import gzip
import io
import logging
import resource
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from crawler.discover import Fetcher
from tests.crawling import FAST, ROOT, cli_env, crawl, summary_counts
from tests.tinysite import ORIGIN, DynamicSite, TricklingSite, site_file

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


def _finish(proc: subprocess.Popen[str], bound: float) -> tuple[str, str]:
    """Its stdout and stderr once it exits; it fails the test (killed) if it hangs."""
    try:
        return proc.communicate(timeout=bound)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"still running after {bound}s")


def _interrupt(proc: subprocess.Popen[str], site: TricklingSite) -> tuple[int, str]:
    """SIGINT once the command is stuck on the server; its exit status and stderr."""
    assert site.asked.wait(HANG), "the command never reached the server"
    proc.send_signal(signal.SIGINT)
    _, err = _finish(proc, HANG)
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


# --- listing pages whose links cost too much -------------------------------------------------
# Passes the load-time checks (a bounded repeat), and each near-miss link costs the match
# timeout: 2,000 of them held the crawl's thread, and the stop it was asked for, ~100 s.
SLOW_ARTICLE_URL = r"^/news/(\d|\d\d){0,60}\.html$"


def _near_misses(n: int) -> bytes:
    links = "".join(f'<li><a href="/news/{i:04d}{"1" * 36}.htm">{i}</a></li>' for i in range(n))
    return f"<html><body><ul>{links}</ul></body></html>".encode()


def test_a_slow_article_url_costs_a_listing_page_its_budget_not_minutes(tmp_path: Path) -> None:
    page = _near_misses(2000)
    site_file(tmp_path / "sites", article_url=SLOW_ARTICLE_URL)
    with DynamicSite(
        lambda path: (200, {}, page) if path == "/news/index.html" else (404, {}, b"")
    ) as site:
        proc = _start(
            ["crawl", "tiny", "--sites-dir", str(tmp_path / "sites"), "--store",
             f"sqlite:///{tmp_path / 'a.db'}", "--base-url", site.url, *FAST]
        )  # fmt: skip
        out, err = _finish(proc, HANG * 2)
    assert (
        "matching article_url took over 5s on http://news.tiny.example.edu/news/index.html" in err
    )
    assert "links not read" in out  # the summary says so
    assert "Traceback" not in err


def test_sigterm_stops_a_crawl_on_a_page_of_near_misses(tmp_path: Path) -> None:
    page = _near_misses(2000)
    site_file(tmp_path / "sites", article_url=SLOW_ARTICLE_URL)
    asked = threading.Event()

    def route(path: str) -> tuple[int, dict[str, str], bytes]:
        if path != "/news/index.html":
            return 404, {}, b""
        asked.set()
        return 200, {}, page

    with DynamicSite(route) as site:
        proc = _start(
            ["crawl", "tiny", "--sites-dir", str(tmp_path / "sites"), "--store",
             f"sqlite:///{tmp_path / 'a.db'}", "--base-url", site.url, *FAST]
        )  # fmt: skip
        assert asked.wait(HANG)
        proc.send_signal(signal.SIGTERM)
        out, err = _finish(proc, HANG)
    assert proc.returncode == 130, err
    assert "interrupted" in out


# --- sitemaps and listings too large to hold ------------------------------------------------
def _sitemap_gz(n: int) -> bytes:
    """A gzipped sitemap of `n` article URLs, written in pieces: 230,000 make ~600 KB that
    inflate to 15 MB, within DOWNLOAD_MAXSIZE."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as gz:
        gz.write(
            b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        )
        for start in range(0, n, 10_000):
            gz.write(
                "".join(
                    f"<url><loc>{ORIGIN}/news/{i}.html</loc></url>"
                    for i in range(start, min(n, start + 10_000))
                ).encode()
            )
        gz.write(b"</urlset>")
    return buf.getvalue()


def test_a_230000_url_sitemap_is_streamed_and_capped(tmp_path: Path) -> None:
    body = _sitemap_gz(230_000)
    sites = tmp_path / "sites"
    site_file(sites, listings=[], sitemaps=["sitemap.xml.gz"])
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with DynamicSite(
        lambda p: (200, {}, body) if p == "/sitemap.xml.gz" else (404, {}, b"")
    ) as site:
        done = crawl("tiny", sites, f"sqlite:///{tmp_path / 'a.db'}", site.url,
                     "-s", "UNINEWS_MAX_LINKS=100")  # fmt: skip
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert done.returncode == 0, done.stderr
    assert f"{ORIGIN}/sitemap.xml.gz: 229900 links past the first 100 not read" in done.stderr
    counts = summary_counts(done.stdout)
    assert counts["links not read"] == 229_900
    assert counts["not articles"] == 100  # the entries read were requested (and are gone)
    # The peak of any child so far: a crawl's own is ~120 MB; the sitemap as one tree was more.
    assert peak_kb < 300 * 1024 or before >= 300 * 1024, f"peak RSS {peak_kb // 1024} MB"


def test_a_listing_page_of_100000_links_is_capped(tmp_path: Path) -> None:
    links = "".join(f'<li><a href="/news/{i}.html">{i}</a></li>' for i in range(100_000))
    page = f"<html><body><ul>{links}</ul></body></html>".encode()
    site_file(tmp_path / "sites")
    with DynamicSite(
        lambda p: (200, {}, page) if p == "/news/index.html" else (404, {}, b"")
    ) as site:
        done = crawl("tiny", tmp_path / "sites", f"sqlite:///{tmp_path / 'a.db'}", site.url,
                     "-s", "UNINEWS_MAX_LINKS=20")  # fmt: skip
    assert f"{ORIGIN}/news/index.html: 99980 links past the first 20 not read" in done.stderr
    counts = summary_counts(done.stdout)
    assert counts["links not read"] == 99_980
    assert counts["not articles"] == 20  # the 20 links read were requested (and are gone)


def test_ctrl_c_while_a_huge_sitemap_is_queued_stops_gracefully(tmp_path: Path) -> None:
    """50,000 requests still to queue would hold a graceful stop up past its grace: it stops
    queuing them instead (the sitemap stays unfinished: a rerun requests the rest)."""
    body = _sitemap_gz(230_000)
    sites = tmp_path / "sites"
    site_file(sites, listings=[], sitemaps=["sitemap.xml.gz"])
    asked = threading.Event()

    def route(path: str) -> tuple[int, dict[str, str], bytes]:
        if path == "/sitemap.xml.gz":
            return 200, {}, body
        asked.set()  # an article: the sitemap has been read
        return 404, {}, b""

    with DynamicSite(route) as site:
        proc = _start(
            ["crawl", "tiny", "--sites-dir", str(sites), "--store",
             f"sqlite:///{tmp_path / 'a.db'}", "--base-url", site.url, *FAST]
        )  # fmt: skip
        assert asked.wait(HANG)
        proc.send_signal(signal.SIGINT)
        out, err = _finish(proc, HANG)
    assert proc.returncode == 130, err
    assert "The pages in flight took over" not in err  # it stopped by itself, gracefully
    assert "interrupted" in out
