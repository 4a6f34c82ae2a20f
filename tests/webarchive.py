"""A small archive for the web tests, written through the storage contract (any backend): Chinese
and English articles, an edited one, a withdrawn one, a hostile one, runs; and a live server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage import ArchiveStore, RawPage, RunRecord
from storage.base import WITHDRAWN

THU = "https://www.tsinghua.edu.cn/info"
MIT = "https://news.mit.edu/2024"
PARTY = (
    "3月3日，清华大学各单位党委书记抓基层党建工作现场述职评议会在主楼接待厅举行。"
    "此次述职评议重点围绕加强基层党建工作各项任务进行，各单位书记逐一述职。"
)
HOSTILE_TITLE = '<script>alert("t")</script>Hostile <img src=x onerror=alert("i")> title'
HOSTILE_PAGE = b"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>archived</title>
<script>document.title = "pwned"; try { parent.document.body.innerHTML = "pwned"; } catch (e) {}
try { localStorage.setItem("pwned", "1"); } catch (e) {}</script></head>
<body><h1 id="archived-heading">The archived page</h1><img src="x" onerror="document.title='pwned'">
<p>\xe6\xb8\x85\xe5\x8d\x8e\xe6\x96\xb0\xe9\x97\xbb\xe7\xbd\x91</p></body></html>"""


@dataclass
class Archive:
    ids: dict[str, str]  # name -> article id


def _rec(url: str, site: str, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "url": url,
        "canonical_url": url,
        "site": site,
        "language": "zh" if site == "tsinghua" else "en",
        "fetched_at": "2026-11-20T00:00:00Z",
    }
    return base | kw


def _raw(url: str, body: bytes, at: str = "2026-11-20T00:00:00Z") -> RawPage:
    return RawPage(url, url, 200, {"Content-Type": "text/html; charset=utf-8"}, body, at)


def populate(store: ArchiveStore) -> Archive:
    ids: dict[str, str] = {}
    party = _rec(
        f"{THU}/1182/101.htm",
        "tsinghua",
        title="清华首次举行基层党建工作现场述职评议会",
        subtitle="落实全面从严治党主体责任",
        published_at="2016-03-04T21:16:26+08:00",
        source="清华新闻网",
        authors=["李含"],
        photographers=["杨艳宾"],
        editors=["清芷"],
        text=PARTY + "\n校党委书记陈旭作总结讲话。",
        images=[
            {"url": f"{THU}/images/1.jpg", "caption": "述职评议会现场。", "credit": "杨艳宾"},
        ],
        attachments=[{"name": "述职报告.pdf", "url": f"{THU}/files/report.pdf"}],
    )
    ids["party"] = store.upsert(party, _raw(party["url"], b"<html>v1</html>")).article_id
    edited = party | {
        "title": "清华首次举行各单位党委书记抓基层党建工作现场述职评议会",
        "text": PARTY + "\n校党委书记陈旭作总结讲话，提出四点要求。",
        "fetched_at": "2026-11-21T00:00:00Z",
    }
    store.upsert(edited, _raw(party["url"], b"<html>v2</html>", "2026-11-21T00:00:00Z"))
    for n, day in ((102, "2017-05-10"), (103, "2018-09-01")):
        rec = _rec(
            f"{THU}/1182/{n}.htm",
            "tsinghua",
            title=f"清华大学召开第{n}次党建工作会议",
            published_at=f"{day}T09:00:00+08:00",
            authors=["王五"],
            text=f"会议部署了党建工作（第{n}次）。" * 8,
        )
        ids[str(n)] = store.upsert(rec, _raw(rec["url"], b"<html>x</html>")).article_id
    for n, day in ((1, "2024-03-15"), (2, "2024-04-02")):
        rec = _rec(
            f"{MIT}/lab-{n}",
            "mit",
            title=f"New laboratory number {n} opens for climate research",
            published_at=f"{day}T09:00:00-04:00",
            authors=["Todd Bates"],
            text=f"The Climate Laboratory {n} opened on Monday. " * 6,
        )
        ids[f"lab{n}"] = store.upsert(rec, _raw(rec["url"], b"<html>lab</html>")).article_id
    gone = _rec(
        f"{MIT}/retracted",
        "mit",
        title="A retracted story about fusion",
        published_at="2024-05-01T09:00:00-04:00",
        text="This story was taken down by the newsroom later. " * 4,
    )
    ids["gone"] = store.upsert(gone, _raw(gone["url"], b"<html>gone</html>")).article_id
    store.record_check(ids["gone"], WITHDRAWN, "2026-11-25T00:00:00Z", None)
    hostile = _rec(
        f"{MIT}/hostile",
        "mit",
        title=HOSTILE_TITLE,
        subtitle="<b>bold?</b>",
        published_at="2024-06-01T09:00:00-04:00",
        authors=['<script>alert("a")</script>'],
        text="Click <a href=\"javascript:alert('x')\">here</a> or javascript:alert(1). " * 3,
        images=[{"url": "javascript:alert('img')", "caption": "<svg onload=alert(1)>"}],
        attachments=[{"name": "evil", "url": "javascript:alert('att')"}],
    )
    ids["hostile"] = store.upsert(hostile, _raw(hostile["url"], HOSTILE_PAGE)).article_id
    for site, inserted in (("tsinghua", 3), ("mit", 4)):
        run = RunRecord(site=site, started_at="2026-11-20T00:00:00.000000Z")
        run_id = store.start_run(run)
        counts = {"inserted": inserted, "new_version": 1, "errors": 0, "extracted": 5}
        counts |= {"filled_title": 5, "filled_published_at": 5, "filled_authors": 4}
        store.finish_run(run_id, "ok", counts, None)
    # A later revisit of one article: its rates are not the site's.
    revisit = RunRecord(site="tsinghua", started_at="2026-11-21T00:00:00.000000Z", kind="revisit")
    run_id = store.start_run(revisit)
    store.finish_run(run_id, "ok", {"extracted": 1, "filled_title": 1, "filled_authors": 1}, None)
    return Archive(ids)


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The app under a real uvicorn server on 127.0.0.1 (a free port), in a thread."""
    import uvicorn

    from uninews.cli import listening_socket

    sock = listening_socket("127.0.0.1", 0)  # as `uninews serve` makes it
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def screenshot_dir() -> Path:
    """Where browser tests save screenshots ($UNINEWS_TEST_ARTIFACTS, else test-artifacts/)."""
    import os

    root = Path(
        os.environ.get("UNINEWS_TEST_ARTIFACTS") or Path(__file__).parent.parent / "test-artifacts"
    )
    out = root / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out
