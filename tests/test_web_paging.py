"""`uninews serve` as its readers use it, on both stores: numbered pages back and forth, sorted by
date either way or by relevance; site titles; ISO date inputs; a site page without its file."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from storage import ArchiveStore, RawPage, open_store
from tests.conftest import store_uri
from tests.webarchive import serving
from uninews.web.app import create_app

SOLAR = "https://news.solar.example/news"
BULK_YAML = """\
name: solarnews
title: Solar University News
base_url: https://news.solar.example/
timezone: UTC
schedule: "5 */6 * * *"
listings: [news/]
article_url: '^/news/\\d+$'
"""


def _put(store: ArchiveStore, n: int, title: str, text: str, day: str | None) -> str:
    url = f"{SOLAR}/{n}"
    rec = {"url": url, "canonical_url": url, "site": "solarnews", "language": "en",
           "title": title, "text": text, "fetched_at": "2026-11-20T00:00:00Z"}  # fmt: skip
    if day:
        rec["published_at"] = f"{day}T09:00:00+00:00"
    raw = RawPage(url, url, 200, {"Content-Type": "text/html"}, b"<html></html>", rec["fetched_at"])
    return store.upsert(rec, raw).article_id


def populate(store: ArchiveStore) -> dict[str, str]:
    """23 articles with "solar" somewhere (one undated; two of them tell relevance apart), and one
    without the word."""
    ids = {}
    for n in range(20):
        ids[f"n{n}"] = _put(
            store, n, f"Campus report {n}", f"Panels and solar cells, part {n}.", f"2020-01-{n + 1:02d}"
        )  # fmt: skip
    ids["undated"] = _put(store, 20, "Undated note", "A solar note with no date.", None)
    # Newer, but the word only once in its text; older, but the word in its title.
    ids["once"] = _put(store, 21, "Budget news", "The budget mentions solar once.", "2023-05-01")
    ids["titled"] = _put(store, 22, "Solar roof opens", "The roof is finished.", "2021-05-01")
    ids["other"] = _put(store, 23, "Library hours", "Nothing about the sun.", "2022-01-01")
    return ids


@pytest.fixture(params=["sqlite", "mongomock"])
def web(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[httpx.Client, dict[str, str]]]:  # fmt: skip
    uri = store_uri(request.param, tmp_path)
    writer: ArchiveStore = open_store(uri)
    ids = populate(writer)
    store = open_store(uri, readonly=True) if request.param == "sqlite" else writer
    with serving(create_app(store)) as base, httpx.Client(base_url=base, timeout=10) as client:
        yield client, ids
    writer.close()


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _ids(page: str) -> list[str]:
    return re.findall(r'class="title" href="/articles/(\w+)"', page)


def _link(page: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]+)"', page)
    return html.unescape(found.group(1)) if found else None


def _walk(client: httpx.Client, url: str, rel: str) -> tuple[list[list[str]], str]:
    """Every page from `url` following `rel` links: the ids of each, and the last page's URL."""
    pages, at = [], url
    while True:
        page = client.get(at)
        assert page.status_code == 200, (at, page.text)
        pages.append(_ids(page.text))
        nxt = _link(page.text, rel)
        if nxt is None:
            return pages, at
        at = nxt


@pytest.mark.parametrize("sort", ["newest", "oldest", "relevance"])
def test_back_and_forth_through_pages_covers_every_match_once(
    web: tuple[httpx.Client, dict[str, str]], sort: str
) -> None:
    client, ids = web
    matching = set(ids.values()) - {ids["other"]}
    forward, last = _walk(client, f"/search?q=solar&limit=10&sort={sort}", "next")
    assert [len(p) for p in forward] == [10, 10, 3]
    seen = [i for p in forward for i in p]
    assert len(seen) == len(set(seen)) == 23 and set(seen) == matching
    assert "page=3" in last and (f"sort={sort}" in last) == (sort != "newest")
    back, first = _walk(client, last, "prev")
    assert back == forward[::-1]  # the same pages, the same order within each
    assert "page=" not in first  # page 1 is the plain URL
    if sort == "newest":
        assert seen[0] == ids["once"] and seen[-1] == ids["undated"]  # undated last
    if sort == "oldest":
        newest = [i for p in _walk(client, "/search?q=solar&limit=10", "next")[0] for i in p]
        assert seen[-1] == ids["undated"]  # undated last either way
        assert seen[:-1] == newest[:-1][::-1]


