"""What the pages and the API ask of the archive: searches a page at a time, snippets with the
match marked, an article's versions and diffs, a site's dashboard figures."""

from __future__ import annotations

import base64
import binascii
import json
import re
import statistics
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from crawler.records import FILL_FIELDS
from storage import ArchiveStore, SearchQuery, keys
from storage.common import position
from uninews import textdiff
from uninews.output import diff_parts, printable

MAX_QUERY = 200  # characters of a search box
SNIPPET = 90  # characters either side of the first match


class BadRequest(ValueError):
    """A query parameter the archive cannot answer; the message is for the user (HTTP 400)."""


class NotFound(LookupError):
    """No such article, version or site (HTTP 404)."""


# --- searching --------------------------------------------------------------------------------
def encode_cursor(pos: tuple[str | None, str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(pos).encode()).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[str | None, str, str]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        pub, first, aid = json.loads(raw)
        if (
            (pub is None or isinstance(pub, str))
            and isinstance(first, str)
            and isinstance(aid, str)
        ):
            return pub, first, aid
    except (binascii.Error, ValueError, TypeError, RecursionError):  # [[[[…: too deep
        pass
    raise BadRequest("bad cursor: use the next_cursor of a previous page")


@dataclass
class Search:
    """One search as the search box and the API take it."""

    q: str | None = None
    site: str | None = None
    since: date | None = None
    until: date | None = None
    author: str | None = None

    def __post_init__(self) -> None:
        self.q = (self.q or "").strip() or None
        self.author = (self.author or "").strip() or None
        self.site = (self.site or "").strip() or None
        for name, value in (("search text", self.q), ("author", self.author), ("site", self.site)):
            if value and len(value) > MAX_QUERY:
                raise BadRequest(f"the {name} is over {MAX_QUERY} characters")
        if self.q and not any(keys.findable(t) for t in keys.search_terms(self.q)):
            # Punctuation alone, or one Chinese character: nothing the index can look up, so
            # every record would be read, twice (results and count): too broad for a page
            # anyone can request (`uninews search` still does it).
            raise BadRequest(
                f"bad search: nothing to look up in {self.q!r}; search a word, or two Chinese"
                " characters or more"
            )
        if self.since and self.until and self.since > self.until:
            raise BadRequest("since is after until")

    def query(
        self, limit: int | None, after: tuple[str | None, str, str] | None = None
    ) -> SearchQuery:
        return SearchQuery(
            text=self.q,
            site=self.site,
            since=self.since.isoformat() if self.since else None,
            until=self.until.isoformat() if self.until else None,
            author=self.author,
            limit=limit,
            after=after,
        )

    def params(self) -> dict[str, str]:
        """The non-empty parameters, for links to other pages of the same search."""
        out = {"q": self.q, "site": self.site, "author": self.author}
        out |= {"since": self.since.isoformat() if self.since else None}
        out |= {"until": self.until.isoformat() if self.until else None}
        return {k: v for k, v in out.items() if v}


@dataclass
class Page:
    total: int
    results: list[dict[str, Any]]
    next_cursor: str | None
    first: bool


def search_page(store: ArchiveStore, search: Search, limit: int, cursor: str | None) -> Page:
    """One page of results, newest first, and how many match in all (never a silent cut)."""
    after = decode_cursor(cursor) if cursor else None
    got = list(store.search(search.query(limit + 1, after)))
    more = len(got) > limit
    results = got[:limit]
    total = store.count_matches(search.query(None))
    nxt = encode_cursor(position(results[-1])) if more and results else None
    return Page(total=total, results=results, next_cursor=nxt, first=after is None)


def _terms(q: str | None) -> list[str]:
    return [t for t in (q or "").split() if t]


def snippet(text: str, q: str | None, width: int = SNIPPET) -> list[tuple[str, bool]]:
    """A piece of `text` around the first match of the query's words, as (segment, matched)
    pairs (the template escapes each and marks the matched ones)."""
    text = printable(text or "", one_line=True)
    terms = _terms(q)
    low = text.lower()
    hits = [i for i in (low.find(t.lower()) for t in terms) if i >= 0]
    if not hits:
        cut = text[: 2 * width]
        return [(cut + ("…" if len(text) > len(cut) else ""), False)]
    start = max(0, min(hits) - width)
    end = min(len(text), min(hits) + width)
    window = text[start:end]
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    parts: list[tuple[str, bool]] = [("…", False)] if start else []
    at = 0
    for m in pattern.finditer(window):
        if m.start() > at:
            parts.append((window[at : m.start()], False))
        parts.append((m.group(0), True))
        at = m.end()
    if at < len(window):
        parts.append((window[at:], False))
    if end < len(text):
        parts.append(("…", False))
    return parts


# --- articles ---------------------------------------------------------------------------------
def article(store: ArchiveStore, article_id: str) -> dict[str, Any]:
    rec = store.get(article_id)
    if rec is None:
        raise NotFound(f"no article {article_id!r} in the archive")
    return rec


def versions(store: ArchiveStore, article_id: str) -> list[dict[str, Any]]:
    found = store.versions(article(store, article_id)["id"])
    return found


@dataclass
class Diff:
    old: dict[str, Any]
    new: dict[str, Any]
    # (field, before, after), each side as marked segments: what changed within the value
    fields: list[tuple[str, list[tuple[str, str]], list[tuple[str, str]]]]
    # (kind: same | add | del | hunk, [(mark: "" | del | ins, text), …]): a changed line with
    # its changed characters (Chinese) or words marked
    text: list[tuple[str, list[tuple[str, str]]]]


def version_diff(
    store: ArchiveStore, article_id: str, old: int | None, new: int | None
) -> tuple[list[dict[str, Any]], Diff | None]:
    """Every version, and the diff of `old` → `new` (default: the latest against the one before;
    None when there is only one version)."""
    all_versions = versions(store, article_id)
    numbers = [v["version"] for v in all_versions]
    new = new if new is not None else numbers[-1]
    if new not in numbers:
        raise NotFound(f"no version {new} (versions: {numbers[0]} to {numbers[-1]})")
    old = old if old is not None else next((n for n in reversed(numbers) if n < new), None)
    if old is None:
        return all_versions, None
    if old not in numbers:
        raise NotFound(f"no version {old} (versions: {numbers[0]} to {numbers[-1]})")
    a = all_versions[numbers.index(old)]
    b = all_versions[numbers.index(new)]
    fields, lines = diff_parts(a, b)
    kinds = []
    for line in lines[2:]:  # the ---/+++ header is shown as the page's own heading
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        kinds.append((kind, line[1:] if kind in ("add", "del", "same") else line))
    marked = [(name, *textdiff.inline(before, after)) for name, before, after in fields]
    return all_versions, Diff(old=a, new=b, fields=marked, text=textdiff.mark_lines(kinds))


# --- sites ------------------------------------------------------------------------------------
@dataclass
class SiteView:
    name: str
    summary: dict[str, Any]
    months: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    fill_rates: dict[str, dict[str, float | None]] = field(default_factory=dict)
    archive_articles: int = 0
    status: dict[str, Any] = field(default_factory=dict)
    daemon: dict[str, Any] = field(default_factory=dict)


def _months(counts: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """Every month from the first to the last with its count (months without articles: 0),
    so a chart's gaps are real."""
    # A record imported with a partial date ("2024") has no month to draw.
    counts = [(k, n) for k, n in counts if re.fullmatch(r"\d{4}-\d{2}", k or "")]
    if not counts:
        return []
    have = dict(counts)
    y, m = (int(x) for x in counts[0][0].split("-"))
    end = counts[-1][0]
    out = []
    while True:
        key = f"{y:04d}-{m:02d}"
        out.append({"month": key, "articles": have.get(key, 0)})
        if key >= end or len(out) > 1200:  # a wrong date in 1970 must not draw a century
            break
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def site_view(
    store: ArchiveStore,
    name: str,
    sites_dir: Path | None,
    status: dict[str, Any],
    stats: list[dict[str, Any]] | None = None,
) -> SiteView:
    """A site's dashboard; `stats`: the archive's, when the caller has them already."""
    stats = store.stats() if stats is None else stats
    summary = next((r for r in stats if r["site"] == name), None)
    row = next((r for r in status["sites"] if r["site"] == name), None)
    if summary is None and row is None:
        raise NotFound(f"no site {name!r} in this archive or the site files")
    view = SiteView(name=name, summary=summary or {"site": name, "articles": 0})
    view.months = _months(store.monthly_counts(name))
    runs = store.runs(name, limit=20)
    view.runs = [
        {**r.as_dict(), "seconds": None if (s := r.seconds()) is None else round(s, 1)}
        for r in runs
    ]
    # The archive's own rates, and the last crawls' (never a revisit's: a handful of old
    # articles checked again is not what the site publishes now).
    archive = store.fill_counts(name)
    rated = [r for r in runs if r.counts.get("extracted") and r.kind != "revisit"]
    for f in FILL_FIELDS:
        shares = [r.counts.get(f"filled_{f}", 0) / r.counts["extracted"] for r in rated]
        view.fill_rates[f] = {
            "archive": round(archive[f] / archive["articles"], 3) if archive["articles"] else None,
            "last_run": round(shares[0], 3) if shares else None,
            "median": round(statistics.median(shares), 3) if shares else None,
        }
    view.archive_articles = archive["articles"]
    view.status = row or {}
    view.daemon = status["daemon"]
    return view


def chart(months: list[dict[str, Any]], width: int = 720, height: int = 160) -> dict[str, Any]:
    """Bars of an SVG chart (drawn by the template: no script, no library, no CDN)."""
    if not months:
        return {"bars": [], "width": width, "height": height, "top": 0, "years": []}
    top = max(m["articles"] for m in months) or 1
    step = width / len(months)
    bars = [
        {
            "x": round(i * step, 2),
            "w": round(max(step - 1, 1), 2),
            "h": round(m["articles"] / top * (height - 20), 2),
            **m,
        }
        for i, m in enumerate(months)
    ]
    years = [
        {"x": b["x"], "year": b["month"][:4]}
        for b in bars
        if b["month"].endswith("-01") or b is bars[0]
    ]
    return {"bars": bars, "width": width, "height": height, "top": top, "years": years}
