"""Printing records: tables for people, JSON / JSON lines / CSV for programs, streamed."""

from __future__ import annotations

import csv
import json
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from crawler.records import RECORD_ORDER

FORMATS = ("table", "json", "jsonl", "csv")

# Every record field but the bulky or nested ones (html, fetch), plus the store's own.
CSV_FIELDS = (
    *(
        f
        for f in RECORD_ORDER
        if f not in ("html", "fetch", "attachments", "updated_at", "extractor_version")
    ),
    "version",
    "first_seen",
    "last_seen",
)


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _clip(s: str, width: int) -> str:
    out, w = "", 0
    for c in s:
        cw = 2 if unicodedata.east_asian_width(c) in "WF" else 1
        if w + cw > width - 1 and w + cw > width:
            return out + "…"
        out += c
        w += cw
    return out


def _pad(s: str, width: int) -> str:
    s = _clip(s, width)
    return s + " " * max(0, width - _width(s))


def table(rows: Iterable[dict[str, Any]], columns: list[tuple[str, str, int]], out: TextIO) -> int:
    """Rows as a fixed-width table (CJK counted as two columns). Returns the number of rows."""
    out.write("  ".join(_pad(label, w) for _, label, w in columns).rstrip() + "\n")
    n = 0
    for row in rows:
        cells = []
        for key, _, w in columns:
            v = row.get(key)
            if isinstance(v, list):
                v = ", ".join(str(x) for x in v)
            cells.append(_pad("" if v is None else str(v), w))
        out.write("  ".join(cells).rstrip() + "\n")
        n += 1
    return n


def print_rows(rows: list[dict[str, Any]], fmt: str, columns: list[tuple[str, str, int]]) -> None:
    """A small result set as JSON or as a table."""
    if fmt == "json":
        print(dump_json(rows))
    else:
        table(rows, columns, sys.stdout)


def dump_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


def csv_row(rec: dict[str, Any]) -> list[str]:
    row = []
    for f in CSV_FIELDS:
        v = rec.get(f)
        if f == "images" and isinstance(v, list):
            v = " ".join(i.get("url", "") for i in v if isinstance(i, dict))
        elif isinstance(v, list):
            v = "; ".join(str(x) for x in v)
        row.append("" if v is None else str(v))
    return row


def write_records(records: Iterator[dict[str, Any]], fmt: str, out: TextIO = sys.stdout) -> int:
    """Stream records in `fmt`; returns how many were written."""
    n = 0
    if fmt == "table":
        columns = [
            ("id", "ID", 16),
            ("published_at", "PUBLISHED", 16),
            ("site", "SITE", 16),
            ("authors", "AUTHORS", 14),
            ("title", "TITLE", 60),
        ]
        shown = (
            {**r, "published_at": (r.get("published_at") or "")[:16].replace("T", " ")}
            for r in records
        )
        return table(shown, columns, out)
    if fmt == "jsonl":
        for rec in records:
            out.write(dump_json(rec) + "\n")
            n += 1
        return n
    if fmt == "json":
        out.write("[")
        for rec in records:
            out.write(("," if n else "") + "\n  " + dump_json(rec))
            n += 1
        out.write("\n]\n" if n else "]\n")
        return n
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(CSV_FIELDS)
        for rec in records:
            writer.writerow(csv_row(rec))
            n += 1
        return n
    raise ValueError(f"unknown format {fmt!r}")


def record_text(rec: dict[str, Any]) -> str:
    """One record for reading in a terminal."""
    lines = [rec.get("title") or "(no title)"]
    if rec.get("subtitle"):
        lines.append(rec["subtitle"])
    lines.append("")
    meta = [
        ("id", rec.get("id")),
        ("url", rec.get("url")),
        (
            "canonical",
            rec.get("canonical_url") if rec.get("canonical_url") != rec.get("url") else None,
        ),
        ("site", rec.get("site")),
        ("published", rec.get("published_at")),
        ("updated", rec.get("updated_at")),
        ("source", rec.get("source")),
        ("authors", ", ".join(rec.get("authors") or []) or None),
        ("photographers", ", ".join(rec.get("photographers") or []) or None),
        ("editors", ", ".join(rec.get("editors") or []) or None),
        ("reviewers", ", ".join(rec.get("reviewers") or []) or None),
        ("contributors", ", ".join(rec.get("contributors") or []) or None),
        ("language", rec.get("language")),
        ("version", rec.get("version")),
        ("fetched", rec.get("fetched_at")),
        ("aliases", ", ".join(rec.get("aliases") or []) or None),
    ]
    lines += [f"{k:>13}: {v}" for k, v in meta if v]
    lines += ["", rec.get("text") or ""]
    for img in rec.get("images") or []:
        cap = " — ".join(
            x for x in (img.get("caption"), img.get("credit") and f"摄 {img['credit']}") if x
        )
        lines.append(f"[image] {img.get('url')}" + (f"  {cap}" if cap else ""))
    for att in rec.get("attachments") or []:
        lines.append(f"[attachment] {att.get('name')}: {att.get('url')}")
    return "\n".join(lines) + "\n"
