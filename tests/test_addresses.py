"""Addresses from the command line and from the sites: `sites discover` stays on the site's host,
never shows credentials, and a malformed address is a one-line error in every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.crawling import FAST, uninews
from tests.tinysite import DynamicSite, article_html, raw_server, site_file


def test_discover_follows_no_redirect_to_another_host() -> None:
    with DynamicSite(lambda path: (200, {}, article_html(1).encode())) as elsewhere:
        target = f"{elsewhere.url}/latest-credentials"
        with DynamicSite(lambda path: (302, {"Location": target}, b"")) as site:
            out = uninews("sites", "discover", "http://uni.example.edu/", "--base-url", site.url,
                          "--delay", "0")  # fmt: skip
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert elsewhere.requests == []  # never asked
    assert f"redirected to another host: {target}" in out.stderr
    assert "/" in site.requests


def test_discover_follows_a_redirect_on_the_same_host(tmp_path: Path) -> None:
    def route(path: str) -> tuple[int, dict[str, str], bytes]:
        if path == "/":
            return 301, {"Location": "/news/"}, b""
        return 200, {}, b"<html><body><p>nothing dated here</p></body></html>"

    with DynamicSite(route) as site:
        out = uninews("sites", "discover", "http://uni.example.edu/", "--base-url", site.url,
                      "--delay", "0")  # fmt: skip
    assert "/news/" in site.requests
    assert out.stderr.startswith("uninews: error: no news column found"), out.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("sites", "discover", "http://alice:hunter2@127.0.0.1:9/", "--delay", "0"),
        ("sites", "discover", "http://uni.example.edu/", "--base-url", "http://alice:hunter2@[::1"),
        ("sites", "discover", "http://alice:hunter2@[::1/"),
        ("crawl", "tsinghua", "--base-url", "http://alice:hunter2@[::1", "--store", "{store}"),
        ("backfill", "tsinghua", "--since", "2024-01-01", "--base-url", "http://[::1",
         "--store", "{store}"),
        ("crawl", "tsinghua", "--base-url", "http://host:port/", "--store", "{store}"),
    ],
)  # fmt: skip
def test_a_bad_or_secret_address_is_one_line_without_the_secret(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    store = f"sqlite:///{tmp_path / 'a.db'}"
    out = uninews(*(a.format(store=store) for a in args))
    assert out.returncode in (1, 2), out.stderr
    assert out.stderr.startswith("uninews: error: ") and out.stderr.count("\n") == 1, out.stderr
    assert "hunter2" not in out.stderr + out.stdout


def test_a_bad_status_line_is_a_page_that_cannot_be_fetched(tmp_path: Path) -> None:
    with raw_server(b"HTTP/1.1 abc\r\nContent-Length: 2\r\n\r\nhi") as url:
        found = uninews("sites", "discover", "http://uni.example.edu/", "--base-url", url,
                        "--delay", "0")  # fmt: skip
        sites = tmp_path / "sites"
        site_file(sites)
        crawled = uninews("crawl", "tiny", "--sites-dir", str(sites), "--base-url", url,
                          "--store", f"sqlite:///{tmp_path / 'a.db'}", *FAST, "-s",
                          "RETRY_TIMES=0")  # fmt: skip
    assert found.returncode == 1 and "Traceback" not in found.stderr, found.stderr
    assert "not a valid HTTP answer ('HTTP/1.1 abc')" in found.stderr
    assert found.stderr.splitlines()[-1].startswith("uninews: error: cannot fetch")
    assert crawled.returncode == 1 and "Traceback" not in crawled.stderr, crawled.stderr
    assert ", 1 error" in crawled.stdout and "non-integer status code" in crawled.stderr
