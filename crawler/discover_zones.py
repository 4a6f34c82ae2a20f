"""The IANA timezone of a discovered site: the zone of its country whose offsets its articles give."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from crawler.extraction.article import Article

# Timezones to try, by the host's top-level domain, for the offsets articles give.
_ZONES_BY_TLD = {
    "cn": ("Asia/Shanghai",),
    "hk": ("Asia/Hong_Kong",),
    "mo": ("Asia/Macau",),
    "tw": ("Asia/Taipei",),
    "sg": ("Asia/Singapore",),
    "jp": ("Asia/Tokyo",),
    "kr": ("Asia/Seoul",),
    "uk": ("Europe/London",),
    "ie": ("Europe/Dublin",),
    "ch": ("Europe/Zurich",),
    "de": ("Europe/Berlin",),
    "fr": ("Europe/Paris",),
    "nl": ("Europe/Amsterdam",),
    "ca": ("America/Toronto", "America/Vancouver", "America/Edmonton", "America/Halifax"),
    "au": ("Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane", "Australia/Perth",
           "Australia/Adelaide"),
    "nz": ("Pacific/Auckland",),
}  # fmt: skip
_US_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Phoenix",
    "Pacific/Honolulu",
    "America/Anchorage",
)


def guess_timezone(host: str, language: str | None, articles: list[Article]) -> str:
    """The IANA zone whose offset matches the articles' own (a DST-aware pick among the zones
    of the host's country); China's for a Chinese site that gives none."""
    tld = host.rsplit(".", 1)[-1].lower()
    if tld in ("cn", "hk", "mo", "tw"):
        return _ZONES_BY_TLD[tld][0]
    zones = _ZONES_BY_TLD.get(tld) or (_US_ZONES if tld in ("edu", "us", "com", "org") else ())
    seen: list[datetime] = []
    for art in articles:
        value = art.published_at
        if value and len(value) > 19 and value[19:] not in ("+00:00", "Z"):
            seen.append(datetime.fromisoformat(value))
    for zone in zones:
        tz = ZoneInfo(zone)
        if seen and all(d.utcoffset() == d.astimezone(tz).utcoffset() for d in seen):
            return zone
    if language == "zh":
        return "Asia/Shanghai"
    return zones[0] if zones else "UTC"