def test_page_numbers_jump_and_say_where_you_are(web: tuple[httpx.Client, dict[str, str]]) -> None:
    client, _ = web
    first = client.get("/search", params={"q": "solar", "limit": 5})
    assert "23 articles, newest first · page 1 of 5" in _text(first.text)
    nav = re.search(r'<nav class="pages".*?</nav>', first.text, re.S)
    assert nav is not None
    shown = _text(nav.group(0))
    assert shown == "1 2 3 … 5 Next »", shown  # the first, the last, and those near
    assert 'href="/search?q=solar&amp;limit=5&amp;page=5"' in nav.group(0)
    third = client.get("/search", params={"q": "solar", "limit": 5, "page": 3})
    assert "page 3 of 5" in _text(third.text)
    assert _text(re.search(r'<nav class="pages".*?</nav>', third.text, re.S).group(0)) == (  # type: ignore[union-attr]
        "« Previous 1 2 3 4 5 Next »"
    )
    # page 3 is not page 1: the walk's third page
    walked = _walk(client, "/search?q=solar&limit=5", "next")[0]
    assert _ids(third.text) == walked[2]
    beyond = client.get("/search", params={"q": "solar", "limit": 5, "page": 9})
    assert beyond.status_code == 404 and "no page 9: this search has 5 pages" in _text(beyond.text)
    assert client.get("/search", params={"q": "solar", "page": 0}).status_code == 400
    # filters without words page the same way
    site = client.get("/search", params={"site": "solarnews", "limit": 10, "page": 3})
    assert "24 articles, newest first · page 3 of 3" in _text(site.text)


def test_relevance_puts_the_title_before_a_mention_in_the_text(
    web: tuple[httpx.Client, dict[str, str]],
) -> None:
    client, ids = web
    by_date = _ids(client.get("/search", params={"q": "solar", "limit": 30}).text)
    assert by_date.index(ids["once"]) < by_date.index(ids["titled"])  # newer first
    ranked = client.get("/search", params={"q": "solar", "limit": 30, "sort": "relevance"})
    assert "23 articles, most relevant first" in _text(ranked.text)
    order = _ids(ranked.text)
    assert order[0] == ids["titled"] and order.index(ids["titled"]) < order.index(ids["once"])
    assert client.get("/search", params={"q": "solar"}).text.count("most relevant first") == 2
    # the order is in the URL, and asked where it cannot be, says why
    nowords = client.get("/search", params={"site": "solarnews", "sort": "relevance"})
    assert nowords.status_code == 400 and "needs search words" in _text(nowords.text)
    bad = client.get("/search", params={"q": "solar", "sort": "best"})
    assert bad.status_code == 400 and "use newest, oldest or relevance" in _text(bad.text)


