"""Sites whose lists and articles are drawn by JavaScript: crawled through the system Chromium
(`render:` in the site file), and a clear line when no browser is there to do it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from crawler.rendering import find_chromium
from storage import open_store
from tests.crawling import crawl, summary_counts
from tests.tinysite import ORIGIN, DynamicSite, site_file

ARTICLES = {
    n: {
        "title": f"Robotics lab story {n}",
        "date": f"2024-05-{n:02d}",
        "paragraphs": [
            f"The robotics laboratory presented its {n}th prototype to students and visitors,"
            " who watched it sort parcels on a conveyor belt for most of the afternoon.",
            "The team said the machine learns each new parcel shape from a handful of examples"
            " and will be tested in the university library's mail room next term.",
        ],
    }
    for n in (1, 2, 3, 4)
}
HOME = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Example University</title>
</head><body><nav><a href="/">Home</a> <a href="/news/index.html">News</a>
<a href="/about.html">About</a></nav><main><p>Welcome to Example University.</p></main></body></html>"""

# The list comes from a JSON API after the page loads; nothing is in the served HTML.
LISTING = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>News</title></head>
<body><h1>News</h1><ul id="news"></ul>
<script>
fetch('/api/news.json').then(r => r.json()).then(items => {
  const ul = document.getElementById('news');
  for (const it of items) {
    const li = document.createElement('li');
    li.innerHTML = '<a href="' + it.url + '">' + it.title + '</a> <span>' + it.date + '</span>';
    ul.appendChild(li);
  }
});
</script></body></html>"""

# The article's headline and body are written by a script from data in the page.
ARTICLE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title} | News</title>
</head><body><header>Example University</header><article id="story"></article>
<script>
const data = {data};
const a = document.getElementById('story');
a.innerHTML = '<h1>' + data.title + '</h1><time datetime="' + data.date + '">' + data.date +
  '</time>' + data.paragraphs.map(p => '<p>' + p + '</p>').join('');
</script></body></html>"""


def _route(path: str) -> tuple[int, dict[str, str], bytes]:
    if path == "/robots.txt":
        return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
    if path == "/":
        return 200, {}, HOME.encode()
    if path == "/news/index.html":
        return 200, {}, LISTING.encode()
    if path == "/api/news.json":
        items = [{"url": f"/news/{n}.html", **a} for n, a in ARTICLES.items()]
        return 200, {"Content-Type": "application/json"}, json.dumps(items).encode()
    if path.startswith("/news/") and path.removeprefix("/news/").removesuffix(".html").isdigit():
        a = ARTICLES.get(int(path.removeprefix("/news/").removesuffix(".html")))
        if a:
            page = ARTICLE.replace("{title}", str(a["title"])).replace("{data}", json.dumps(a))
            return 200, {}, page.encode()
    return 404, {}, b"not found"


needs_chromium = pytest.mark.skipif(
    find_chromium() is None, reason="no system Chromium (Debian: apt-get install chromium)"
)


@needs_chromium
def test_a_site_drawn_by_javascript_is_crawled_through_chromium(tmp_path: Path) -> None:
    sites = tmp_path / "sites"
    store = f"sqlite:///{tmp_path / 'a.db'}"
    with DynamicSite(_route) as server:
        # As served, the listing has no article link: nothing to archive.
        site_file(sites)
        plain = crawl("tiny", sites, store, server.url)
        assert plain.returncode == 0, plain.stderr[-2000:]
        assert summary_counts(plain.stdout)["new"] == 0
        assert "/api/news.json" not in server.requests
        # Rendered, it lists four articles, and each article's text is the script's.
        site_file(sites, render="all")
        done = crawl("tiny", sites, store, server.url)
    assert done.returncode == 0, done.stderr[-3000:]
    assert summary_counts(done.stdout)["new"] == 4, done.stdout + done.stderr[-3000:]
    s = open_store(store)
    try:
        for n, a in ARTICLES.items():
            rec = s.get(f"{ORIGIN}/news/{n}.html")
            assert rec is not None, n
            assert rec["title"] == a["title"]
            assert rec["published_at"].startswith(str(a["date"]))
            assert "sort parcels on a conveyor belt" in rec["text"]
    finally:
        s.close()


def test_a_render_site_without_a_browser_fails_in_one_line(tmp_path: Path) -> None:
    sites = tmp_path / "sites"
    site_file(sites, render="listings")
    store = f"sqlite:///{tmp_path / 'a.db'}"
    from tests.crawling import uninews

    done = uninews("crawl", "tiny", "--sites-dir", str(sites), "--store", store,
                   env={"UNINEWS_CHROMIUM": str(tmp_path / "no-chromium")})  # fmt: skip
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert "render: listings" in line and "apt-get install chromium" in line, line
    assert "UNINEWS_CHROMIUM" in line


def test_a_render_value_that_is_not_one_of_the_four_is_refused_when_the_file_loads(
    tmp_path: Path,
) -> None:
    from tests.crawling import uninews

    sites = tmp_path / "sites"
    site_file(sites, render="yes")
    done = uninews("crawl", "tiny", "--sites-dir", str(sites))
    assert done.returncode == 2 and "render" in done.stderr and "Traceback" not in done.stderr


@needs_chromium
def test_discover_notices_a_site_drawn_by_javascript_and_says_render(tmp_path: Path) -> None:
    """The served HTML lists no article and the articles have no body; drawn by the browser
    they do: discover finds the column, writes `render: all`, and the file crawls."""
    from tests.crawling import uninews

    sites = tmp_path / "sites"
    sites.mkdir()
    store = f"sqlite:///{tmp_path / 'a.db'}"
    with DynamicSite(_route) as server:
        found = uninews("-v", "sites", "discover", ORIGIN + "/", "--base-url", server.url,
                        "--name", "drawn", "-o", str(sites / "drawn.yaml"), "--delay", "0")  # fmt: skip
        assert found.returncode == 0, found.stderr[-3000:]
        data = yaml.safe_load((sites / "drawn.yaml").read_text(encoding="utf-8"))
        assert data["render"] == "all", found.stdout + found.stderr[-3000:]
        assert data["listings"] == ["news/index.html"]
        assert "drawn by JavaScript" in found.stdout + found.stderr
        done = crawl("drawn", sites, store, server.url)
    assert done.returncode == 0, done.stderr[-3000:]
    assert summary_counts(done.stdout)["new"] == 4, done.stdout
