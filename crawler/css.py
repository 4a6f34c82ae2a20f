"""What a stylesheet loads (url(…) and @import), found for capture and pointed at the archive's
copies when `uninews serve` serves an archived stylesheet. Bytes in, bytes out: a stylesheet's
own encoding (GBK font names) is never decoded."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

# url(x), url('x'), url("x"); @import "x" and @import url(x) (the url() form is matched above).
_URL = re.compile(rb"""url\(\s*(['"]?)([^'")\s]+)\1\s*\)""", re.I)
_IMPORT = re.compile(rb"""@import\s+(['"])([^'"]+)\1""", re.I)


def _absolute(ref: bytes, base: str) -> str | None:
    text = ref.decode("latin-1").strip()
    if not text or text.startswith(("data:", "#")):
        return None
    url = urljoin(base, text)
    return url if urlsplit(url).scheme in ("http", "https") else None


def css_refs(body: bytes, base: str) -> tuple[list[str], list[str]]:
    """(imported stylesheets, other files: images and fonts) a stylesheet at `base` loads,
    each once, in the stylesheet's order."""
    found = [(m.start(), True, m.group(2)) for m in _IMPORT.finditer(body)]
    for m in _URL.finditer(body):
        before = body[max(0, m.start() - 12) : m.start()].lower()
        found.append((m.start(), b"@import" in before, m.group(2)))
    imports: dict[str, None] = {}
    files: dict[str, None] = {}
    for _, imported, ref in sorted(found):
        url = _absolute(ref, base)
        if url is not None:
            (imports if imported else files)[url] = None
    return list(imports), list(files)


def rewrite_css(body: bytes, base: str, resolve: Callable[[str], str | None]) -> bytes:
    """The stylesheet with each reference `resolve` knows replaced by what it returns (the
    archive's copy), and every other one made absolute (so a page's CSP decides, and nothing
    is asked of the server the stylesheet is served from)."""

    def swap(url: bytes) -> bytes:
        absolute = _absolute(url, base)
        if absolute is None:
            return url
        return (resolve(absolute) or absolute).encode("latin-1", "replace")

    def one(m: re.Match[bytes]) -> bytes:
        q = m.group(1)
        return b"url(" + q + swap(m.group(2)) + q + b")"

    def imp(m: re.Match[bytes]) -> bytes:
        q = m.group(1)
        return b"@import " + q + swap(m.group(2)) + q

    return _IMPORT.sub(imp, _URL.sub(one, body))
