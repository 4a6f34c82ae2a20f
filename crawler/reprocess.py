"""Re-extract archived raw pages with the current extractor, offline; store only what changed."""

from __future__ import annotations

import logging
import time
from collections import Counter
from pathlib import Path

from crawler.records import extract_record
from crawler.sites import SiteError, load_sites, where_sites
from storage import ArchiveStore, RecordError

logger = logging.getLogger(__name__)


def reprocess(
    store: ArchiveStore,
    site: str | None = None,
    since: str | None = None,
    sites_dir: Path | None = None,
) -> dict[str, int]:
    """Counts of outcomes: new_version where the record changed, unchanged elsewhere."""
    sites = load_sites(sites_dir)
    if site and site not in sites:
        known = ", ".join(sorted(sites))
        raise SiteError(f"unknown site {site!r} (known: {known}); {where_sites(sites_dir)}")
    counts: Counter[str] = Counter()
    started = last = time.monotonic()
    for record, raw in store.raw_pages(site=site, since=since):
        conf = sites.get(record.get("site") or "")
        if conf is None:
            counts["skipped_unknown_site"] += 1
            continue
        result = extract_record(raw, conf)
        if isinstance(result, str):
            counts["not_article"] += 1
            continue
        # Keep the original fetch time: reprocessing is not a fetch.
        result["fetched_at"] = record.get("fetched_at", result["fetched_at"])
        try:
            outcome = store.upsert(result)
        except RecordError as exc:  # this record only: the others are still worth re-extracting
            logger.error("Not stored: %s (%s)", record.get("url"), exc)
            counts["errors"] += 1
            continue
        counts[outcome.outcome.value] += 1
        if time.monotonic() - last > 10:
            last = time.monotonic()
            done = sum(counts.values())
            logger.info("Reprocessed %d pages (%.1f/s)", done, done / (last - started))
    return dict(counts)
