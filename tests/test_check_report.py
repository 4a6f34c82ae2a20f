"""`uninews sites check` says what it measured: a short text is not reported as no text."""

from __future__ import annotations

from crawler.check import CheckReport
from crawler.extraction.article import Article
from crawler.sites import Site


def test_a_short_text_is_named_as_short_with_the_threshold() -> None:
    site = Site(
        name="x", title="X", base_url="http://x.edu/", article_url=r"^/a/\d+$", listings=["a/"]
    )
    short = Article(url="http://x.edu/a/1", title="A notice", text="Room 101 is closed on Monday.")
    full = Article(url="http://x.edu/a/2", title="A story", text="A long story. " * 30)
    lines = CheckReport(site, articles=[short, full]).lines()
    assert any("text" in ln and "50%" in ln and "200 characters or more" in ln for ln in lines)
    assert "  text under 200 characters: http://x.edu/a/1" in lines
    assert not any(ln.startswith("  no text") for ln in lines)
