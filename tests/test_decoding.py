"""Pages the decoder chokes on, and pages that refresh themselves: archived, one line at most."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from crawler.extraction import NotAnArticle, extract_article
from crawler.extraction.decoding import DependencyPanic, contained, html_encoding_and_text
from storage import open_store
from tests.crawling import crawl, summary_counts
from tests.tinysite import ORIGIN, DynamicSite, article_html, listing_html, site_file


class PanicException(BaseException):
    """What PyO3 raises when Rust code panics: a BaseException, named so."""


def _rust_like_panic() -> None:
    # Rust's panic hook writes straight to file descriptor 2, then PyO3 raises.
    os.write(2, b"thread '<unnamed>' panicked at src/scan.rs:1:1:\nstack backtrace:\n  0: x\n")
    raise PanicException("range start index 18 out of range for slice of length 17")


def test_a_native_panic_is_one_exception_and_its_backtrace_is_not_printed(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(DependencyPanic, match="panicked: range start index 18"):
        contained(_rust_like_panic, what="w3lib")
    err = capfd.readouterr().err
    assert "backtrace" not in err and "panicked at" not in err


def test_other_output_and_other_exceptions_pass_through(capfd: pytest.CaptureFixture[str]) -> None:
    def noisy() -> int:
        os.write(2, b"a line another thread logged\n")
        return 7

    assert contained(noisy) == 7
    assert "a line another thread logged" in capfd.readouterr().err
    with pytest.raises(KeyboardInterrupt):
        contained(lambda: (_ for _ in ()).throw(KeyboardInterrupt()))


# The real trigger in w3lib 2.6 (its Rust scanner, frostwork 0.2.2): a document ending in `<meta`.
CUT = b"<html><head><title>A</title><meta"


def test_a_page_that_makes_w3lib_panic_is_decoded(capfd: pytest.CaptureFixture[str]) -> None:
    codec, text = html_encoding_and_text(CUT)
    assert codecs.lookup(codec).name == "utf-8" and text == CUT.decode()
    with pytest.raises(NotAnArticle):
        extract_article(CUT, "http://x.example/a.html")
    page = article_html(1).replace('<meta charset="utf-8">', "").encode() + b"<meta"
    assert extract_article(page, "http://x.example/a.html").title.startswith("Story number 1")
    err = capfd.readouterr().err
    assert "backtrace" not in err and "panicked at" not in err


def _route(pages: dict[str, bytes]):  # type: ignore[no-untyped-def]
    def route(path: str) -> tuple[int, dict[str, str], bytes]:
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        if path in pages:
            # No charset in the header: the decoder must read the page itself.
            return 200, {"Content-Type": "text/html"}, pages[path]
        return 404, {}, b"gone"

    return route


def _records(store: str) -> dict[str, dict[str, object]]:
    s = open_store(store)
    try:
        return {r["url"]: r for r in s.iter_records()}
    finally:
        s.close()


def test_crawl_archives_pages_that_refresh_themselves_or_choke_the_decoder(tmp_path: Path) -> None:
    """`<meta http-equiv=refresh content=60>` and `30;URL=` the page itself are pages, not
    redirect loops; a page whose bytes make w3lib's scanner panic is archived without a
    backtrace; a refresh that leaves at once is still followed."""
    plain = article_html(1).replace('<meta charset="utf-8">', "")
    pages = {
        "/news/index.html": listing_html([1, 2, 3, 4], None).encode(),
        "/news/1.html": plain.replace(
            "<head>", '<head><meta http-equiv="refresh" content="60">'
        ).encode(),
        "/news/2.html": article_html(2)
        .replace("<head>", '<head><meta http-equiv="Refresh" content="30;URL=/news/2.html">')
        .encode(),
        "/news/4.html": b'<html><head><meta http-equiv="refresh" content="0;url=/news/5.html">'
        b"</head><body>Moved</body></html>",
        "/news/5.html": article_html(5).encode(),
        "/news/3.html": plain.replace("Story number 1", "Story number 3").encode() + b"<meta",
    }
    sites = tmp_path / "sites"
    site_file(sites)
    store = f"sqlite:///{tmp_path / 'a.db'}"
    with DynamicSite(_route(pages)) as server:
        done = crawl("tiny", sites, store, server.url)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Article failed" not in done.stderr, done.stderr
    assert "backtrace" not in done.stderr and "panicked at" not in done.stderr
    assert summary_counts(done.stdout)["errors"] == 0
    records = _records(store)
    assert {f"{ORIGIN}/news/{n}.html" for n in (1, 2, 3, 4)} <= set(records), sorted(records)
    assert records[f"{ORIGIN}/news/3.html"]["title"] == "Story number 3 about the new laboratory"
    # The instant refresh was followed: the record is the page it leads to.
    assert "Story 5" in str(records[f"{ORIGIN}/news/4.html"]["text"])


def test_a_panic_inside_a_page_object_fails_that_page_only(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A panic deeper in extraction (any native library a page object calls) is the page's
    extraction failure, never a dead extraction worker."""
    from crawler.extraction import EXTRACTION_FAILED
    from crawler.extraction.pages.base import ArticlePage

    def panics(self: object) -> None:
        raise PanicException("index out of bounds")

    monkeypatch.setattr(ArticlePage, "to_article", panics)
    with pytest.raises(NotAnArticle) as caught:
        extract_article(article_html(1).encode(), "http://x.example/a.html")
    assert caught.value.reason == EXTRACTION_FAILED
    # One warning line names the page and the panic (the traceback only with -v).
    [line] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "a.html" in line and "PanicException: index out of bounds" in line
