"""The `article_url` a discovered site file gets: the shapes of the article links seen.

Written from the links a listing shows with dates, as wide as those links are and no narrower:
numbers as `\\d+`, names that vary (any case, `_`, `-`) as `[^/]+`, articles of nested
columns (/wyyd/wytd/<id>.htm beside /wyyd/<id>.htm) kept beside the main shape, and a trailing
slash optional.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

MIN_LINKS = 3  # a listing lists at least this many dated article links


def segment_pattern(values: list[str]) -> str:
    """A regular expression for one path segment as it varies across article links."""
    if all(v.isdigit() for v in values):
        return r"\d+"  # years, column ids: the ones of older articles differ
    if len(set(values)) == 1:
        return re.escape(values[0])
    shapes = {re.sub(r"\d+", "0", v) for v in values}
    if len(shapes) == 1:
        # Same letters around varying numbers: c1234a5678, 3456.htm, index_12.html
        parts = re.split(r"(\d+)", values[0])
        return "".join(r"\d+" if p.isdigit() else re.escape(p) for p in parts)
    exts = {v.rsplit(".", 1)[1] for v in values if "." in v}
    if len(exts) == 1 and all("." in v for v in values):
        return r"[^/]+\." + re.escape(exts.pop())
    return "[^/]+"


def _rows_pattern(rows: list[list[str]], last: str | None = None) -> str:
    """The pattern of links of one depth; `last`: the shape of their last segment, if known."""
    columns = list(zip(*rows, strict=True))
    segs = [segment_pattern(list(col)) for col in columns[:-1]]
    if last is not None:
        segs[-1] = last
    path = "/".join(segs)
    query = columns[-1]
    if any(query):
        q = re.sub(r"\d+", r"\\d+", re.escape(query[0]).replace(r"\=", "="))
        return f"^/{path}\\?{q}$"
    if path.endswith("/") or not path:
        return f"^/{path[:-1]}/?$" if path else "^/$"  # /slug/ and /slug: the same article
    return f"^/{path}$"


def article_pattern(urls: list[str]) -> str | None:
    """The `article_url` regular expression the links of a listing share.

    Links are grouped by their number of path segments; in the largest group, a segment that
    mostly has one value (`info` in VSB's /info/1012/3456.htm) keeps it, and the links without
    it (a pager's /xwzx/tzgg/1.htm) are not articles. The rest vary: numbers as `\\d+`, names
    as `[^/]+`. A smaller group whose last segment has the main group's shape (articles of a
    nested column) gets its own pattern beside the main one.
    """
    groups: dict[tuple[int, bool], list[list[str]]] = {}
    for url in urls:
        parts = urlsplit(url)
        segs = parts.path.split("/")[1:]
        groups.setdefault((len(segs), bool(parts.query)), []).append([*segs, parts.query])
    if not groups:
        return None
    main = max(groups.values(), key=len)
    rows = main
    for pos in range(len(rows[0]) - 1):
        value, count = Counter(r[pos] for r in rows).most_common(1)[0]
        if not value.isdigit() and count >= 0.5 * len(rows) and count < len(rows):
            rows = [r for r in rows if r[pos] == value]
    if len(rows) < MIN_LINKS:
        return None
    last = [r[-2] for r in rows]
    shape = segment_pattern(last)
    patterns = [_rows_pattern(rows)]
    for group in groups.values():
        if group is main or bool(group[0][-1]) != bool(rows[0][-1]):
            continue
        if shape != re.escape(last[0]) and segment_pattern(last + [r[-2] for r in group]) == shape:
            patterns.append(_rows_pattern(group, shape))
    return merge_patterns(patterns)


def merge_patterns(patterns: list[str]) -> str:
    """Several `article_url` patterns as one (each kept whole: `(?:^…$)|(?:^…$)`)."""
    unique = list(dict.fromkeys(patterns))
    if len(unique) == 1:
        return unique[0]
    return "|".join(f"(?:{p})" for p in unique)
