"""The reasons a crawl gives for a page that failed: a redirect loop only when redirects loop,
a redirect or a meta refresh to a page fetched already said as such, and never an empty `()`."""

from __future__ import annotations

from pathlib import Path

from tests.crawling import crawl
from tests.sitegen.server import LocalSite, StatusRule
from tests.tinysite import build, raw_server, site_file


def _failed(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if "failed:" in ln]


def test_a_redirect_to_a_page_fetched_already_is_no_loop(tmp_path: Path) -> None:
    docroot = build(tmp_path / "www", [[1, 2, 3, 4]])
    page = (docroot / "news" / "4.html").read_text(encoding="utf-8")
    refresh = '<meta http-equiv="refresh" content="0; url=/news/1.html">'
    (docroot / "news" / "4.html").write_text(page.replace("<head>", "<head>" + refresh))
    sites = tmp_path / "sites"
    site_file(sites)
    store = f"sqlite:///{tmp_path / 'a.db'}"
    with LocalSite(docroot) as server:
        server.set_status("/news/2.html", StatusRule(302, location=server.url + "/news/1.html"))
        server.set_status("/news/3.html", StatusRule(302, location=server.url + "/news/3.html"))
        done = crawl("tiny", sites, store, server.url, "-s", "CONCURRENT_REQUESTS=1")
    assert done.returncode == 0, done.stderr[-2000:]
    lines = _failed(done.stderr)
    on = {n: [ln for ln in lines if f"news/{n}.html (" in ln] for n in (2, 3, 4)}
    assert any("redirected to" in ln and "already requested" in ln for ln in on[2]), lines
    assert any("redirect loop" in ln for ln in on[3]), lines
    assert not any("redirect loop" in ln for ln in on[2] + on[4]), lines
    # Meta refresh: the lead's change may archive such a page instead; if it fails, it says so.
    assert all("meta refresh" in ln for ln in on[4]), lines


def test_a_page_larger_than_the_limit_says_so(tmp_path: Path) -> None:
    """No Content-Length: Scrapy cancels the body once it outgrows DOWNLOAD_MAXSIZE, and the
    failure it reports has no message of its own."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
    sites = tmp_path / "sites"
    site_file(sites)
    with raw_server(head + b"<html>" + b"x" * 200_000) as url:
        done = crawl("tiny", sites, f"sqlite:///{tmp_path / 'a.db'}", url,
                     "-s", "DOWNLOAD_MAXSIZE=10000", "-s", "RETRY_TIMES=0")  # fmt: skip
    lines = _failed(done.stderr)
    assert lines and all("()" not in ln for ln in lines), done.stderr[-2000:]
    assert any("larger than DOWNLOAD_MAXSIZE" in ln for ln in lines), lines
