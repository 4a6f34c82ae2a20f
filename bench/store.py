"""Store benchmark: upsert rate and keyword-search latency of the archive (SQLite; MongoDB when MONGODB_URI is set) at 10k and 100k records."""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.common import phase, setup_logging

logger = logging.getLogger(__name__)

SITE = "bench-store"
ORIGIN = "http://news.tsinghua.edu.cn"
EN_SHARE = 0.2  # one record in five is in English
BODY_CHARS = (1200, 2800)  # body length in characters: about 2,000 on average
RARE_ZH = (
    "党建"  # the Chinese query: put into RARE_ZH_SHARE of the Chinese records, as in real news
)
RARE_ZH_SHARE = 0.03
QUERIES = {
    # name: (text, what it stands for)
    "zh": (RARE_ZH, "a Chinese keyword in ~3% of the records"),
    "en": ("climate", "an English keyword in ~8% of the records"),
    "zh_common": ("研究", "a Chinese word in most records (worst case)"),
    "en_common": ("research", "an English word in most English records"),
}
TARGET_QUERIES = ("zh", "en")
SEARCH_REPEATS = 40
SEARCH_SECONDS = 8.0  # fewer repeats (at least 5) for queries slower than that in all
ZH_PARTY = (
    "学校党委深入推进党建工作与事业发展深度融合，各院系党支部结合学科特点开展主题党日活动。",
    "会议强调，要以高质量党建引领学校高质量发展，把党建工作成效转化为育人实效。",
)


def _records(n: int, start: int = 0, seed: int = 7) -> Iterator[dict[str, Any]]:
    """`n` records shaped like the crawler's, numbered from `start` (deterministic)."""
    from tests.sitegen.text import EnWriter, ZhWriter, en_name

    rng = random.Random(f"{seed}:{start}")
    zh = ZhWriter(rng, 2015)
    en = EnWriter(rng)
    base = datetime(2008, 1, 1, 8)
    for i in range(start, start + n):
        english = rng.random() < EN_SHARE
        target = rng.randint(*BODY_CHARS)
        paras: list[str] = []
        size = 0
        while size < target:
            p = (
                " ".join(rng.choices(en.pool, k=rng.randint(2, 4)))
                if english
                else rng.choice(zh.para_pool)
            )
            paras.append(p)
            size += len(p) + 1
        if not english and rng.random() < RARE_ZH_SHARE:
            paras.insert(rng.randrange(len(paras) + 1), rng.choice(ZH_PARTY))
        when = base + timedelta(minutes=97 * i + rng.randrange(90))
        title = en.title() if english else zh.title()
        names = [en_name(rng)] if english else zh.names(rng.choice((1, 2)))
        aid = f"{when:%Y%m%d%H%M%S}{i:09d}"
        url = f"{ORIGIN}/publish/news/4205/{when:%Y}/{aid}/{aid}_.html"
        text = "\n".join(paras)
        yield {
            "url": url,
            "canonical_url": url,
            "site": SITE,
            "title": title,
            "subtitle": None,
            "published_at": when.strftime("%Y-%m-%dT%H:%M:%S") + "+08:00",
            "updated_at": None,
            "source": "Tsinghua News" if english else "清华新闻网",
            "authors": names,
            "photographers": [] if english else zh.names(rng.choice((0, 0, 1))),
            "editors": [] if english else [zh.pen_name()],
            "reviewers": [],
            "contributors": [],
            "language": "en" if english else "zh",
            "keywords": [] if english else zh.keywords(),
            "text": text,
            "images": [],
            "attachments": [],
            "html": "".join(f"<p>{p}</p>" for p in paras),
            "fetched_at": "2026-01-01T00:00:00Z",
            "fetch": {
                "status": 200,
                "final_url": url,
                "content_type": "text/html",
                "length": 52000,
                "layout": "legacy",
            },
            "extractor_version": "bench",
        }


def _raw_page(record: dict[str, Any]) -> Any:
    """A ~50 KB page around the record's body, as the crawler would keep it."""
    from storage import RawPage

    chrome = (
        "<div class='nav'>"
        + "".join(f"<a href='/publish/news/{k}/index.html'>栏目{k}</a>" for k in range(400))
        + "</div>"
    )
    body = f"<html><head><title>{record['title']}</title></head><body>{chrome}{record['html']}{chrome}</body></html>"
    return RawPage(
        record["url"],
        record["url"],
        200,
        {"Content-Type": "text/html"},
        body.encode(),
        record["fetched_at"],
    )


