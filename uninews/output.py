"""Printing records: tables for people, JSON / JSON lines / CSV for programs, streamed."""

from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from typing import IO, Any

from crawler.records import RECORD_ORDER
from storage.blobs import ARCHIVED, human_size

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

# Terminal escape sequences in page text: CSI (colours, cursor moves, screen clears) and OSC
# (window title, hyperlinks). Dropping the ESC alone would make them inert, but the leftover
# "[2J" or "]0;title" would still be shown as garbage, so the whole sequence goes. The
# one-character C1 introducers (\x9b, \x9d) are only removed, not matched with a body:
# they turn up in mojibake (UTF-8 read as Latin-1), where a "body" would be real text.
_ESCAPE_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
# What a terminal may act on rather than print: C0 controls except newline and tab, DEL,
# C1 controls (\x9b is a one-byte CSI on some terminals), and the bidi embedding/override/
# isolate characters, which can make text display in a different order than it is stored.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("[\n\t]")

# OWASP: a spreadsheet treats a cell starting with one of these as a formula (or, for
# tab and CR, may shift it so that the next character does).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str, *, one_line: bool = False) -> str:
    """`text` with nothing a terminal would act on: escape sequences, controls, bidi overrides.

    With `one_line`, newlines and tabs become spaces too, so a value cannot break a table row.
    """
    text = _UNPRINTABLE.sub("", _ESCAPE_SEQUENCE.sub("", text))
    return _LINE_BREAKS.sub(" ", text) if one_line else text


def plural(n: int, word: str, plural_word: str | None = None) -> str:
    """`n` with `word` in the right number: 1 article, 2 articles, 0 articles.

    `plural_word` is for irregular plurals: plural(2, "entry", "entries").
    """
    return f"{n} {word if n == 1 else (plural_word or word + 's')}"


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _clip(s: str, width: int) -> str:
    """`s` cut to `width` columns, an ellipsis marking the cut."""
    if _width(s) <= width:
        return s
    out, w = "", 0
    for c in s:
        cw = 2 if unicodedata.east_asian_width(c) in "WF" else 1
        if w + cw > width - 1:
            break
        out += c
        w += cw
    return out + "…"


def local_time(ts: str | None) -> str | None:
    """An instant as the store writes it (ISO 8601 UTC) in the viewer's time: '2026-11-27 21:17'."""
    if not ts:
        return None
    from datetime import UTC, datetime

    try:
        dt = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return ts
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone().strftime("%Y-%m-%d %H:%M")


def _pad(s: str, width: int) -> str:
    s = _clip(s, width)
    return s + " " * max(0, width - _width(s))


def table(rows: Iterable[dict[str, Any]], columns: list[tuple[str, str, int]], out: IO[str]) -> int:
    """Rows as a fixed-width table (CJK counted as two columns). Returns the number of rows."""
    out.write("  ".join(_pad(label, w) for _, label, w in columns).rstrip() + "\n")
    n = 0
    for row in rows:
        cells = []
        for key, _, w in columns:
            v = row.get(key)
            if isinstance(v, list):
                v = ", ".join(str(x) for x in v)
            # Cells come from untrusted pages: cleaned before padding, so the width is
            # measured on what is actually shown and no value can break its row.
            cells.append(_pad(printable("" if v is None else str(v), one_line=True), w))
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
    """A record's CSV_FIELDS as strings, each made safe to open in a spreadsheet."""
    row = []
    for f in CSV_FIELDS:
        v = rec.get(f)
        if f == "images" and isinstance(v, list):
            v = " ".join(i.get("url", "") for i in v if isinstance(i, dict))
        elif isinstance(v, list):
            v = "; ".join(str(x) for x in v)
        cell = "" if v is None else str(v)
        # Checked on the string, so a number such as -5 is quoted as well: a title like
        # =HYPERLINK(...) must stay text when the export is opened in a spreadsheet.
        row.append("'" + cell if cell.startswith(_FORMULA_START) else cell)
    return row


