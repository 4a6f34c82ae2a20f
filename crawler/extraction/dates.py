"""Dates as university news pages write them, to timezone-aware ISO 8601."""

from __future__ import annotations

import logging
import re
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

logger = logging.getLogger(__name__)

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")

_TIME = r"(?:[\sT]*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?"
# 2016年03月04日 21:16:26 / 2016年3月4日
_CN = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?" + _TIME)
# 2015-06-03 13:57:17 / 2015-1-2 / 2015/01/02 / 2015.01.02
_NUM = re.compile(r"(?<!\d)(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)" + _TIME)
# 02.12.19 / 14.06.2021: dots write the day first wherever they are used (Germany, Russia…).
_DOTTED = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?![\d.])" + _TIME)
# 02/12/2019: day or month first, as the page's language writes it (read only when known).
_SLASHED = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?![\d/])" + _TIME)
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_MON = r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
# February 5, 2020 / Feb. 5 2020 / 5 February 2020
_EN_MDY = re.compile(_MON + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", re.I)
_EN_DMY = re.compile(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\s+" + _MON + r",?\s+(\d{4})", re.I)

# Labels that introduce the publish date, and ones that introduce an update time.
PUBLISHED_LABELS = (
    "发布时间",
    "发布日期",
    "发表时间",
    "发稿时间",
    "日期",
    "时间",
    "Published",
    "Posted",
)
UPDATED_LABELS = ("更新时间", "更新", "修改时间", "Updated", "Last updated")


def _build(
    y: int, mo: int, d: int, h: str | None, mi: str | None, s: str | None, tz: tzinfo
) -> datetime | None:
    try:
        return datetime(y, mo, d, int(h or 0), int(mi or 0), int(s or 0), tzinfo=tz)
    except ValueError:
        return None


def find_date(text: str, tz: tzinfo = DEFAULT_TZ, day_first: bool | None = None) -> datetime | None:
    """The first date (with time when given) written in `text`, in `tz` unless it says otherwise.

    `day_first` is the page's convention for 02/12/2019 (None: unknown, such dates are skipped).
    """
    if not text:
        return None
    iso = _iso(text.strip(), tz)
    if iso is not None:
        return iso
    candidates: list[tuple[int, datetime]] = []
    for rx in (_CN, _NUM):
        m = rx.search(text)
        if m:
            g = m.groups()
            if rx is _NUM:
                g = (g[0], g[2], g[3], g[4], g[5], g[6])
            dt = _build(int(g[0]), int(g[1]), int(g[2]), g[3], g[4], g[5], tz)
            if dt is not None:
                candidates.append((m.start(), dt))
    m = _DOTTED.search(text)
    if m:
        year = int(m[3]) if len(m[3]) == 4 else _century(int(m[3]))
        dt = _build(year, int(m[2]), int(m[1]), m[4], m[5], m[6], tz)
        if dt:
            candidates.append((m.start(), dt))
    m = _SLASHED.search(text) if day_first is not None else None
    if m:
        year = int(m[3]) if len(m[3]) == 4 else _century(int(m[3]))
        day, month = (int(m[1]), int(m[2])) if day_first else (int(m[2]), int(m[1]))
        dt = _build(year, month, day, m[4], m[5], m[6], tz)
        if dt:
            candidates.append((m.start(), dt))
    m = _EN_MDY.search(text)
    if m:
        dt = _build(int(m[3]), _MONTHS[m[1].lower().rstrip(".")], int(m[2]), None, None, None, tz)
        if dt:
            candidates.append((m.start(), dt))
    m = _EN_DMY.search(text)
    if m:
        dt = _build(int(m[3]), _MONTHS[m[2].lower().rstrip(".")], int(m[1]), None, None, None, tz)
        if dt:
            candidates.append((m.start(), dt))
    if not candidates:
        return None
    return min(candidates, key=lambda c: c[0])[1]


def _century(yy: int) -> int:
    """A two-digit year: 19 is 2019, 98 is 1998 (no university news page is from 1969)."""
    return 2000 + yy if yy < 70 else 1900 + yy


def _iso(text: str, tz: tzinfo) -> datetime | None:
    if not re.match(
        r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$", text
    ):
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=tz)


def parse_date(
    text: str | None, tz: tzinfo = DEFAULT_TZ, day_first: bool | None = None
) -> datetime | None:
    """A date from a string that is meant to be one (a meta tag, a `<time>`), any common format."""
    if not text:
        return None
    dt = find_date(text, tz, day_first)
    if dt is not None:
        return dt
    try:
        import dateparser
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    parsed = dateparser.parse(
        text,
        settings={
            "RETURN_AS_TIMEZONE_AWARE": True,
            "TIMEZONE": str(tz),
            "PREFER_DAY_OF_MONTH": "first",
            **({"DATE_ORDER": "DMY" if day_first else "MDY"} if day_first is not None else {}),
        },
    )
    return parsed


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


def labelled_date(
    text: str, labels: tuple[str, ...], tz: tzinfo = DEFAULT_TZ, day_first: bool | None = None
) -> datetime | None:
    """The date after one of `labels` (发布时间：…, [更新：…]) in `text`, if any."""
    for label in labels:
        i = text.find(label)
        if i >= 0:
            rest = text[i + len(label) : i + len(label) + 40].lstrip(" :：]")
            dt = find_date(rest, tz, day_first)
            if dt is not None:
                return dt
    return None


# Languages that write the month first in 02/12/2019 (American English; East Asian pages write
# the year first, which needs no guess).
_MONTH_FIRST = ("en-us", "en_us", "zh", "ja", "ko")


def day_first_for(language: str | None, tz: tzinfo | None) -> bool | None:
    """Whether a page writes 02/12/2019 day first: its language decides ("en-GB", "de", "fr"
    yes; "en-US" no); plain "en" by where the site is (America: no; elsewhere: yes). None when
    nothing says (such dates are then left to metadata)."""
    lang = (language or "").strip().lower()
    if not lang:
        return None
    if lang.startswith(_MONTH_FIRST):
        return False
    if lang != "en":
        return True
    key = getattr(tz, "key", "")
    if not key or key == "UTC":
        return None
    return not key.startswith("America/")
