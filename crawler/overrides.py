"""`-s KEY=VALUE` overrides: each value checked against the type of the setting's default, so
`-s DOWNLOAD_DELAY=abc` is a one-line error before the crawl, not a traceback inside it."""

from __future__ import annotations

import math
import re
from typing import Any

from scrapy.settings import Settings, default_settings

from crawler import settings as project_settings

# Scrapy reads these with getfloat though their defaults are whole numbers; other whole-number
# settings with getint, which is int(): no "2.0", no "1e3".
_FRACTIONAL = re.compile(r"DELAY|TIMEOUT")


class BadSetting(ValueError):
    """A value the setting cannot take; the message names the setting and what it takes."""


def _default(key: str) -> Any:
    for module in (project_settings, default_settings):
        if hasattr(module, key):
            return getattr(module, key)
    return None


def _number(value: str) -> None:
    if not math.isfinite(float(value)):
        raise ValueError(value)


def _check(key: str, value: str, default: Any) -> str | None:
    """What the setting takes when `value` is not that; None when it is (or nothing is known)."""
    try:
        if isinstance(default, bool):  # before int: True is an int too
            Settings({key: value}).getbool(key)
        elif isinstance(default, float) or (isinstance(default, int) and _FRACTIONAL.search(key)):
            _number(value)
        elif isinstance(default, int):
            int(value)
        elif isinstance(default, dict):
            Settings({key: value}).getdict(key)
    except ValueError:
        if isinstance(default, bool):
            return "true or false"
        if isinstance(default, dict):
            return "a JSON object"
        whole = isinstance(default, int) and not _FRACTIONAL.search(key)
        return "a whole number" if whole else "a number"
    return None


def checked(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The overrides as a dict, once every value parses as its setting's default would."""
    for key, value in pairs:
        if (takes := _check(key, value, _default(key))) is not None:
            raise BadSetting(f"-s {key}={value!r}: {key} takes {takes}")
    return dict(pairs)
