"""When an archived article is checked again: growing intervals after publication (1 h, 6 h,
1 d, 3 d, 7 d, 30 d, then every 180 d by default), so corrections and withdrawals are noticed
while they happen, and old articles cost a request a year or two."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_span(text: str) -> timedelta:
    """'6h', '3d', '2w', '90m' as a timedelta; ValueError otherwise."""
    m = _SPAN.match(str(text))
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"not a span of time: {text!r} (write e.g. 6h, 3d, 2w)")
    return timedelta(seconds=float(m.group(1)) * _UNIT[m.group(2)])


def next_check(
    after: list[timedelta],
    every: timedelta,
    published: datetime | None,
    first_seen: datetime,
    now: datetime,
) -> datetime:
    """The first check time later than `now`: publication (else first sight) plus each of
    `after` in turn, then every `every` after the last of them."""
    base = published or first_seen
    for step in after:
        if base + step > now:
            return base + step
    last = base + (after[-1] if after else timedelta(0))
    rounds = max(1, math.ceil((now - last) / every)) if now >= last else 1
    return last + rounds * every


def parse_instant(value: str | None) -> datetime | None:
    """An ISO 8601 instant from a record or the store (`Z` or an offset), as aware UTC."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)


def iso_utc(dt: datetime) -> str:
    """As the store writes instants: ISO 8601 UTC with microseconds and Z (sortable as text)."""
    return dt.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def moved(url: str, final_url: str) -> bool:
    """Whether a fetch of `url` ended at another page (scheme, fragment and query order aside)."""
    from storage.keys import url_key

    return bool(final_url) and url_key(final_url) != url_key(url)


def same_article(record: dict[str, Any], revisit: Any) -> bool:
    """Whether the page a revisit was redirected to is the archived article at a new address:
    the same headline and the same publish date. A home page, a listing or another article
    has neither."""
    title = " ".join((record.get("title") or "").split())
    if not title or title != " ".join((revisit.title or "").split()):
        return False
    return (record.get("published_at") or "")[:10] == (revisit.published_at or "")[:10]


def decodes_worse(record: dict[str, Any], revisit: Any) -> bool:
    """Whether the page now decodes with more faults (replacement characters) than the
    archived version did: a server's charset gone wrong, not an edit of the article."""
    if revisit.decode_faults is None:
        return False  # archived before the count was kept
    return int((record.get("fetch") or {}).get("decode_faults") or 0) > revisit.decode_faults
