"""Items that travel from the spider through the pipelines: plain data, no Response objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FetchedPage:
    """One fetched article page, before extraction."""

    site: str
    url: str  # as the site names it (the origin URL, even when fetched from a mirror)
    final_url: str  # after redirects, on the origin
    status: int
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)  # Scrapy logs items: never 50 KB of bytes per line
    fetched_at: str = ""
    request_headers: dict[str, str] | None = field(default=None, repr=False)
    listing: str | None = None  # the listing page chain it came from (for backfill progress)
    page_no: int | None = None
    since: str | None = None  # backfill range (YYYY-MM-DD): records outside it are not stored
    until: str | None = None
    record: dict[str, Any] | None = field(default=None, repr=False)  # set by ExtractPipeline
    prepared: Any = field(default=None, repr=False)  # storage.common.Prepared, from the worker
    not_article: str | None = None  # why ExtractPipeline dropped it
    failed: bool = False  # could not be stored: progress must not move past it
    outcome: str | None = None  # what the store did with it (inserted, unchanged, …)
    revisit: Any = None  # storage.Revisit: this fetch checks an archived article again