def write_records(
    records: Iterator[dict[str, Any]],
    fmt: str,
    out: IO[str] = sys.stdout,
    *,
    excel: bool = False,
) -> int:
    """Stream records in `fmt`; returns how many were written.

    `excel` starts a CSV with a byte order mark: without it Excel reads UTF-8 as the local
    code page and garbles Chinese text.
    """
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
        if excel:
            out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(CSV_FIELDS)
        for rec in records:
            writer.writerow(csv_row(rec))
            n += 1
        return n
    raise ValueError(f"unknown format {fmt!r}")


def record_text(rec: dict[str, Any]) -> str:
    """One record for reading in a terminal, with every page-supplied value made printable."""

    def line(v: Any) -> str:
        return printable(str(v), one_line=True)

    lines = [line(rec["kicker"])] if rec.get("kicker") else []
    lines.append(line(rec.get("title") or "(no title)"))
    if rec.get("subtitle"):
        lines.append(line(rec["subtitle"]))
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
        (
            "withdrawn",
            f"noticed {rec['withdrawn_at']} (kept as archived; the site no longer serves it)"
            if rec.get("withdrawn_at")
            else None,
        ),
        ("fetched", rec.get("fetched_at")),
        ("aliases", ", ".join(rec.get("aliases") or []) or None),
    ]
    lines += [f"{k:>13}: {line(v)}" for k, v in meta if v]
    lines += ["", printable(rec.get("text") or "")]
    for img in rec.get("images") or []:
        cap = " — ".join(
            x for x in (img.get("caption"), img.get("credit") and f"摄 {img['credit']}") if x
        )
        lines.append(f"[image] {line(img.get('url'))}" + (f"  {line(cap)}" if cap else ""))
        lines += _archived_line(img)
    for att in rec.get("attachments") or []:
        lines.append(f"[attachment] {line(att.get('name'))}: {line(att.get('url'))}")
        lines += _archived_line(att)
    return "\n".join(lines) + "\n"


def _archived_line(entry: dict[str, Any]) -> list[str]:
    """Where the archive keeps an image's or attachment's copy (`uninews serve` serves it at
    /files/<sha256>), or that it keeps none."""
    copy = entry.get(ARCHIVED)
    if not isinstance(copy, dict):
        return ["    not archived"]
    name = printable(str(copy.get("name") or ""), one_line=True)
    size = human_size(int(copy.get("size") or 0))
    return [f"    archived: /files/{copy.get('sha256')}  {name}  {copy.get('mime')}, {size}"]


# The fields `show --diff` compares one by one (the text gets a line diff of its own).
_DIFF_FIELDS = RECORD_ORDER[RECORD_ORDER.index("title") : RECORD_ORDER.index("contributors") + 1]


def _shown(value: Any) -> str:
    return printable(
        ", ".join(value) if isinstance(value, list) else str(value or ""), one_line=True
    )


def diff_parts(
    old: dict[str, Any], new: dict[str, Any]
) -> tuple[list[tuple[str, str, str]], list[str]]:
    """What changed between two versions ({version, record, …}): (field, before, after) for
    each changed field, then the text's unified diff lines (empty when the text is the same).
    Every page-supplied value is made printable."""
    import difflib

    a, b = old["record"], new["record"]
    fields = [
        (name, _shown(a.get(name)), _shown(b.get(name)))
        for name in _DIFF_FIELDS
        if a.get(name) != b.get(name)
    ]
    old_text = printable(a.get("text") or "").splitlines()
    new_text = printable(b.get("text") or "").splitlines()
    text = list(
        difflib.unified_diff(
            old_text, new_text, f"v{old['version']}", f"v{new['version']}", lineterm="", n=1
        )
    )
    return fields, text


def record_diff(old: dict[str, Any], new: dict[str, Any]) -> str:
    """`diff_parts` as text: a header, each field's before and after, the text's line diff."""
    fields, text = diff_parts(old, new)
    lines = [
        f"v{old['version']} ({old['first_seen']}) -> v{new['version']} ({new['first_seen']}):"
        f" {', '.join(new.get('changed') or []) or 'no field changed'}"
    ]
    for name, before, after in fields:
        lines += [f"{name}:", f"  - {before}", f"  + {after}"]
    if text:
        lines += ["text:", *text]
    return "\n".join(lines) + "\n"