def test_the_api_pages_by_number_in_any_order(web: tuple[httpx.Client, dict[str, str]]) -> None:
    client, ids = web
    ranked = client.get("/api/search", params={"q": "solar", "sort": "relevance", "limit": 30})
    got = ranked.json()
    assert got["total"] == 23 and got["page"] == 1 and got["pages"] == 1
    assert got["results"][0]["id"] == ids["titled"] and got["next_cursor"] is None
    newest = []
    for n in (1, 2, 3):
        page = client.get("/api/search", params={"q": "solar", "limit": 10, "page": n}).json()
        assert page["pages"] == 3 and page["page"] == n
        newest += [r["id"] for r in page["results"]]
    oldest = []
    for n in (1, 2, 3):
        page = client.get(
            "/api/search", params={"q": "solar", "limit": 10, "page": n, "sort": "oldest"}
        ).json()
        oldest += [r["id"] for r in page["results"]]
    assert len(set(newest)) == 23 and oldest == [*newest[:-1][::-1], ids["undated"]]
    cursor = client.get("/api/search", params={"q": "solar", "limit": 10}).json()["next_cursor"]
    mixed = client.get("/api/search", params={"q": "solar", "cursor": cursor, "sort": "oldest"})
    assert mixed.status_code == 400 and "leave it out" in mixed.json()["error"]
    assert client.get("/api/search", params={"q": "solar", "sort": "best"}).status_code == 400
    assert (
        client.get("/api/search", params={"q": "solar", "page": 4, "limit": 10}).status_code == 404
    )


def test_the_relevance_sort_is_refused_over_too_many_matches(
    web: tuple[httpx.Client, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from uninews.web import paging

    client, _ = web
    monkeypatch.setattr(paging, "MAX_RANKED", 10)
    page = client.get("/search", params={"q": "solar"})
    assert "relevance: for 10 matches or fewer" in _text(page.text)
    assert "sort=relevance" not in page.text
    refused = client.get("/search", params={"q": "solar", "sort": "relevance"})
    assert refused.status_code == 400 and "too many matches (23)" in _text(refused.text)


def test_date_inputs_are_iso_text(web: tuple[httpx.Client, dict[str, str]]) -> None:
    client, _ = web
    page = client.get("/search")
    assert 'type="date"' not in page.text
    for name in ("since", "until"):
        field = re.search(rf'<input [^>]*name="{name}"[^>]*>', page.text)
        assert field is not None, name
        assert 'type="text"' in field.group(0) and 'placeholder="YYYY-MM-DD"' in field.group(0)
        assert r'pattern="\d{4}-\d{2}-\d{2}"' in field.group(0)
    kept = client.get("/search", params={"since": "2020-01-05", "until": "2020-01-06"})
    assert 'value="2020-01-05"' in kept.text and "2 articles" in _text(kept.text)
    assert client.get("/search", params={"since": "01/05/2020"}).status_code == 400


def test_home_and_site_pages_name_sites_by_title(tmp_path: Path) -> None:
    uri = store_uri("sqlite", tmp_path)
    store = open_store(uri)
    populate(store)
    sites = tmp_path / "sites"
    sites.mkdir()
    # Without the site's file: the slug, and a schedule nobody here can know.
    with serving(create_app(store)) as base, httpx.Client(base_url=base) as client:
        home = client.get("/")
        assert re.search(r'<a href="/sites/solarnews">solarnews</a></td>', home.text)
        page = _text(client.get("/sites/solarnews").text)
        assert "Schedule unknown: this server was not given the daemon's site files" in page
        assert "uninews serve --sites-dir DIR" in page and "next run: –" not in page
    with serving(create_app(store, sites_dir=sites)) as base, httpx.Client(base_url=base) as client:
        page = _text(client.get("/sites/solarnews").text)
        assert "the site files this server was given ( --sites-dir ) have none" in page
    (sites / "solarnews.yaml").write_text(BULK_YAML)
    with serving(create_app(store, sites_dir=sites)) as base, httpx.Client(base_url=base) as client:
        home = client.get("/")
        assert re.search(
            r'<a href="/sites/solarnews">Solar University News</a> <small class="slug">solarnews</small>',
            home.text,
        )  # fmt: skip
        page = client.get("/sites/solarnews")
        assert "<h1>Solar University News <small" in page.text
        assert "Schedule: 5 */6 * * *" in _text(page.text)
        search = client.get("/search")
        assert '<option value="solarnews">Solar University News (solarnews)</option>' in search.text
    store.close()