def upsert_many(store: Any, n: int, start: int, with_raw: bool = False) -> dict[str, Any]:
    """Upsert n fresh records; records/s (generation is outside the timing)."""
    records = list(_records(n, start))
    raws = [_raw_page(r) for r in records] if with_raw else [None] * n
    t0 = time.perf_counter()
    for rec, raw in zip(records, raws, strict=True):
        store.upsert(rec, raw)
    seconds = time.perf_counter() - t0
    return {"records": n, "seconds": round(seconds, 2), "records_per_s": round(n / seconds, 1)}


def search_latency(store: Any, text: str, repeats: int = SEARCH_REPEATS) -> dict[str, Any]:
    """p50/p95 of `store.search(SearchQuery(text=..., limit=20))`, fully consumed."""
    from storage import SearchQuery

    hits = len(list(store.search(SearchQuery(text=text, limit=20))))  # warm-up
    total = sum(1 for _ in store.search(SearchQuery(text=text, limit=None)))
    times: list[float] = []
    budget = time.perf_counter() + SEARCH_SECONDS
    for k in range(repeats):
        if k >= 5 and time.perf_counter() > budget:
            break
        t0 = time.perf_counter()
        list(store.search(SearchQuery(text=text, limit=20)))
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {
        "query": text,
        "returned": hits,
        "matching": total,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "max_ms": round(times[-1], 1),
        "repeats": len(times),
    }


def mongo_uri() -> str | None:
    """A throw-away database on the server MONGODB_URI names, or None without one."""
    base = os.environ.get("MONGODB_URI")
    if not base:
        return None
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/uninews_bench_{uuid.uuid4().hex[:8]}"))


def run(
    sizes: tuple[int, ...] = (10_000, 100_000),
    workdir: Path | None = None,
    uri: str | None = None,
) -> dict[str, Any]:
    """Fill one store (SQLite on disk, or `uri`: a MongoDB database, dropped afterwards) in steps
    up to each size; measure writes and searches at each."""
    from storage import open_store

    tmp = Path(tempfile.mkdtemp(prefix="uninews-bench-store-", dir=workdir))
    path = tmp / "archive.sqlite3"  # on disk, where an archive lives (not in memory)
    store = open_store(uri or f"sqlite:///{path}")
    out: dict[str, Any] = {"path_fs": str(tmp), "body_chars": list(BODY_CHARS), "scales": {}}
    try:
        done = 0
        for size in sizes:
            with phase(f"store: fill to {size:,} records"):
                step = size - done
                # The write rate is that of the last 10,000 records (or all, when fewer).
                tail = min(step, 10_000)
                if step > tail:
                    filled = upsert_many(store, step - tail, done)
                    logger.info(
                        "  filled %s records at %.0f records/s",
                        f"{filled['records']:,}",
                        filled["records_per_s"],
                    )
                write = upsert_many(store, tail, size - tail)
                done = size
            logger.info(
                "  %s records: last %s upserts at %.0f records/s",
                f"{size:,}",
                f"{tail:,}",
                write["records_per_s"],
            )
            searches = {}
            with phase(f"store: search at {size:,} records"):
                for name, (text, _) in QUERIES.items():
                    searches[name] = search_latency(store, text)
                    s = searches[name]
                    logger.info(
                        "  %-9s %-8s p50 %6.1f ms  p95 %6.1f ms  (%s matching)",
                        name, text, s["p50_ms"], s["p95_ms"], f"{s['matching']:,}",
                    )  # fmt: skip
            out["scales"][str(size)] = {
                "write": write,
                "search": searches,
                "db_mb": None
                if uri
                else round(sum(f.stat().st_size for f in tmp.iterdir()) / 2**20, 1),
            }
        with phase("store: upserts with a ~50 KB raw page"):
            out["write_with_raw"] = upsert_many(store, 1000, done, with_raw=True)
            logger.info("  with raw pages: %.0f records/s", out["write_with_raw"]["records_per_s"])
    finally:
        if uri:
            store.db.client.drop_database(store.db.name)  # type: ignore[attr-defined]
        store.close()
        shutil.rmtree(tmp, ignore_errors=True)
    out["queries"] = {k: {"text": t, "stands_for": d} for k, (t, d) in QUERIES.items()}
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.store", description=__doc__)
    p.add_argument("--sizes", default="10000,100000", help="record counts to measure at")
    args = p.parse_args(argv)
    setup_logging()
    print(
        json.dumps(run(tuple(int(s) for s in args.sizes.split(","))), indent=1, ensure_ascii=False)
    )


if __name__ == "__main__":
    main()
