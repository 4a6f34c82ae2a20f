"""Revisits never record something false: a redirect elsewhere is a withdrawal (not an edit), a
move keeps the new address, an empty answer or a server's charset gone wrong is not an edit."""

from __future__ import annotations

from pathlib import Path

from storage import SearchQuery, open_store
from tests.crawling import FAST, crawl, summary_counts, uninews
from tests.tinysite import ORIGIN, DynamicSite, article_html, listing_html, site_file

ZH = (
    "清华大学今日举行新学期工作会议，校领导与各院系负责人出席会议并讨论本学期的重点工作安排。",
    "会议指出，要进一步加强基层党建工作，推动人才培养、科学研究和社会服务协调发展。",
)


def zh_article(n: int) -> str:
    """A Chinese article without a charset declaration of its own: the header decides."""
    body = "".join(f"<p>{p}（第{n}篇）</p>" for p in ZH)
    return (
        f"<html><head><title>第{n}篇新闻 | 新闻网</title>"
        '<meta property="article:published_time" content="2024-03-05T09:00:00+08:00"></head>'
        f"<body><article><h1>学校召开第{n}次工作会议</h1>{body}</article></body></html>"
    )


class Site:
    """Pages by path, with a status and headers each, changed between the crawl and the revisit."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {}

    def page(self, path: str, body: bytes | str, status: int = 200, **headers: str) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.pages[path] = (status, {"Content-Type": "text/html; charset=utf-8", **headers}, data)

    def route(self, path: str) -> tuple[int, dict[str, str], bytes]:
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        return self.pages.get(path, (404, {}, b"not found"))


def test_a_revisit_redirected_elsewhere_withdraws_and_a_move_becomes_an_alias(
    tmp_path: Path,
) -> None:
    site = Site()
    site.page("/", "<html><body><h1>Tiny University</h1><p>Welcome.</p></body></html>")
    site.page("/news/index.html", listing_html([1, 2, 3, 4, 5], None))
    for n in (1, 2, 3, 4, 5):
        site.page(f"/news/{n}.html", article_html(n, n))
    sites = tmp_path / "sites"
    site_file(sites)
    store = f"sqlite:///{tmp_path / 'a.db'}"
    with DynamicSite(site.route) as server:
        first = crawl("tiny", sites, store, server.url)
        assert summary_counts(first.stdout)["new"] == 5, first.stdout
        site.page("/news/1.html", b"", 302, Location=f"{server.url}/")  # to the home page
        site.page("/news/2.html", b"", 301, Location=f"{server.url}/news/index.html")  # a listing
        site.page("/news/3.html", b"", 302, Location=f"{server.url}/news/4.html")  # another one
        site.page("/news/5.html", b"", 301, Location=f"{server.url}/stories/5.html")  # moved
        site.page("/stories/5.html", article_html(5, 5))
        done = uninews("revisit", "tiny", "--all", "--sites-dir", str(sites), "--store", store,
                       "--base-url", server.url, *FAST)  # fmt: skip
    counts = summary_counts(done.stdout)
    assert counts["withdrawn"] == 3, done.stdout + done.stderr[-2000:]
    assert counts.get("updated", 0) == 0 and counts.get("errors", 0) == 0, done.stdout
    s = open_store(store)
    try:
        gone = {r["url"] for r in s.search(SearchQuery(withdrawn=True, limit=None))}
        assert gone == {f"{ORIGIN}/news/{n}.html" for n in (1, 2, 3)}
        assert not list(s.search(SearchQuery(changed_since="2000-01-01", limit=None)))
        for n in (1, 2, 3, 5):  # each keeps its one version, its own title and date
            rec = s.get(f"{ORIGIN}/news/{n}.html")
            assert rec is not None and rec["version"] == 1
            assert rec["title"] == f"Story number {n} about the new laboratory"
            assert rec["published_at"].startswith(f"2024-03-{n:02d}")
        assert s.get(f"{ORIGIN}/news/3.html")["id"] != s.get(f"{ORIGIN}/news/4.html")["id"]  # type: ignore[index]
        moved = s.get(f"{ORIGIN}/stories/5.html")
        assert moved is not None and moved["url"] == f"{ORIGIN}/news/5.html"
        assert f"{ORIGIN}/stories/5.html" in moved["aliases"]
        assert s.count() == 5
    finally:
        s.close()


def test_an_empty_answer_and_a_charset_flip_are_not_edits(tmp_path: Path) -> None:
    site = Site()
    site.page("/news/index.html", listing_html([1, 2, 3], None))
    site.page("/news/1.html", article_html(1, 1))
    for n in (2, 3):
        site.page(f"/news/{n}.html", zh_article(n).encode("gbk"), **{"Content-Type": "text/html; charset=gbk"})  # fmt: skip
    sites = tmp_path / "sites"
    site_file(sites, language="zh", timezone="Asia/Shanghai")
    store = f"sqlite:///{tmp_path / 'a.db'}"
    revisit = ["revisit", "tiny", "--all", "--sites-dir", str(sites), "--store", store, *FAST]
    with DynamicSite(site.route) as server:
        assert summary_counts(crawl("tiny", sites, store, server.url).stdout)["new"] == 3
        site.page("/news/1.html", b"")  # a 200 with nothing in it: a server fault
        # The same bytes, now declared as something else (a misconfigured server).
        site.page("/news/2.html", zh_article(2).encode("gbk"))  # "charset=utf-8"
        site.page("/news/3.html", zh_article(3).encode("gbk"), **{"Content-Type": "text/html; charset=iso-8859-1"})  # fmt: skip
        done = uninews(*revisit, "--base-url", server.url)
    counts = summary_counts(done.stdout)
    assert counts.get("withdrawn", 0) == 0 and counts.get("updated", 0) == 0, done.stdout
    assert counts["errors"] == 1 and "empty 200 answer" in done.stderr, done.stderr[-2000:]
    s = open_store(store)
    try:
        assert not list(s.search(SearchQuery(withdrawn=True, limit=None)))
        for n in (2, 3):
            rec = s.get(f"{ORIGIN}/news/{n}.html")
            assert rec is not None and rec["version"] == 1 and "基层党建" in rec["text"]
        # The article that answered empty is still due: the next revisit checks it again.
        assert f"{ORIGIN}/news/1.html" in {r.url for r in s.revisits("tiny")}
    finally:
        s.close()


def test_a_long_revisit_shows_its_checks_in_the_progress_lines(tmp_path: Path) -> None:
    """Unchanged pages cost a 304 and fetch no article: the progress line counts the checks,
    not "0 articles fetched" for the whole revisit."""
    from tests.sitegen.server import LocalSite
    from tests.tinysite import build

    docroot = build(tmp_path / "www", [[1, 2, 3, 4, 5, 6]])
    sites = tmp_path / "sites"
    site_file(sites)
    store = f"sqlite:///{tmp_path / 'a.db'}"
    with LocalSite(docroot) as server:
        assert summary_counts(crawl("tiny", sites, store, server.url).stdout)["new"] == 6
        done = uninews("revisit", "tiny", "--all", "--sites-dir", str(sites), "--store", store,
                       "--base-url", server.url, "-s", "AUTOTHROTTLE_ENABLED=false",
                       "-s", "CONCURRENT_REQUESTS=1", "-s", "DOWNLOAD_DELAY=0.25",
                       "-s", "UNINEWS_EXTRACT_WORKERS=0", "-s", "UNINEWS_PROGRESS_INTERVAL=0.2")  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    progress = [ln for ln in done.stderr.splitlines() if "Progress:" in ln]
    assert progress, done.stderr
    assert any(" revisited (" in ln and " not modified" in ln for ln in progress), progress
    last = progress[-1]
    checked = int(last.split(" revisited (")[0].rsplit(" ", 1)[-1])
    assert 0 < checked <= 6
