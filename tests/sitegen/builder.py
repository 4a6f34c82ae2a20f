"""build_site() and add_articles(): write the fake sites' docroots and the manifest of expected records."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import queue
import random
import string
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property, partial
from pathlib import Path

from . import layouts as L
from .model import (
    EN_HOST,
    ENGLISH,
    GBK,
    GBK_HOST,
    LEGACY,
    NEWS_HOST,
    ORIGINS,
    THUNEWS,
    VSB,
    WWW_HOST,
    ArticleEntry,
    Block,
    Column,
    ExpectedRecord,
    Lead,
    ListItem,
    Manifest,
    Para,
    Photo,
    SiteSpec,
    SourceLine,
    Story,
    record_for,
)
from .paths import file_for_path
from .seed import SEED_COLUMN, SEED_ID, SEED_PATH, SEED_PUBLISHED, SEED_URL, seed_story
from .text import EnWriter, ZhWriter, avg_len, en_pool, zh_pool

# A tiny but valid JPEG, written where pages reference images.
TINY_JPEG = bytes.fromhex(
    "ffd8ffdb004300030202020202030202020303030304060404040404080606050609080a0a090809090a0c0f0c0a0b0e0b"
    "09090d110d0e0f101011100a0c12131210130f101010ffc9000b080001000101011100ffcc000600101005ffda00080101"
    "00003f00d2cf20ffd9"
)
THU = ORIGINS[NEWS_HOST]
WWW = ORIGINS[WWW_HOST]
EN = ORIGINS[EN_HOST]
GB = ORIGINS[GBK_HOST]
SITE_NAME = "清华新闻网"
GBK_SITE_NAME = "北苑医学新闻网"
EN_SITE_NAME = "Northfield Today"


@dataclass
class _Meta:
    """What is known about an article before its body is written (enough for listings and links)."""

    column: str  # column key
    layout: str
    article_id: str
    path: str
    title: str
    published: datetime
    kind: str = "article"  # article | not_found | stub
    variant: str = ""
    alias_of: str | None = None  # cross-posted copy: URL of the original
    extra: dict[str, str] = field(default_factory=dict)

    @cached_property
    def date(self) -> str:
        return self.published.strftime("%Y-%m-%d")


def _parse_day(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%d")


def _spread(
    rng: random.Random, n: int, start: datetime, end: datetime, hours: tuple[int, int] = (8, 22)
) -> list[datetime]:
    """n distinct local times between start and end (inclusive days), newest first, office-ish hours."""
    days = max((end - start).days, 0) + 1
    out: set[datetime] = set()
    while len(out) < n:
        d = start + timedelta(days=rng.randrange(days))
        out.add(
            d.replace(
                hour=rng.randrange(*hours), minute=rng.randrange(60), second=rng.randrange(60)
            )
        )
    return sorted(out, reverse=True)


def _legacy_id(rng: random.Random, when: datetime, i: int) -> str:
    """A 23-digit id: yyyyMMddHHmmss + ms + 6 digits. Usually the page time; sometimes 1 s earlier;
    sometimes days off (the id is never a safe publish date)."""
    ms = rng.randrange(1000)
    stamp = when
    if i % 7 == 3:
        stamp = when - timedelta(seconds=1)
        ms = rng.randrange(500, 1000)
    elif i % 5 == 2:
        stamp = when + timedelta(
            days=rng.randint(1, 3), hours=rng.randint(1, 11), minutes=rng.randrange(60)
        )
    return stamp.strftime("%Y%m%d%H%M%S") + f"{ms:03d}" + f"{rng.randrange(10**6):06d}"


def _prefixed(prefix: str, make: Callable[[], str]) -> str:
    return prefix + make()


def _epoch_ms(when: datetime, rng: random.Random) -> str:
    """A 13-digit millisecond timestamp shortly after `when` (Beijing time)."""
    secs = (when - datetime(1970, 1, 1, 8)).total_seconds() + rng.randint(60, 3000)
    return f"{int(secs * 1000) + rng.randrange(1000):013d}"


PARALLEL_MIN = 400  # article pages below which a build stays in one process
_FORK: dict[str, _Gen] = {}  # the generator a forked worker inherits


def _fork_worker(
    jobs: list[tuple[str, _Meta, tuple[object, ...]]],
) -> list[tuple[ArticleEntry, str]]:
    g = _FORK["gen"]
    g._sync = True
    return [g.make_article(j) for j in jobs]


class _Gen:
    """Holds the spec, the manifest being filled and per-layout size calibration."""

    def __init__(self, root: Path, manifest: Manifest) -> None:
        self.root = root
        self.m = manifest
        self.spec = manifest.spec
        self._overhead: dict[str, int] = {}
        self._per: dict[str, float] = {}
        # pages waiting for the writer threads (bounded, so a big build does not hold them all)
        self._queue: queue.Queue[tuple[Path, bytes] | None] = queue.Queue(maxsize=256)
        self._error: OSError | None = None
        self._sync = False  # True in forked workers: write directly
        self._threads = [
            threading.Thread(target=self._writer, daemon=True, name=f"sitegen-write-{k}")
            for k in range(3)
        ]
        for t in self._threads:
            t.start()
        self._ids: set[str] = {a.article_id for a in manifest.articles}
        self._titles: set[str] = {a.record.title for a in manifest.articles}

    # ---------------------------------------------------------------- io

    def write(self, host: str, path: str, data: bytes) -> None:
        """Queue one file for the writer threads (file-system calls release the GIL, so disk latency
        overlaps with page generation). `flush()` waits until everything queued is on disk."""
        if self._sync:
            self._write_file(file_for_path(self.root / host, path), data)
            return
        if self._error is not None:
            raise self._error
        self._queue.put((file_for_path(self.root / host, path), data))

    def _writer(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                if self._error is None:
                    self._write_file(*job)
            except OSError as e:
                self._error = e
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        self._queue.join()
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        try:
            self.flush()
        finally:
            for _ in self._threads:
                self._queue.put(None)
            for t in self._threads:
                t.join()

    @staticmethod
    def _write_file(f: Path, data: bytes) -> None:
        try:
            fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except FileNotFoundError:
            os.makedirs(f.parent, exist_ok=True)
            fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def write_images(self, host: str, story: Story) -> None:
        if not self.spec.write_images:
            return
        for p in story.photos():
            if "://" in p.src and not p.src.startswith(ORIGINS[host]):
                continue
            path = p.src.split(ORIGINS[host], 1)[-1].split("?", 1)[0]
            self.write(host, path, TINY_JPEG)

    def entry(self, meta: _Meta, story: Story, host: str, encoding: str = "utf-8") -> ArticleEntry:
        return ArticleEntry(
            url=ORIGINS[host] + meta.path,
            host=host,
            path=meta.path,
            layout=meta.layout,
            column=meta.column,
            article_id=meta.article_id,
            encoding=encoding,
            record=record_for(story, ORIGINS[host]),
        )

    def add_entry(
        self, meta: _Meta, story: Story, host: str, encoding: str = "utf-8"
    ) -> ArticleEntry:
        e = self.entry(meta, story, host, encoding)
        self.m.articles.append(e)
        return e

    # ---------------------------------------------------------------- sizes

    def sentences(self, rng: random.Random, layout: str, render: Callable[[int], bytes]) -> int:
        """How many body sentences make the page about the target size."""
        if layout not in self._overhead:
            self._overhead[layout] = len(render(1))
            if layout == ENGLISH:
                per = avg_len(en_pool()) + 2
            else:
                per = avg_len(zh_pool()) * 3 + 3
                if layout == GBK:
                    per = per * 2 / 3
            if layout == LEGACY:
                per *= 2  # the body is on the page twice
            self._per[layout] = per
        kb = self.spec.size_kb
        if kb:
            target = kb * 1024 * rng.uniform(0.75, 1.25)
        else:
            lo, hi = {
                LEGACY: (22, 48),
                THUNEWS: (30, 56),
                VSB: (22, 40),
                GBK: (8, 16),
                ENGLISH: (14, 26),
            }[layout]
            target = rng.uniform(lo, hi) * 1024
        return max(4, int((target - self._overhead[layout]) / self._per[layout]))

    def unique_title(self, make: Callable[[], str]) -> str:
        for _ in range(50):
            t = make()
            if t not in self._titles:
                self._titles.add(t)
                return t
        t = make() + f"（{len(self._titles)}）"
        self._titles.add(t)
        return t

    def unique_id(self, make: Callable[[], str]) -> str:
        while True:
            i = make()
            if i not in self._ids:
                self._ids.add(i)
                return i

    # ---------------------------------------------------------------- listing pages

    def write_listing(self, col: Column) -> None:
        pages = col.pages()
        total = len(pages)
        n_items = len(col.items)
        urls: list[str] = []
        for p, items in enumerate(pages, 1):
            if col.layout == LEGACY:
                path = (
                    f"/publish/news/{col.col}/index.html"
                    if p == 1
                    else f"/publish/news/{col.col}/index_{p}.html"
                )
                data = L.legacy_listing(col.col, items, p, total, n_items)
            elif col.layout == THUNEWS:
                path = (
                    f"/publish/thunews/{col.col}/index.html"
                    if p == 1
                    else f"/publish/thunews/{col.col}/index_{p}.html"
                )
                data = L.thunews_listing(col.col, items, p, total, n_items)
            elif col.layout == VSB:
                path = f"/news/{col.col}.htm" if p == 1 else f"/news/{col.col}/{total - p + 1}.htm"
                data = L.vsb_listing(items, p, total, n_items, col.col)
            elif col.layout == ENGLISH:
                path = "/news" if p == 1 else f"/news?page={p - 1}"
                data = L.english_listing(items, p, total)
            else:
                path = f"/{col.col}/index.htm"
                data = L.gbk_listing(items)
            self.write(col.host, path, data)
            url = ORIGINS[col.host] + path
            urls.append(url)
            self.m.listing_items[url] = [it.url for it in items]
        stale = self.m.listing_urls.get(col.key, [])
        for url in stale:
            if url not in urls:
                self.m.listing_items.pop(url, None)
        self.m.listing_urls[col.key] = urls

    # ---------------------------------------------------------------- layout A

    def legacy_story(self, rng: random.Random, meta: _Meta) -> Story:
        w = ZhWriter(rng, meta.published.year)
        repost = meta.variant == "repost"
        body: list[Block] = []
        story = Story(
            article_id=meta.article_id, title=meta.title, published=meta.published, body=body
        )
        story.keywords = w.keywords()
        if repost:
            pub = meta.published - timedelta(days=rng.randint(1, 3))
            style = rng.random()
            if style < 0.15:
                date_text = f"{pub.month}-{pub.day}"  # no year on the page
            else:
                date_text = f"{pub.year}-{pub.month}-{pub.day}"
            outlet = w.outlet()
            if rng.random() < 0.2:
                outlet = f"《{outlet}》"
            names = w.names(rng.choice((0, 1, 1, 1, 2)))
            story.source_line = SourceLine(outlet, date_text, pub.strftime("%Y-%m-%d"), names)
            if rng.random() < 0.25:
                story.subtitle = w.subtitle()
        else:
            story.site_source = SITE_NAME
            event_day = meta.published - timedelta(days=rng.choice((0, 0, 1)))
            body.append(
                Lead(
                    f"{SITE_NAME}{meta.published.month}月{meta.published.day}日电",
                    self._roles(w),
                    w.lead_event(event_day),
                )
            )
            if rng.random() < 0.6:
                story.editors = [w.pen_name()]
            if rng.random() < 0.3:
                story.contributors = [w.unit()]
            if rng.random() < 0.2:
                story.reviewers = [w.name()]
        n = self.sentences(rng, LEGACY, lambda k: L.legacy_article(self._probe(k), "4205"))
        paras = w.paragraphs(n)
        headings = rng.random() < 0.35 and len(paras) >= 4
        for j, ptext in enumerate(paras):
            if headings and j % 3 == 1:
                body.append(Para(w.heading(), "heading"))
            body.append(Para(ptext))
            if not repost and j == 0 and rng.random() < 0.4:
                folder = meta.path.rsplit("/", 1)[0] + "/"  # images sit next to the page
                body.append(self._photo(rng, w, folder, meta.published))
        story.summary = paras[0][:120]
        return story

    def _probe(self, sentences: int) -> Story:
        """A fixed dummy story to measure a layout's page overhead (independent of `meta`, so every
        worker process calibrates the same way and builds stay deterministic)."""
        w = ZhWriter(random.Random(0))
        return Story(
            "2" * 23,
            "清华大学举办第二十届学术年会暨研讨会",
            datetime(2015, 1, 1),
            [Para(p) for p in w.paragraphs(sentences)],
        )

    def _roles(self, w: ZhWriter) -> list[tuple[str, list[str]]]:
        r = w.rng.random()
        if r < 0.35:
            return [("记者", w.names(1))]
        if r < 0.6:
            return [("通讯员", w.names(w.rng.choice((1, 2))))]
        if r < 0.8:
            a, b = w.names(2)
            return [("记者", [a]), ("通讯员", [b])]
        if r < 0.92:
            a, b, c = w.names(3)
            return [("记者", [a, b]), ("摄影", [c])]
        return []

    def _photo(self, rng: random.Random, w: ZhWriter, folder: str, when: datetime) -> Photo:
        return Photo(
            f"{folder}{_epoch_ms(when, rng)}.jpg", w.caption(), w.names(rng.choice((1, 1, 2)))
        )

    def build_legacy(self) -> None:
        spec = self.spec
        rng = random.Random(f"{spec.seed}:legacy")
        start, end = _parse_day(spec.legacy_start), _parse_day(spec.legacy_end)
        cols = list(spec.legacy_columns)
        metas: dict[str, list[_Meta]] = {}
        counter = 0
        for c in cols:
            n = spec.legacy_columns[c]
            cross = spec.traps and c == cols[0] and len(cols) > 1
            extra = 2 if spec.traps and c == cols[0] else 0
            n_own = n - (1 if cross else 0)
            times = _spread(rng, n_own + extra, start, end)
            ms: list[_Meta] = []
            trap_at = (
                {int(len(times) * 0.3): "stub", int(len(times) * 0.6): "not_found"} if extra else {}
            )
            for j, t in enumerate(times):
                counter += 1
                aid = self.unique_id(partial(_legacy_id, rng, t, counter))
                path = f"/publish/news/{c}/{aid[:4]}/{aid}/{aid}_.html"
                title = self.unique_title(ZhWriter(rng, t.year).title)
                variant = "repost" if rng.random() < 0.5 else "own"
                ms.append(
                    _Meta(
                        f"{LEGACY}:{c}",
                        LEGACY,
                        aid,
                        path,
                        title,
                        t,
                        trap_at.get(j, "article"),
                        variant,
                    )
                )
            metas[c] = ms
        # the same article published in two columns under two ids (identical content)
        if spec.traps and len(cols) > 1:
            first, second = cols[0], cols[1]
            orig = next(m for m in metas[second][1:] if m.kind == "article")
            aid = self.unique_id(partial(_legacy_id, rng, orig.published + timedelta(minutes=3), 1))
            copy = _Meta(
                f"{LEGACY}:{first}",
                LEGACY,
                aid,
                f"/publish/news/{first}/{aid[:4]}/{aid}/{aid}_.html",
                orig.title,
                orig.published,
                "article",
                orig.variant,
                alias_of=THU + orig.path,
            )
            metas[first].append(copy)
            metas[first].sort(key=lambda m: m.published, reverse=True)
            self.m.duplicates.append((THU + orig.path, THU + copy.path))
        # pages
        jobs: list[tuple[str, _Meta, tuple[object, ...]]] = []
        for c in cols:
            ms = metas[c]
            arts = [m for m in ms if m.kind == "article"]
            for j, m in enumerate(ms):
                if m.kind == "stub":
                    self.write(NEWS_HOST, m.path, L.withdrawn_stub())
                    self.m.stubs.append(THU + m.path)
                elif m.kind == "not_found":
                    self.m.not_found.append(THU + m.path)
                elif not m.alias_of:  # a cross-posted copy is written after its original
                    near = [
                        L.Link(x.path, x.title, x.date)
                        for x in arts[max(0, j - 3) : j + 4]
                        if x is not m
                    ]
                    jobs.append((LEGACY, m, (c, near)))
        self.run_jobs(jobs)
        originals = {THU + m.path: m for c in cols for m in metas[c]}
        for c in cols:
            for m in metas[c]:
                if m.alias_of:
                    src = originals[m.alias_of]
                    story = self.legacy_story(random.Random(f"{spec.seed}:{src.article_id}"), src)
                    dup = Story(**{**story.__dict__, "article_id": m.article_id})
                    self.write(NEWS_HOST, m.path, L.legacy_article(dup, c, []))
                    self.m.articles.append(self.entry(m, dup, NEWS_HOST))
        # listings
        for c in cols:
            items = [
                ListItem(THU + m.path, L.shorten(m.title, 26), m.date, m.kind) for m in metas[c]
            ]
            if spec.traps and c == cols[0] and items:
                per = spec.items_per_page
                idx = per if len(items) > per + 1 else 0
                idx = next((k for k in range(idx, len(items)) if items[k].kind == "article"), idx)
                step = min(3, max(1, per - 1))
                rep = items[idx]
                copy_at = min(idx + step, len(items))
                items.insert(copy_at, ListItem(rep.url, rep.title, rep.date, rep.kind))
                self.m.repeated.append(rep.url)
            col = Column(
                f"{LEGACY}:{c}",
                LEGACY,
                NEWS_HOST,
                c,
                L.LEGACY_NAMES.get(c, c),
                spec.items_per_page,
                items,
            )
            self.m.columns[col.key] = col
            self.write_listing(col)
        self.write_legacy_extras()

    def write_legacy_extras(self) -> None:
        latest = sorted(
            (a for a in self.m.articles if a.layout == LEGACY),
            key=lambda a: a.record.published_at,
            reverse=True,
        )[:10]
        links = [L.Link(a.path, a.record.title, a.record.published_at[:10]) for a in latest]
        self.write(NEWS_HOST, "/publish/news/index.html", L.legacy_home(links))
        rows = [{"href": x.href, "title": x.title, "datetime": x.date} for x in links]
        self.write(
            NEWS_HOST,
            "/publish/news/latestnews.json",
            json.dumps(rows, ensure_ascii=False).encode(),
        )

    # ---------------------------------------------------------------- layout B

    def thunews_story(self, rng: random.Random, meta: _Meta) -> Story:
        w = ZhWriter(rng, meta.published.year)
        body: list[Block] = []
        story = Story(meta.article_id, meta.title, meta.published, body, site_source=SITE_NAME)
        story.keywords = w.keywords()
        folder = f"/publish/thunews/9659/{meta.article_id}/"
        event_day = meta.published - timedelta(days=rng.choice((0, 0, 1)))
        body.append(
            Lead(
                f"{SITE_NAME}{meta.published.month}月{meta.published.day}日电",
                self._roles(w),
                w.lead_event(event_day),
            )
        )
        if meta.variant == "photos":
            for _ in range(rng.randint(3, 5)):
                body.append(self._photo(rng, w, folder, meta.published))
        else:
            if rng.random() < 0.3:
                story.kicker = w.subtitle()
            n = self.sentences(rng, THUNEWS, lambda k: L.thunews_article(self._probe(k), "9648"))
            paras = w.paragraphs(n)
            photo_at = {0, len(paras) // 2} if rng.random() < 0.6 else set()
            headings = rng.random() < 0.3 and len(paras) >= 4
            for j, ptext in enumerate(paras):
                if headings and j % 3 == 1:
                    body.append(Para(w.heading(), "heading"))
                body.append(Para(ptext))
                if j in photo_at:
                    body.append(self._photo(rng, w, folder, meta.published))
            if rng.random() < 0.2:
                body.append(
                    Para(
                        f"论文链接：https://doi.org/10.{rng.randint(1000, 9999)}/s{rng.randint(10**6, 10**7)}"
                    )
                )
        r = rng.random()
        story.editors = [w.pen_name()] if r < 0.9 else []
        if rng.random() < 0.4:
            story.contributors = [w.unit()]
        if rng.random() < 0.3:
            story.reviewers = [w.name()]
        story.summary = body[0].rest if isinstance(body[0], Lead) else ""
        return story

    def build_thunews(self) -> None:
        spec = self.spec
        rng = random.Random(f"{spec.seed}:thunews")
        n = max(spec.thunews_articles - 1, 0)
        times = _spread(rng, n, datetime(2016, 1, 11), datetime(2016, 4, 22))
        metas: list[_Meta] = []
        for k, t in enumerate(times):
            aid = self.unique_id(partial(_legacy_id, rng, t, k + 2))
            path = f"/publish/thunews/{SEED_COLUMN}/{aid[:4]}/{aid}/{aid}_.html"
            variant = "photos" if k == 2 else ""
            make = ZhWriter(rng, 2016).title
            title = self.unique_title(partial(_prefixed, "组图：", make) if variant else make)
            metas.append(
                _Meta(f"{THUNEWS}:{SEED_COLUMN}", THUNEWS, aid, path, title, t, "article", variant)
            )
        self._ids.add(SEED_ID)
        seed_meta = _Meta(
            f"{THUNEWS}:{SEED_COLUMN}",
            THUNEWS,
            SEED_ID,
            SEED_PATH,
            seed_story().title,
            SEED_PUBLISHED,
            variant="seed",
        )
        metas.append(seed_meta)
        metas.sort(key=lambda m: m.published, reverse=True)
        self.write_thunews_articles(metas, rng)
        items = [
            ListItem(
                THU + m.path, L.shorten(m.title, 26), m.date, summary=m.extra.get("summary", "")
            )
            for m in metas
        ]
        if spec.traps:
            topic = ListItem(
                f"{THU}/publish/thunews/10512/index.html",
                "【专题】深入推进综合改革 建设世界一流大学",
                items[0].date if items else "2016-04-22",
                "topic",
                "专题汇集学校综合改革相关报道。",
            )
            items.insert(min(2, len(items)), topic)
            self.m.external.append(topic.url)
            self.write(NEWS_HOST, "/publish/thunews/10512/index.html", L.thunews_home([]))
        col = Column(
            f"{THUNEWS}:{SEED_COLUMN}",
            THUNEWS,
            NEWS_HOST,
            SEED_COLUMN,
            "头条新闻",
            spec.items_per_page,
            items,
        )
        self.m.columns[col.key] = col
        self.write_listing(col)
        latest = [L.Link(THU + m.path, m.title, m.date) for m in metas[:8]]
        self.write(NEWS_HOST, "/publish/thunews/index.html", L.thunews_home(latest))

    def write_thunews_articles(
        self, metas: Sequence[_Meta], rng: random.Random, pool: Sequence[_Meta] = ()
    ) -> None:
        everyone = list(pool) or list(metas)
        latest = tuple(L.Link(THU + m.path, m.title, m.date) for m in everyone[:6])
        jobs: list[tuple[str, _Meta, tuple[object, ...]]] = []
        for j, m in enumerate(metas):
            rel = [L.Link(x.path, x.title, x.date) for x in everyone if x is not m][
                j % 3 : j % 3 + 3
            ]
            jobs.append((THUNEWS, m, (rel, latest)))
        self.run_jobs(jobs)

    # ---------------------------------------------------------------- layout C

    def vsb_story(self, rng: random.Random, meta: _Meta) -> Story:
        w = ZhWriter(rng, meta.published.year)
        body: list[Block] = []
        story = Story(meta.article_id, meta.title, meta.published, body)
        story.keywords = w.keywords()
        if meta.variant == "generic":
            story.site_source = w.unit()
            story.date_only = True
        else:
            story.site_source = SITE_NAME
            day = meta.published - timedelta(days=rng.choice((0, 1)))
            body.append(
                Lead(
                    f"{SITE_NAME}{meta.published.month}月{meta.published.day}日电",
                    self._roles(w),
                    w.lead_event(day),
                )
            )
        n = self.sentences(rng, VSB, lambda k: L.vsb_article(self._probe(k), "1182", 1))
        paras = w.paragraphs(n)
        for j, ptext in enumerate(paras):
            body.append(Para(ptext))
            if j == 0 and rng.random() < 0.6:
                h = "".join(rng.choice("0123456789ABCDEF") for _ in range(32))
                src = f"/__local/{h[0]}/{h[1:3]}/{h[3:5]}/{h}_{h[-8:]}.jpg"
                body.append(Photo(src, w.caption(), w.names(1) if rng.random() < 0.7 else []))
        if meta.variant != "generic":
            story.editors = [w.name()]
            if rng.random() < 0.5:
                story.contributors = [w.unit()]
            if rng.random() < 0.5:
                story.reviewers = [w.name()]
        story.summary = paras[0][:80]
        return story

    def build_vsb(self) -> None:
        spec = self.spec
        rng = random.Random(f"{spec.seed}:vsb")
        times = _spread(rng, spec.vsb_articles, datetime(2021, 1, 4), datetime(2021, 3, 26))
        metas: list[_Meta] = []
        nid = 80000 + rng.randrange(1000)
        for k, t in enumerate(reversed(times)):
            nid += rng.randint(3, 40)
            self._ids.add(str(nid))
            title = self.unique_title(ZhWriter(rng, 2021).title)
            variant = "generic" if k % 4 == 3 else "thu"
            metas.append(
                _Meta(
                    f"{VSB}:zxdt",
                    VSB,
                    str(nid),
                    f"/info/1182/{nid}.htm",
                    title,
                    t,
                    "article",
                    variant,
                )
            )
        metas.reverse()
        self.write_vsb_articles(metas)
        items = [
            ListItem(WWW + m.path, m.title, m.date, summary=m.extra.get("summary", ""))
            for m in metas
        ]
        if spec.traps and items:
            code = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(22))
            ext = ListItem(
                f"https://mp.weixin.qq.com/s/{code}",
                "【微信推送】" + items[0].title[:12],
                items[0].date,
                "external",
            )
            items.insert(min(1, len(items)), ext)
            self.m.external.append(ext.url)
        col = Column(f"{VSB}:zxdt", VSB, WWW_HOST, "zxdt", "最新动态", spec.items_per_page, items)
        self.m.columns[col.key] = col
        self.write_listing(col)
        first = L.Link("news/zxdt.htm", "最新动态", "") if metas else None
        self.write(WWW_HOST, "/index.htm", L.vsb_home(first))

    def write_vsb_articles(self, metas: Sequence[_Meta]) -> None:
        jobs: list[tuple[str, _Meta, tuple[object, ...]]] = []
        for j, m in enumerate(metas):
            prev = (
                L.Link(f"{metas[j - 1].article_id}.htm", metas[j - 1].title, metas[j - 1].date)
                if j > 0
                else None
            )
            nxt = (
                L.Link(f"{metas[j + 1].article_id}.htm", metas[j + 1].title, metas[j + 1].date)
                if j + 1 < len(metas)
                else None
            )
            jobs.append((VSB, m, (prev, nxt)))
        self.run_jobs(jobs)

    # ---------------------------------------------------------------- one article page (any worker)

    def make_article(self, job: tuple[str, _Meta, tuple[object, ...]]) -> tuple[ArticleEntry, str]:
        """Generate, render and write one article page; return its manifest entry and list summary."""
        layout, m, ctx = job
        seed = self.spec.seed
        if layout == LEGACY:
            col, near = ctx
            srng = random.Random(f"{seed}:{m.article_id}")
            story = self.legacy_story(srng, m)
            rel = list(near)[: srng.randint(1, 4)]  # type: ignore[call-overload]
            page = L.legacy_article(story, str(col), rel)
            host = NEWS_HOST
        elif layout == THUNEWS:
            rel, latest = ctx
            if m.variant == "seed":
                story = seed_story()
                upper, kicker_first = True, True
            else:
                srng = random.Random(f"{seed}:{m.article_id}")
                story = self.thunews_story(srng, m)
                upper, kicker_first = srng.random() < 0.5, False
            gallery = [
                L.Link(f"{THU}/publish/thunews/9652/index.html", f"图说清华 {k}", "")
                for k in range(1, 4)
            ]
            page = L.thunews_article(story, SEED_COLUMN, upper, rel, gallery, latest, kicker_first)  # type: ignore[arg-type]
            host = NEWS_HOST
        else:
            prev, nxt = ctx
            story = self.vsb_story(random.Random(f"{seed}:{m.article_id}:vsb"), m)
            page = L.vsb_article(story, "1182", int(m.article_id), m.variant, prev, nxt)  # type: ignore[arg-type]
            host = WWW_HOST
        self.write(host, m.path, page)
        self.write_images(host, story)
        return self.entry(m, story, host), story.summary

    def run_jobs(self, jobs: list[tuple[str, _Meta, tuple[object, ...]]]) -> None:
        """Make every article of `jobs`, in forked worker processes for big builds (2+ CPUs)."""
        workers = self.spec.workers or (os.cpu_count() or 1)
        if workers > 1 and len(jobs) >= PARALLEL_MIN and "fork" in mp.get_all_start_methods():
            self.flush()
            _FORK["gen"] = self
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
                    with mp.get_context("fork").Pool(workers) as pool:
                        chunks = [jobs[i : i + 64] for i in range(0, len(jobs), 64)]
                        results = [r for part in pool.imap(_fork_worker, chunks) for r in part]
            finally:
                _FORK.clear()
        else:
            results = [self.make_article(j) for j in jobs]
        for (entry, summary), (_, m, _) in zip(results, jobs, strict=True):
            self.m.articles.append(entry)
            m.extra["summary"] = summary

    # ---------------------------------------------------------------- GBK site

    def build_gbk(self) -> None:
        spec = self.spec
        rng = random.Random(f"{spec.seed}:gbk")
        metas: list[_Meta] = []
        for k in range(spec.gbk_articles):
            w = ZhWriter(rng, 2005)
            if k % 3 == 2:
                t = datetime(2004, 12, 11, 9, 51, 0) - timedelta(days=k * 9)
                nid = 2300 + k * 17
                m = _Meta(
                    f"{GBK}:xwzh",
                    GBK,
                    str(nid),
                    f"/cn/ReadNews.asp?NewsID={nid}",
                    self.unique_title(w.title),
                    t,
                    variant="asp",
                )
            else:
                t = datetime(2005, 7, 8) - timedelta(days=k * 11)
                nid = 4651 - k * 23
                m = _Meta(
                    f"{GBK}:xwzh",
                    GBK,
                    str(nid),
                    f"/xwzh/{t:%Y-%m}/{nid}.htm",
                    self.unique_title(w.title),
                    t,
                    variant="hanweb",
                )
            metas.append(m)
        metas.sort(key=lambda m: m.published, reverse=True)
        for k, m in enumerate(metas):
            srng = random.Random(f"{spec.seed}:{m.article_id}:gbk")
            w = ZhWriter(srng, m.published.year)
            n = self.sentences(srng, GBK, lambda s: L.gbk_article(self._probe(s)))
            author = w.name()
            if k == 0:
                author = author[0] + "镕"  # a GBK-only character in a GB2312-declared page
            story = Story(
                m.article_id,
                m.title,
                m.published,
                [Para(p) for p in w.paragraphs(n)],
                site_source=GBK_SITE_NAME,
                authors_extra=[author],
                date_only=m.variant == "hanweb",
            )
            self.write(GBK_HOST, m.path, L.gbk_article(story, m.variant))
            self.add_entry(m, story, GBK_HOST, encoding="gbk")
        items = [ListItem(GB + m.path, m.title, m.date) for m in metas]
        col = Column(f"{GBK}:xwzh", GBK, GBK_HOST, "xwzh", "综合新闻", max(len(items), 1), items)
        self.m.columns[col.key] = col
        self.write_listing(col)
        self.write(
            GBK_HOST,
            "/index.htm",
            L.simple_home(GBK_SITE_NAME, [L.Link("/xwzh/index.htm", "综合新闻", "")], "gb2312"),
        )

    # ---------------------------------------------------------------- English site

    def build_english(self) -> None:
        spec = self.spec
        rng = random.Random(f"{spec.seed}:english")
        times = _spread(
            rng, spec.english_articles, datetime(2020, 1, 6), datetime(2020, 3, 6), (9, 18)
        )
        metas: list[_Meta] = []
        slugs: set[str] = set()
        for t in times:
            title = self.unique_title(EnWriter(rng).title)
            slug = "-".join(
                "".join(ch for ch in title.lower() if ch.isalnum() or ch == " ").split()
            )[:70].rstrip("-")
            while slug in slugs:
                slug += "-0"
            slugs.add(slug)
            metas.append(_Meta(f"{ENGLISH}:news", ENGLISH, slug, f"/news/{slug}", title, t))
        for m in metas:
            srng = random.Random(f"{spec.seed}:{m.article_id}:en")
            w = EnWriter(srng)
            author = w.name()
            n = self.sentences(
                srng,
                ENGLISH,
                lambda s: L.english_article(
                    Story(
                        "probe",
                        "A Typical Headline About Research",
                        datetime(2020, 1, 1),
                        [Para(p) for p in EnWriter(random.Random(0)).paragraphs(s)],
                    ),
                    "a-typical-headline-about-research",
                    "A B",
                    "A",
                    None,
                    "",
                ),
            )
            body: list[Block] = [Para(p) for p in w.paragraphs(n)]
            credit = None
            if srng.random() < 0.7:
                photographer = w.name()
                credit = f"Photo: {photographer}"
                src = f"/sites/default/files/styles/news_full/public/{m.published:%Y-%m}/{m.article_id[:40]}.jpg?itok=Xy12AbCd"
                body.insert(0, Photo(src, w.caption(), [photographer]))
            story = Story(
                m.article_id,
                m.title,
                m.published,
                body,
                subtitle=w.dek() if srng.random() < 0.5 else None,
                site_source=EN_SITE_NAME,
                authors_extra=[author],
                utc_offset="-05:00",
            )
            story.summary = body[-1].text[:150] if isinstance(body[-1], Para) else ""
            iso = m.published.strftime("%Y-%m-%dT%H:%M:%S") + "-05:00"
            rel = [L.Link(x.path, x.title, x.date) for x in metas if x is not m][:3]
            self.write(
                EN_HOST,
                m.path,
                L.english_article(story, m.article_id, author, author.split()[0], credit, iso, rel),
            )
            self.write_images(EN_HOST, story)
            e = self.add_entry(m, story, EN_HOST)
            for im in e.record.images:
                im["credit"] = credit
            m.extra["summary"] = story.summary
        items = [ListItem(EN + m.path, m.title, m.date, summary=m.extra["summary"]) for m in metas]
        col = Column(
            f"{ENGLISH}:news", ENGLISH, EN_HOST, "news", "News", spec.items_per_page, items
        )
        self.m.columns[col.key] = col
        self.write_listing(col)
        self.write(
            EN_HOST,
            "/index.html",
            L.simple_home("Northfield University", [L.Link("/news", "News", "")]),
        )

    # ---------------------------------------------------------------- robots

    def write_robots(self) -> None:
        for host in self.spec.hosts:
            data = L.robots_txt(self.spec.robots_disallow.get(host, ()))
            self.write(host, "/robots.txt", data)
            self.m.robots[host] = data.decode()


def build_site(root: Path, spec: SiteSpec | None = None) -> Manifest:
    """Write the fake sites under root/<host>/<path> and return what a crawl must find there."""
    spec = spec or SiteSpec()
    root.mkdir(parents=True, exist_ok=True)
    m = Manifest(root=root, spec=spec, hosts={h: ORIGINS[h] for h in spec.hosts})
    g = _Gen(root, m)
    try:
        if NEWS_HOST in spec.hosts:
            if spec.legacy_columns:
                g.build_legacy()
            if spec.thunews_articles:
                g.build_thunews()
        if WWW_HOST in spec.hosts and spec.vsb_articles:
            g.build_vsb()
        if GBK_HOST in spec.hosts and spec.gbk_articles:
            g.build_gbk()
        if EN_HOST in spec.hosts and spec.english_articles:
            g.build_english()
        if spec.families:
            from .families import build_families

            build_families(g)
        g.write_robots()
    finally:
        g.close()
    return m


def add_articles(
    root: Path, manifest: Manifest, n: int | None = None, column: str | None = None
) -> list[ArticleEntry]:
    """Publish n new articles at the top of a column (default: the first legacy column): write their
    pages and regenerate every listing page of that column, shifting older items down."""
    n = manifest.spec.new_articles if n is None else n
    if column is None:
        column = next(k for k in manifest.columns if k.startswith(LEGACY + ":"))
    col = manifest.columns[column]
    if col.layout not in (LEGACY, THUNEWS, VSB):
        raise ValueError(f"add_articles does not support layout {col.layout!r}")
    g = _Gen(root, manifest)
    try:
        rng = random.Random(f"{manifest.spec.seed}:add:{column}:{col.added}")
        col.added += 1
        own = [a for a in manifest.articles if a.column == column]
        newest = (
            max(datetime.fromisoformat(a.record.published_at).replace(tzinfo=None) for a in own)
            if own
            else datetime(2015, 4, 28, 9)
        )
        times = []
        t = newest
        for _ in range(n):
            t = t + timedelta(
                hours=rng.randint(2, 20), minutes=rng.randrange(60), seconds=rng.randrange(60)
            )
            if t.hour < 8:  # newsrooms publish in the daytime
                t = t.replace(hour=8 + rng.randrange(3))
            times.append(t)
        times.reverse()  # newest first
        before = len(manifest.articles)
        metas: list[_Meta] = []
        for k, t in enumerate(times):
            w = ZhWriter(rng, t.year)
            title = g.unique_title(w.title)
            if col.layout == VSB:
                top = max(int(a.article_id) for a in own) if own else 90000
                aid = str(top + (n - k) * 7)
                g._ids.add(aid)
                metas.append(
                    _Meta(column, VSB, aid, f"/info/1182/{aid}.htm", title, t, variant="thu")
                )
                continue
            aid = g.unique_id(partial(_legacy_id, rng, t, k))
            if col.layout == LEGACY:
                path = f"/publish/news/{col.col}/{aid[:4]}/{aid}/{aid}_.html"
                metas.append(
                    _Meta(column, LEGACY, aid, path, title, t, variant="own" if k % 2 else "repost")
                )
            else:
                path = f"/publish/thunews/{col.col}/{aid[:4]}/{aid}/{aid}_.html"
                metas.append(_Meta(column, THUNEWS, aid, path, title, t))
        origin = ORIGINS[col.host]
        if col.layout == LEGACY:
            near = [
                L.Link(L.url_path(it.url), it.title, it.date)
                for it in col.items
                if it.kind == "article"
            ][:4]
            g.run_jobs([(LEGACY, m, (col.col, near)) for m in metas])
            g.write_legacy_extras()
        elif col.layout == THUNEWS:
            g.write_thunews_articles(metas, rng)
        else:
            g.write_vsb_articles(metas)
        col.items[0:0] = [
            ListItem(
                origin + m.path,
                m.title if col.layout == VSB else L.shorten(m.title, 26),
                m.date,
                summary=m.extra.get("summary", ""),
            )
            for m in metas
        ]
        g.write_listing(col)
        return manifest.articles[before:]
    finally:
        g.close()


def seed_article_page() -> tuple[str, bytes, ExpectedRecord]:
    """The seed article as a layout-B page: (URL, page bytes, expected record)."""
    story = seed_story()
    page = L.thunews_article(story, SEED_COLUMN, True, kicker_first=True)
    return SEED_URL, page, record_for(story, THU)


__all__ = ["add_articles", "build_site", "seed_article_page"]
