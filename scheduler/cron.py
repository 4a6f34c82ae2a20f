"""Crontab lines as APScheduler 3.x triggers, with crontab's weekday numbering."""

from __future__ import annotations

import re
from datetime import datetime

from apscheduler.triggers.cron import CronTrigger

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # APScheduler 3.x: 0 is Monday
_NUMERIC_DOW = re.compile(r"^(\*|\d+(?:-\d+)?)(?:/(\d+))?$")
# 2000-2027 holds every kind of Gregorian year (leap or not, starting on each weekday), so a
# day/month pair that falls in none of them falls in no year at all.
_CALENDAR_YEARS = range(2000, 2028)


def _crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field (0 or 7 is Sunday) in APScheduler 3.x terms (0 is Monday).

    `CronTrigger.from_crontab` passes numbers through unchanged, so "0 3 * * 0" would run on
    Mondays (agronholm/apscheduler#286). Numbers become names; names already mean the same day.
    """
    out: list[str] = []
    for part in field.split(","):
        m = _NUMERIC_DOW.match(part)
        if not m or part == "*":
            out.append(part)
            continue
        span, step = m.group(1), int(m.group(2) or 1)
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            first, last = (int(x) for x in span.split("-"))
        else:
            first = last = int(span)
            if m.group(2):  # "1/2" in cron means "1-7/2"
                last = 7
        if not 0 <= first <= last <= 7 or step < 1:
            raise ValueError(f"bad day-of-week {part!r}")
        days = {d % 7 for d in range(first, last + 1, step)}  # crontab: 0 and 7 are Sunday
        out.extend(_WEEKDAYS[(d - 1) % 7] for d in sorted(days, key=lambda d: (d - 1) % 7))
    return ",".join(dict.fromkeys(out))


def cron_trigger(expr: str, timezone: str, jitter: int | None = None) -> CronTrigger:
    """The trigger for a site's `schedule` line, read with crontab's weekday numbering."""
    values = expr.split()
    if len(values) != 5:
        raise ValueError(f"wrong number of fields in {expr!r}: got {len(values)}, expected 5")
    minute, hour, day, month, dow = values
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_crontab_weekdays(dow),
        timezone=timezone,
        jitter=jitter,
    )


def has_possible_dates(trigger: CronTrigger) -> bool:
    """Whether some month the trigger allows has a day it allows ("31 2" has none).

    Worked out field by field because `get_next_fire_time` needs ~0.2 s per impossible line
    to search all the way to the year 9999 before it gives up.
    """
    fields = {f.name: f for f in trigger.fields}
    month, day = fields["month"], fields["day"]
    for year in _CALENDAR_YEARS:
        for m in range(1, 13):
            first = datetime(year, m, 1)
            if month.get_next_value(first) == m and day.get_next_value(first) is not None:
                return True
    return False


def next_fire(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The trigger's first fire time after `now`; None, at once, when it can never fire."""
    if not has_possible_dates(trigger):
        return None
    fire: datetime | None = trigger.get_next_fire_time(None, now)
    return fire
