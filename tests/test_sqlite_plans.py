"""The SQLite queries a crawl runs for every page look rows up by key, never by site alone: a
lookup that walks a site's rows makes a crawl slower with every article it stores."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from storage import RawPage, open_store
from tests.test_store_contract import BODY, rec


def _per_page_queries(tmp_path: Path) -> list[str]:
    store: Any = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    for i in range(30):  # enough rows for the planner to have a choice
        url = f"http://news.example.edu.cn/info/1/{i}.htm"
        store.upsert(
            rec(url, text=BODY + str(i)), RawPage(url, url, 200, {}, b"x" * i, "2026-01-01Z")
        )
    seen: list[str] = []
    store._db.set_trace_callback(seen.append)
    store._reader.set_trace_callback(seen.append)
    url = "http://news.example.edu.cn/info/1/new.htm"
    store.upsert(rec(url, text=BODY + "新"), RawPage(url, url, 200, {}, b"new", "2026-01-02Z"))
    store.upsert(rec(url, text=BODY + "新"), RawPage(url, url, 200, {}, b"new", "2026-01-03Z"))
    store.upsert(rec(url, text=BODY + "改"), RawPage(url, url, 200, {}, b"new2", "2026-01-04Z"))
    store.known_urls([url, "http://news.example.edu.cn/info/1/none.htm"])
    store._db.set_trace_callback(None)
    store._reader.set_trace_callback(None)
    queries = [q for q in dict.fromkeys(seen) if re.match(r"\s*(SELECT|INSERT|UPDATE)", q, re.I)]
    plans = []
    for q in queries:
        rows = store._db.execute("EXPLAIN QUERY PLAN " + q).fetchall()
        plans += [f"{row[3]}  ← {q[:80]}" for row in rows]
    store.close()
    return plans


def test_no_per_page_query_scans_articles_or_walks_a_site(tmp_path: Path) -> None:
    plans = _per_page_queries(tmp_path)
    assert plans
    bad = [p for p in plans if re.match(r"SCAN (articles|raw_pages|aliases)\b", p)
           or re.search(r"USING (COVERING )?INDEX articles_site_\w+ \(site=\?\)", p)]  # fmt: skip
    assert not bad, "\n".join(bad)
