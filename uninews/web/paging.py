"""The search page's pages: numbered, sorted newest first, oldest first or by relevance.

Dates: an offset over the store's order index (`SearchQuery.offset`), so page 40 costs a walk
over row ids, never the records before it. Relevance: every match is read and scored, so it is
offered up to `MAX_RANKED` matches (a clear 400 beyond, never a silent cut).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage import ArchiveStore
from uninews.web.queries import BadRequest, NotFound, Search

SORTS = {"newest": "newest first", "oldest": "oldest first", "relevance": "most relevant first"}
MAX_RANKED = 5000  # matches a relevance sort reads and scores: 2,406 take 0.11 s (bench/web.py)
WINDOW = 2  # page numbers shown either side of the current one


@dataclass
class Paged:
    total: int
    results: list[dict[str, Any]]
    page: int
    pages: int
    sort: str

    def numbers(self) -> list[int | None]:
        """The page numbers to link: the first, the last, and those near this one; None where
        some are left out (drawn as …)."""
        near = range(max(1, self.page - WINDOW), min(self.pages, self.page + WINDOW) + 1)
        shown = sorted({1, self.pages, *near} - {0})
        out: list[int | None] = []
        for n in shown:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out


def relevance(rec: dict[str, Any], words: list[str]) -> tuple[int, int]:
    """How well `rec` answers the search words: (how many of them its title holds, how often
    they occur in its subtitle and text), higher first. Ties keep the newest-first order."""
    title = (rec.get("title") or "").lower()
    text = f"{rec.get('subtitle') or ''}\n{rec.get('text') or ''}".lower()
    return sum(w in title for w in words), sum(text.count(w) for w in words)


def search_pages(store: ArchiveStore, search: Search, sort: str, page: int, size: int) -> Paged:
    """Page `page` (from 1) of `size` matches of `search` in the order `sort` names."""
    if sort not in SORTS:
        raise BadRequest(f"bad sort {sort!r}: use newest, oldest or relevance")
    if sort == "relevance" and not search.q:
        raise BadRequest("sort=relevance needs search words (q)")
    total = store.count_matches(search.query(None))
    pages = max(1, -(-total // size))
    if page > pages:
        raise NotFound(f"no page {page}: this search has {pages} page{'s' if pages > 1 else ''}")
    offset = (page - 1) * size
    if sort != "relevance":
        query = search.query(size)
        query.offset, query.oldest = offset, sort == "oldest"
        return Paged(total, list(store.search(query)), page, pages, sort)
    if total > MAX_RANKED:
        raise BadRequest(
            f"too many matches ({total:,}) to sort by relevance (at most {MAX_RANKED:,}):"
            " add a word, a site or dates, or sort by date"
        )
    words = [w.lower() for w in (search.q or "").split()]
    # Titles and texts only, newest first (the tie order); the page's records read after.
    matches = list(store.match_texts(search.query(None)))
    matches.sort(key=lambda r: relevance(r, words), reverse=True)  # stable
    shown = (store.get(r["id"]) for r in matches[offset : offset + size])
    return Paged(total, [r for r in shown if r is not None], page, pages, sort)
