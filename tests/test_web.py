"""`uninews serve` over HTTP, on both stores: search, articles, versions, the archived page,
site dashboards, the JSON API, bad parameters, hostile content, the token."""

from __future__ import annotations

import base64
import html
import http.client
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from storage import ArchiveStore, open_store
from tests.conftest import store_uri
from tests.crawling import uninews
from tests.webarchive import HOSTILE_TITLE, Archive, populate, serving
from uninews.web.app import create_app
from uninews.web.guard import cookie_value


@pytest.fixture(params=["sqlite", "mongomock"])
def web(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[httpx.Client, Archive]]:
    uri = store_uri(request.param, tmp_path)
    writer: ArchiveStore = open_store(uri)
    archive = populate(writer)
    # The app reads as `uninews serve` does: read-only (mongomock: the same in-memory server).
    store = open_store(uri, readonly=True) if request.param == "sqlite" else writer
    with serving(create_app(store)) as base, httpx.Client(base_url=base, timeout=10) as client:
        yield client, archive
    writer.close()


def _text(page: str) -> str:
    """What a person reads: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_home_lists_each_site_with_its_figures(web: tuple[httpx.Client, Archive]) -> None:
    client, _ = web
    page = client.get("/")
    assert page.status_code == 200
    text = _text(page.text)
    assert re.search(r"mit 4 2024-03-15 … 2024-06-01 0 1 ok", text), text
    assert re.search(r"tsinghua 3 2016-03-04 … 2018-09-01 1 0 ok", text), text
    assert 'href="/sites/tsinghua"' in page.text and "Daemon: not running" in text


def test_a_chinese_search_finds_highlights_counts_and_pages(
    web: tuple[httpx.Client, Archive],
) -> None:
    client, archive = web
    page = client.get("/search", params={"q": "党建"})
    text = _text(page.text)
    assert "3 articles" in text
    assert page.text.count("<mark>党建</mark>") >= 3
    titles = re.findall(r'class="title" href="/articles/(\w+)"', page.text)
    assert titles == [archive.ids["103"], archive.ids["102"], archive.ids["party"]]  # newest first
    # one at a time: a count, a next link carrying the query, every result once
    seen, url = [], "/search?q=%E5%85%9A%E5%BB%BA&limit=1"
    while url:
        page = client.get(html.unescape(url))
        assert "3 articles" in _text(page.text)
        seen += re.findall(r'class="title" href="/articles/(\w+)"', page.text)
        nxt = re.search(r'rel="next" href="([^"]+)"', page.text)
        url = nxt.group(1) if nxt else ""
    assert seen == titles
    # filters: site, dates, author (English, case-insensitive)
    assert "2 articles" in _text(client.get("/search?q=LABORATORY&site=mit").text)
    one = client.get("/search", params={"q": "党建", "since": "2017-01-01", "until": "2017-12-31"})
    assert re.findall(r'href="/articles/(\w+)"', one.text) == [archive.ids["102"]]
    assert "1 article" in _text(client.get("/search", params={"author": "李含"}).text)
    assert "No article matches." in _text(client.get("/search", params={"q": "nothingatall"}).text)


def test_the_article_page_shows_every_field_and_its_versions(
    web: tuple[httpx.Client, Archive],
) -> None:
    client, archive = web
    aid = archive.ids["party"]
    page = client.get(f"/articles/{aid}")
    text = _text(page.text)
    for shown in (
        "清华首次举行各单位党委书记抓基层党建工作现场述职评议会",  # the headline, as edited
        "落实全面从严治党主体责任",  # subtitle
        "2016-03-04 21:16:26+08:00",  # in the site's timezone
        "Source 清华新闻网",
        "Reporters 李含",
        "Photographers 杨艳宾",
        "Editors 清芷",
        "述职评议会现场。",  # caption
        "述职报告.pdf",
        "提出四点要求",  # the text
        "v1",
        "v2",
    ):
        assert shown in text, shown
    assert 'href="https://www.tsinghua.edu.cn/info/1182/101.htm"' in page.text  # the original
    assert f'href="/articles/{aid}/diff?from=1&amp;to=2"' in page.text
    assert f'<iframe class="raw" src="/articles/{aid}/raw" sandbox' in page.text

    diff = client.get(f"/articles/{aid}/diff", params={"from": 1, "to": 2})
    body = _text(diff.text)
    assert "Changes from v1 to v2" in body
    assert "清华首次举行基层党建工作现场述职评议会" in body  # the old title
    # In the fields table too, only the characters the new title added are marked.
    assert (
        '<td class="add">清华首次举行<ins>各单位党委书记抓</ins>基层党建工作现场述职评议会</td>'
        in diff.text
    )
    # Inside the changed line, only what changed is marked: the characters, not the line.
    assert '<div class="del">校党委书记陈旭作总结讲话。</div>' in diff.text
    assert '<div class="add">校党委书记陈旭作总结讲话<ins>，提出四点要求</ins>。</div>' in diff.text
    only = client.get(f"/articles/{archive.ids['102']}/diff")
    assert "only one version" in _text(only.text)


def test_the_archived_page_is_served_inert(web: tuple[httpx.Client, Archive]) -> None:
    client, archive = web
    raw = client.get(f"/articles/{archive.ids['hostile']}/raw")
    assert raw.status_code == 200
    csp = raw.headers["content-security-policy"]
    assert csp.startswith("sandbox;") and "script-src" not in csp and "allow-scripts" not in csp
    assert "default-src 'none'" in csp
    assert raw.headers["content-type"] == "text/html; charset=utf-8"  # the page's own
    assert raw.headers["x-content-type-options"] == "nosniff"
    assert b"<script>document.title" in raw.content  # the bytes as fetched, nothing rewritten


def test_hostile_text_is_text_everywhere(web: tuple[httpx.Client, Archive]) -> None:
    client, archive = web
    aid = archive.ids["hostile"]
    for path in (
        f"/articles/{aid}",
        "/search?q=hostile",
        "/search?site=mit",
        f"/articles/{aid}/diff",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "<script>alert" not in page.text and "<img src=x" not in page.text, path
        assert "<svg onload" not in page.text and "<b>bold" not in page.text, path
        assert not re.search(r"""(href|src)\s*=\s*["']?\s*javascript:""", page.text, re.I), path
        assert "<script" not in page.text.lower(), path  # the app's own pages have none
        csp = page.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp, path
    article = client.get(f"/articles/{aid}").text
    assert html.escape(HOSTILE_TITLE, quote=False) in article.replace("&#34;", '"')
    assert re.search(r"<li>\s*evil\s*</li>", article)  # the attachment named, not linked


