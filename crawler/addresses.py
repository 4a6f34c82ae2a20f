"""Addresses given on the command line: checked without a traceback, shown without credentials."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from scrapy.utils.url import strip_url

_USERINFO = re.compile(r"(?<=//)[^/?#@]*@")


def shown(url: str) -> str:
    """`url` without `user:password@`, for messages and logs (which end up in shared places)."""
    try:
        return strip_url(
            url, strip_credentials=True, strip_default_port=False, strip_fragment=False
        )
    except ValueError:  # too broken to parse: drop anything that looks like credentials
        return _USERINFO.sub("", url)


def http_url_problem(url: str) -> str | None:
    """Why `url` is no absolute http(s) address ("http://[::1" and "http://h:abc/" included);
    None when it is one."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- a port that is no number raises only when read
    except ValueError as exc:
        return f"not a valid address ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "give an absolute http(s) URL"
    return None


def same_host(url: str, hosts: set[str]) -> bool:
    """Whether `url` is on one of `hosts` (host[:port], as in a URL's netloc, no credentials)."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rpartition("@")[2].lower()
    except ValueError:
        return False
    return netloc in hosts
