"""Crawls that meet hostile or broken sites: every page ends, every walk stops, nothing is lost."""

from __future__ import annotations

import gzip
import io
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage import open_store
from tests.crawling import FAST, cli_env, crawl, summary_counts, uninews
from tests.sitegen.server import LocalSite, StatusRule
from tests.tinysite import ORIGIN, DynamicSite, article_html, build, listing_html, site_file

SLOW = ["-s", "CONCURRENT_REQUESTS=2", "-s", "DOWNLOAD_DELAY=0.05"]


def _stored(store: str) -> list[str]:
    s = open_store(store)
    try:
        return sorted(r["url"] for r in s.iter_records())
    finally:
        s.close()


# --- every request a page waits on ends -----------------------------------------------------
def test_backfill_ends_when_articles_redirect_in_a_loop_or_off_site(tmp_path: Path) -> None:
    """A date-less listing holds its next page until its articles are in: an article whose
    request Scrapy drops (a redirect loop, an off-site redirect) must still end, as an error."""
    docroot = build(tmp_path / "www", [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    sites = tmp_path / "sites"
    site_file(sites)
    store = f"sqlite:///{tmp_path / 'a.db'}"
    with LocalSite(docroot) as server:
        server.set_status("/news/2.html", StatusRule(302, location=server.url + "/news/2.html"))
        server.set_status("/news/5.html", StatusRule(302, location="http://elsewhere.example/x"))
        args = ["backfill", "tiny", "--since", "2000-01-01", "--sites-dir", str(sites),
                "--store", store, "--base-url", server.url, *FAST]  # fmt: skip
        done = uninews(*args, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        counts = summary_counts(done.stdout)
        assert counts["errors"] == 2, done.stdout
        assert counts["listing pages"] == 3  # the walk went on past both pages
        assert "redirect loop" in done.stderr and "off-site" in done.stderr
        want = [f"{ORIGIN}/news/{n}.html" for n in (1, 3, 4, 6, 7, 8, 9)]
        assert _stored(store) == sorted(want)

        # The pages with a failed article are not finished: the rerun retries them (and
        # only what is missing), and ends.
        server.reset()
        again = uninews(*args, timeout=120)
        assert again.returncode == 0, again.stderr[-2000:]
        assert summary_counts(again.stdout)["errors"] == 2
        assert "/news/2.html" in server.requests and "/news/5.html" in server.requests
        assert "/news/1.html" not in server.requests


def test_redirect_loops_and_off_site_redirects_are_counted_in_a_crawl(tmp_path: Path) -> None:
    docroot = build(tmp_path / "www", [[1, 2, 3, 4]])
    sites = tmp_path / "sites"
    site_file(sites)
    store = f"sqlite:///{tmp_path / 'a.db'}"
    with LocalSite(docroot) as server:
        server.set_status("/news/2.html", StatusRule(302, location=server.url + "/news/9.html"))
        server.set_status("/news/9.html", StatusRule(302, location=server.url + "/news/2.html"))
        server.set_status("/news/3.html", StatusRule(301, location="https://elsewhere.example/"))
        done = crawl("tiny", sites, store, server.url)
    assert done.returncode == 0, done.stderr[-2000:]
    assert summary_counts(done.stdout)["errors"] == 2
    lines = [ln for ln in done.stderr.splitlines() if "Article failed" in ln]
    assert len(lines) == 2, done.stderr
    assert any("news/2.html" in ln and "redirect loop" in ln for ln in lines)
    assert any("news/3.html" in ln and "off-site" in ln for ln in lines)


def test_a_listing_page_that_is_gone_ends_the_walk_as_finished(tmp_path: Path) -> None:
    """A real legacy column's page 4 answers 404: the walk ends there, finished, and the next
    run costs one listing request, not a walk back to page 4 to catch up."""
    docroot = build(tmp_path / "www", [[1, 2], [3, 4], [5, 6], [7, 8]])
    (docroot / "news" / "index_4.html").unlink()
    sites = tmp_path / "sites"
    site_file(sites)
    store = f"sqlite:///{tmp_path / 'a.db'}"
    with LocalSite(docroot) as server:
        first = crawl("tiny", sites, store, server.url)
        assert first.returncode == 0, first.stderr[-2000:]
        counts = summary_counts(first.stdout)
        assert (counts["new"], counts["errors"], counts["listing pages"]) == (6, 0, 3)
        assert "listing page gone" in first.stdout
        server.reset()
        second = crawl("tiny", sites, store, server.url)
        listing_requests = [r for r in server.requests if "/news/index" in r]
    assert second.returncode == 0
    assert listing_requests == ["/news/index.html"]


# --- walks that never end by themselves ----------------------------------------------------
def _endless(path: str) -> tuple[int, dict[str, str], bytes]:
    """Page N of a listing links to page N+1 for ever; pages past 3 list the same articles."""
    if path.startswith("/news/") and path.endswith(".html") and "page" not in path:
        n = int(path.rsplit("/", 1)[1].split(".", maxsplit=1)[0])
        return 200, {}, article_html(n).encode()
    if path.startswith("/list"):
        page = int(path.split("page=")[1]) if "page=" in path else 1
        links = [page * 2 - 1, page * 2] if page <= 3 else [5, 6]
        return 200, {}, listing_html(links, f"/list?page={page + 1}").encode()
    return 404, {}, b"not found"


@pytest.mark.parametrize("mode", [[], ["--full"]])
def test_endless_pagination_stops(tmp_path: Path, mode: list[str]) -> None:
    sites = tmp_path / "sites"
    site_file(sites, listings=["list"])
    store = f"sqlite:///{tmp_path / 'a.db'}"
    with DynamicSite(_endless) as server:
        done = crawl("tiny", sites, store, server.url, *mode)
    assert done.returncode == 0, done.stderr[-2000:]
    walked = [r for r in server.requests if r.startswith("/list")]
    # pages 1-3 have new links; then 3 pages in a row with nothing new end the walk
    assert len(walked) <= 3 + 3, walked
    assert summary_counts(done.stdout)["new"] == 6
    if mode:  # an incremental crawl stops earlier still: at the first page with nothing new
        assert "no new article link" in done.stderr


def test_the_sites_page_cap_stops_a_walk_without_max_pages(tmp_path: Path) -> None:
    def fresh_forever(path: str) -> tuple[int, dict[str, str], bytes]:
        if path.startswith("/list"):
            page = int(path.split("page=")[1]) if "page=" in path else 1
            return 200, {}, listing_html([page], f"/list?page={page + 1}").encode()
        return 404, {}, b"gone"

    sites = tmp_path / "sites"
    site_file(sites, listings=["list"], max_pages=7)
    with DynamicSite(fresh_forever) as server:
        done = crawl("tiny", sites, f"sqlite:///{tmp_path / 'a.db'}", server.url, "--full")
    assert done.returncode == 0, done.stderr[-2000:]
    assert len([r for r in server.requests if r.startswith("/list")]) == 7
    assert "max_pages" in done.stderr


def test_a_chain_of_sitemap_indexes_is_bounded(tmp_path: Path) -> None:
    def chain(path: str) -> tuple[int, dict[str, str], bytes]:
        if path.startswith("/sitemap"):
            n = int(path.split("-")[1].split(".", maxsplit=1)[0])
            xml = (
                '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
                f'sitemap/0.9"><sitemap><loc>{ORIGIN}/sitemap-{n + 1}.xml</loc></sitemap>'
                f"<sitemap><loc>{ORIGIN}/sitemap-{n + 1000}.xml</loc></sitemap></sitemapindex>"
            )
            return 200, {"Content-Type": "application/xml"}, xml.encode()
        return 404, {}, b"gone"

    sites = tmp_path / "sites"
    site_file(sites, listings=[], sitemaps=["sitemap-1.xml"])
    with DynamicSite(chain) as server:
        done = crawl(
            "tiny", sites, f"sqlite:///{tmp_path / 'a.db'}", server.url, "--max-pages", "50"
        )
    assert done.returncode == 0, done.stderr[-2000:]
    fetched = [r for r in server.requests if r.startswith("/sitemap")]
    assert 1 < len(fetched) <= 7  # the index, its children, theirs: three levels at most


def test_a_gzip_bomb_sitemap_is_refused_within_the_size_limit(tmp_path: Path) -> None:
    """A small .gz sitemap that inflates to 400 MB: decompression stops at DOWNLOAD_MAXSIZE."""
    head = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as gz:
        gz.write(head)
        for _ in range(400):  # in pieces: this process must not hold 400 MB itself
            gz.write(b" " * (1024 * 1024))
    bomb = buf.getvalue()
    assert len(bomb) < 1024 * 1024

    def serve_bomb(path: str) -> tuple[int, dict[str, str], bytes]:
        if path == "/sitemap.xml.gz":
            return 200, {"Content-Type": "application/octet-stream"}, bomb
        return 404, {}, b"gone"

    sites = tmp_path / "sites"
    site_file(sites, listings=[], sitemaps=["sitemap.xml.gz"])
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with DynamicSite(serve_bomb) as server:
        done = crawl("tiny", sites, f"sqlite:///{tmp_path / 'a.db'}", server.url)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert "Sitemap skipped" in done.stderr and "decompresses to more than" in done.stderr
    assert summary_counts(done.stdout)["errors"] == 1
    # the peak of any child so far; a crawl's own is ~120 MB, the inflated sitemap 400 MB more
    assert peak_kb < 350 * 1024 or before >= 350 * 1024, f"peak RSS {peak_kb // 1024} MB"


# --- pages that are not HTML ----------------------------------------------------------------
def test_pdf_and_image_at_article_urls_are_counted_not_articles(tmp_path: Path) -> None:
    docroot = build(tmp_path / "www", [[1, 2, 3]])
    (docroot / "news" / "2.html").write_bytes(b"%PDF-1.7\n" + os.urandom(4000))
    (docroot / "news" / "3.html").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(4000))
    sites = tmp_path / "sites"
    site_file(sites)
    store = f"sqlite:///{tmp_path / 'a.db'}"
    with LocalSite(docroot) as server:
        done = crawl("tiny", sites, store, server.url, "--full")
        assert done.returncode == 0, done.stderr[-2000:]
        counts = summary_counts(done.stdout)
        assert (counts["new"], counts["not articles"], counts["errors"]) == (1, 2, 0)
        assert "Traceback" not in done.stderr
        server.reset()
        again = crawl("tiny", sites, store, server.url, "--full")  # remembered: not refetched
        assert again.returncode == 0
        assert not [r for r in server.requests if r.startswith("/news/") and "index" not in r]


# --- signals and dead processes -------------------------------------------------------------
def _descendants(pid: int) -> set[int]:
    """Every process below `pid` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait(what: str, cond: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not cond():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _start(args: list[str]) -> subprocess.Popen[str]:
    """The CLI in its own process group, as a terminal runs it (Ctrl-C reaches the group)."""
    return subprocess.Popen(
        [sys.executable, "-m", "uninews", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
        start_new_session=True,
    )


WORKERS = ["-s", "UNINEWS_EXTRACT_WORKERS=2", "-s", "AUTOTHROTTLE_ENABLED=false"]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_to_the_process_group_mid_backfill_loses_no_article(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """Ctrl-C in a terminal reaches the extraction workers too. Three times over, a backfill
    is stopped while pages are in extraction, then rerun: every article is stored, once."""
    pages = [list(range(p * 6 + 1, p * 6 + 7)) for p in range(8)]
    docroot = build(tmp_path / "www", pages)
    sites = tmp_path / "sites"
    site_file(sites)
    expected = sorted(f"{ORIGIN}/news/{n}.html" for page in pages for n in page)
    with LocalSite(docroot) as server:
        for trial in range(3):
            store = f"sqlite:///{tmp_path / f'a{trial}.db'}"
            args = ["backfill", "tiny", "--since", "2000-01-01", "--sites-dir", str(sites),
                    "--store", store, "--base-url", server.url, *WORKERS, *SLOW,
                    "-s", "UNINEWS_PROGRESS_INTERVAL=0"]  # fmt: skip
            server.reset()
            proc = _start(args)
            target = 6 + 8 * trial  # a different moment each time

            def fetched(target: int = target, proc: subprocess.Popen[str] = proc) -> bool:
                articles = server.count("/news/") - server.count("/news/index")
                return articles >= target or proc.poll() is not None

            _wait("articles to be fetched", fetched)
            os.killpg(proc.pid, sig)
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 130, (proc.returncode, err[-3000:])
            done = uninews(*args, timeout=120)
            assert done.returncode == 0, done.stderr[-2000:]
            assert _stored(store) == expected, f"trial {trial}"


@pytest.mark.slow
def test_ctrl_c_while_extraction_workers_start_stops_cleanly(tmp_path: Path) -> None:
    docroot = build(tmp_path / "www", [[1, 2, 3]])
    sites = tmp_path / "sites"
    site_file(sites)
    with LocalSite(docroot) as server:
        proc = _start(["-v", "crawl", "tiny", "--sites-dir", str(sites), "--store",
                       f"sqlite:///{tmp_path / 'a.db'}", "--base-url", server.url, *WORKERS])  # fmt: skip
        assert proc.stderr is not None
        for line in proc.stderr:  # -v logs when the pool starts: interrupt right then
            if "Extracting in" in line:
                break
        os.killpg(proc.pid, signal.SIGINT)
        below = _descendants(proc.pid)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError("the crawl hung after Ctrl-C") from None
    assert proc.returncode == 130, (out, err[-3000:])
    assert "interrupted" in out
    _wait("the workers to exit", lambda: not any(_alive(p) for p in below), timeout=15)


@pytest.mark.slow
def test_kill_9_leaves_no_worker_behind_and_the_run_is_abandoned(tmp_path: Path) -> None:
    docroot = build(tmp_path / "www", [list(range(1, 30))])
    sites = tmp_path / "sites"
    site_file(sites)
    store = f"sqlite:///{tmp_path / 'a.db'}"
    with LocalSite(docroot) as server:
        args = ["crawl", "tiny", "--sites-dir", str(sites), "--store", store,
                "--base-url", server.url, *WORKERS, "-s", "DOWNLOAD_DELAY=0.2",
                "-s", "CONCURRENT_REQUESTS=1"]  # fmt: skip
        proc = _start(args)
        _wait("a worker to extract", lambda: server.count("/news/") >= 4)
        below = _descendants(proc.pid)
        assert len(below) >= 2, "expected the forkserver and a worker"
        proc.kill()
        proc.wait()
        _wait("the orphans to exit", lambda: not any(_alive(p) for p in below), timeout=20)

        status = uninews("status", "--store", store, "--sites-dir", str(sites))
        row = next(ln for ln in status.stdout.splitlines() if ln.startswith("tiny "))
        assert "abandoned" in row, status.stdout
        again = crawl("tiny", sites, store, server.url)
    assert again.returncode == 0, again.stderr[-2000:]
    s = open_store(store)
    runs = s.runs("tiny")
    s.close()
    assert [r.status for r in runs] == ["ok", "abandoned"]


# --- a failure is never a success ---------------------------------------------------------
def test_an_extraction_failure_is_an_error_that_holds_backfill_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An extractor bug (or a worker killed under it) counts as an error with the URL, and the
    page it came from is not saved as finished: the rerun fetches that article again."""
    import asyncio

    from scrapy.exceptions import DropItem
    from scrapy.utils.test import get_crawler
    from twisted.python.failure import Failure

    import crawler.pipelines
    from crawler.items import FetchedPage
    from crawler.sites import load_site_file
    from crawler.spiders.news import NewsSpider, _Chain, _Page

    site = load_site_file(site_file(tmp_path / "sites"))
    store_uri = f"sqlite:///{tmp_path / 'a.db'}"
    crawler_ = get_crawler(NewsSpider, {"UNINEWS_STORE": store_uri})
    spider = NewsSpider.from_crawler(crawler_, site=site, mode="backfill", since="2000-01-01")
    crawler_.spider = spider
    crawler_.stats.open_spider(spider)  # type: ignore[union-attr]
    listing = f"{ORIGIN}/news/index.html"
    spider.chains[listing] = _Chain(listing, pages={1: _Page(listing, pending=2, walked=True)})

    def broken(raw: object, site: object) -> None:
        raise TypeError("expected string or bytes-like object, got 'NoneType'")

    monkeypatch.setattr(crawler.pipelines, "prepare_page", broken)
    pipeline = crawler.pipelines.ExtractPipeline(crawler_, workers=0)
    item = FetchedPage(site="tiny", url=f"{ORIGIN}/news/1.html", final_url=f"{ORIGIN}/news/1.html",
                       status=200, headers={}, body=b"<html></html>", listing=listing, page_no=1)  # fmt: skip
    with pytest.raises(DropItem):
        asyncio.run(pipeline.process_item(item))
    assert item.failed and crawler_.stats.get_value("uninews/errors") == 1  # type: ignore[union-attr]
    spider._item_finished(item)
    # A pipeline that raised (rather than dropped) is a failure too.
    other = FetchedPage(site="tiny", url=f"{ORIGIN}/news/2.html", final_url=f"{ORIGIN}/news/2.html",
                        status=200, headers={}, body=b"", listing=listing, page_no=1)  # fmt: skip
    spider._item_error(other, failure=Failure(RuntimeError("pipeline bug")))
    chain = spider.chains[listing]
    assert chain.pages[1].pending == 0 and chain.pages[1].errors == 2
    assert chain.committed == 0  # page 1 is not finished: progress stays before it
    assert spider.store is not None
    assert spider.store.get_state(spider._state_key(listing)) is None
    spider._closed(spider, "finished")