def test_sites_dashboard_has_months_runs_and_fill_rates(web: tuple[httpx.Client, Archive]) -> None:
    client, _ = web
    page = client.get("/sites/tsinghua")
    assert page.status_code == 200
    bars = re.findall(r"<title>(\d{4}-\d\d): (\d+)</title>", page.text)
    assert bars[0] == ("2016-03", "1") and bars[-1] == ("2018-09", "1")
    assert len(bars) == 31  # every month from 2016-03 to 2018-09, empty ones too
    assert sum(int(n) for _, n in bars) == 3
    text = _text(page.text)
    # Archive-wide, then the last crawl (the later revisit of one article is not the site's).
    assert "Archive (3 articles)" in text
    assert "authors 100% 80% 80%" in text and "title 100% 100% 100%" in text
    assert "source 33% 0% 0%" in text
    assert re.search(r"2026-11-20 00:00:00 crawl ok 3 1 0", text), text
    assert "Schedule:" in text  # the packaged tsinghua site file gives one
    assert client.get("/sites/nowhere").status_code == 404


def test_the_json_api(web: tuple[httpx.Client, Archive]) -> None:
    client, archive = web
    first = client.get("/api/search", params={"q": "党建", "limit": 2}).json()
    assert first["total"] == 3 and first["count"] == 2 and first["next_cursor"]
    assert "html" not in first["results"][0] and first["results"][0]["site"] == "tsinghua"
    rest = client.get(
        "/api/search", params={"q": "党建", "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert rest["count"] == 1 and rest["next_cursor"] is None
    ids = [r["id"] for r in first["results"] + rest["results"]]
    assert ids == [archive.ids["103"], archive.ids["102"], archive.ids["party"]]

    one = client.get(f"/api/articles/{archive.ids['party']}").json()
    assert one["photographers"] == ["杨艳宾"] and one["version"] == 2
    versions = client.get(f"/api/articles/{archive.ids['party']}/versions").json()
    assert [v["version"] for v in versions] == [1, 2] and "title" in versions[1]["changed"]
    sites = client.get("/api/sites").json()
    assert {s["site"]: s["articles"] for s in sites["sites"]} == {"mit": 4, "tsinghua": 3}
    assert sites["daemon"]["state"] == "never"
    stats = client.get("/api/sites/mit/stats").json()
    assert [m["month"] for m in stats["months"]] == ["2024-03", "2024-04", "2024-05", "2024-06"]
    assert (
        stats["runs"][0]["counts"]["inserted"] == 4
        and stats["fill_rates"]["title"]["last_run"] == 1.0
    )
    authors = client.get("/api/sites/tsinghua/stats").json()["fill_rates"]["authors"]
    assert authors == {"archive": 1.0, "last_run": 0.8, "median": 0.8}
    spec = client.get("/api/openapi.json").json()
    assert {"/api/search", "/api/articles/{article_id}", "/api/articles/{article_id}/versions",
            "/api/sites", "/api/sites/{name}/stats"} <= set(spec["paths"])  # fmt: skip
    assert "next_cursor" in spec["components"]["schemas"]["SearchPage"]["properties"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/search?since=2024-13-01",
        "/api/search?until=yesterday",
        "/api/search?limit=0",
        "/api/search?limit=100000",
        "/api/search?cursor=not-a-cursor",
        "/api/search?since=2024-02-01&until=2024-01-01",
        "/api/search?q=" + "x" * 500,
        "/search?since=2024-02-30",
        "/search?cursor=%00%01",
        "/search?limit=abc",
        # found by a security review: each was a 500 or a 503 with the archive's path
        "/api/search?cursor=" + base64.urlsafe_b64encode(b"[" * 3000).decode(),
        "/api/search?author=" + "a" * 60_000,
        # nothing the index can look up: every record would be read (and counted)
        "/api/search?q=%21",
        "/search?q=%E7%9A%84",
    ],
)
def test_bad_parameters_are_400_with_a_message(
    web: tuple[httpx.Client, Archive], path: str
) -> None:
    client, _ = web
    answer = client.get(path)
    assert answer.status_code == 400, answer.text
    if path.startswith("/api/"):
        assert answer.json()["error"]
    else:
        assert "400" in answer.text and "bad" in answer.text.lower()


def test_a_lone_chinese_character_beside_a_word_is_still_searched(
    web: tuple[httpx.Client, Archive],
) -> None:
    client, _ = web
    answer = client.get("/api/search", params={"q": "党建 会"})  # the word narrows it first
    assert answer.status_code == 200 and answer.json()["total"] >= 1


def test_unknown_things_are_404(web: tuple[httpx.Client, Archive]) -> None:
    client, archive = web
    assert client.get("/api/articles/0000000000000000").status_code == 404
    assert client.get("/articles/0000000000000000").status_code == 404
    assert client.get(f"/articles/{archive.ids['party']}/diff?from=7").status_code == 404
    assert client.get("/api/sites/nowhere/stats").json() == {
        "error": "no site 'nowhere' in this archive or the site files"
    }


def test_a_token_guards_every_request(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    archive = populate(store)
    token = "s3cret-token-0123456789"
    with serving(create_app(store, token=token, local_only=False)) as base:
        with httpx.Client(base_url=base) as anon:
            for path in ("/", "/api/search?q=x", f"/articles/{archive.ids['party']}/raw"):
                assert anon.get(path).status_code == 401, path
            assert anon.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
            assert anon.get("/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
            # any text where the token goes is refused, never a 500
            assert anon.get("/?token=%C3%A9").status_code == 401
            assert anon.get("/", headers={"Authorization": b"Bearer \xc3\xa9"}).status_code == 401
            # the landing redirect stays on this server, whatever the path
            conn = http.client.HTTPConnection(*urlsplit(base).netloc.split(":"))
            conn.request("GET", f"//evil.example/x?token={token}")  # the path as sent, raw
            away = conn.getresponse()
            assert away.status == 303 and away.getheader("location") == "/evil.example/x"
            conn.close()
        with httpx.Client(base_url=base, follow_redirects=True) as browser:
            landed = browser.get(f"/search?q=climate&token={token}")
            assert landed.status_code == 200 and str(landed.url).endswith("/search?q=climate")
            assert "2 articles" in _text(landed.text)
            assert browser.get("/api/sites").status_code == 200  # the cookie carries it now
            # ... a value derived from the token, not the token itself
            cookie = browser.cookies["uninews_token"]
            assert token not in cookie and cookie == cookie_value(token)
        with httpx.Client(base_url=base, cookies={"uninews_token": token}) as raw_cookie:
            assert raw_cookie.get("/").status_code == 401  # the token is no cookie value
        with httpx.Client(base_url=base) as anon:
            for scheme in ("bearer", "BEARER", "Bearer"):  # the scheme is case-insensitive
                got = anon.get("/", headers={"Authorization": f"{scheme} {token}"})
                assert got.status_code == 200, scheme
            assert anon.get("/", headers={"Authorization": f"Basic {token}"}).status_code == 401
            assert anon.get("/", headers={"Authorization": token}).status_code == 401
    store.close()


def test_head_is_answered_like_get_without_a_body(web: tuple[httpx.Client, Archive]) -> None:
    client, archive = web
    for path in ("/", "/search?q=climate", f"/articles/{archive.ids['party']}",
                 "/sites/tsinghua", "/api/search?q=x", "/api/sites"):  # fmt: skip
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-security-policy"] == got.headers["content-security-policy"]
    assert client.head("/articles/nothing").status_code == 404
    assert client.post("/api/sites").status_code == 405  # only HEAD joins GET


def test_only_loopback_names_are_answered_without_a_token(
    web: tuple[httpx.Client, Archive],
) -> None:
    client, _ = web
    assert client.get("/", headers={"Host": "attacker.example"}).status_code == 400
    assert client.get("/", headers={"Host": "localhost"}).status_code == 200


def test_serve_refuses_bad_setups_in_one_line(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'a.db'}"
    populate_file = open_store(store)
    populate(populate_file)
    populate_file.close()
    wide = uninews("serve", "--store", store, "--host", "0.0.0.0")
    assert wide.returncode == 2 and "--token" in wide.stderr and wide.stderr.count("\n") == 1
    short = uninews("serve", "--store", store, "--host", "0.0.0.0", "--token", "abc")
    assert short.returncode == 2 and "too short" in short.stderr
    accented = uninews("serve", "--store", store, "--host", "0.0.0.0", "--token", "é" * 20)
    assert accented.returncode == 2 and "printable ASCII" in accented.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        taken = uninews("serve", "--store", store, "--port", port)
    assert (
        taken.returncode == 2
        and "cannot listen" in taken.stderr
        and "Traceback" not in taken.stderr
    )
    bad_port = uninews("serve", "--store", store, "--port", "99999")
    assert bad_port.returncode == 2 and "port" in bad_port.stderr
    missing = uninews("serve", "--store", f"sqlite:///{tmp_path / 'none.db'}")
    assert missing.returncode == 1 and "no archive" in missing.stderr


def test_serve_sends_each_page_without_waiting_for_acks() -> None:
    """A page leaves as headers then body: with Nagle's algorithm on, the body of every page on
    a kept-alive connection waited for the browser's delayed ACK (40 ms). `serve`'s socket turns
    it off, and the connections it accepts inherit that."""
    import socket

    from uninews.cli import listening_socket

    server = listening_socket("127.0.0.1", 0)
    server.listen()
    with socket.create_connection(server.getsockname()[:2]):
        conn, _ = server.accept()
        with conn:
            assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    server.close()


def test_a_partial_date_draws_no_month() -> None:
    """A record imported with a date of its year only must not break the site's chart."""
    from uninews.web.queries import _months

    months = _months([("2024", 3), ("2024-01", 1), ("2024-03", 2)])
    assert [(m["month"], m["articles"]) for m in months] == [
        ("2024-01", 1), ("2024-02", 0), ("2024-03", 2),
    ]  # fmt: skip
