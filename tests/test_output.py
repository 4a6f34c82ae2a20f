"""Output formats: terminal-safe tables and `show`, spreadsheet-safe CSV, exact JSON."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from uninews.output import CSV_FIELDS, plural, printable, record_text, table, write_records

EVIL_TITLE = "Evil\x1b]0;pwned\x07 title\x1b[2J"
EVIL_TEXT = "First \x1b[31mred\x1b[0m line\nsecond\x9b line\u202eesrever\u202c\x08\x00\x7f end"
# Bytes or characters a terminal acts on instead of printing.
HOSTILE = ["\x1b", "\x07", "\x9b", "\x08", "\x00", "\x7f", "\r", *map(chr, range(0x202A, 0x202F))]
HOSTILE += [chr(c) for c in range(0x2066, 0x206A)]


def record(**fields: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "id": "a1b2c3d4e5f60718",
        "url": "https://news.example.cn/2024/01/02/a.html",
        "site": "example",
        "title": "Ordinary title",
        "text": "Body text.",
        "authors": ["张三"],
        "published_at": "2024-01-02T08:30:00+08:00",
    }
    rec.update(fields)
    return rec


def assert_terminal_safe(shown: str) -> None:
    for ch in HOSTILE:
        assert ch not in shown, f"{ch!r} reaches the terminal"


def table_text(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    table(rows, [("id", "ID", 16), ("title", "TITLE", 60), ("text", "TEXT", 60)], buf)
    return buf.getvalue()


def csv_rows(*recs: dict[str, Any], excel: bool = False) -> list[dict[str, str]]:
    buf = io.StringIO()
    assert write_records(iter(recs), "csv", buf, excel=excel) == len(recs)
    return list(csv.DictReader(io.StringIO(buf.getvalue())))


# --- terminal safety ---------------------------------------------------------------------


def test_show_strips_escape_sequences_and_keeps_words() -> None:
    shown = record_text(record(title=EVIL_TITLE, subtitle="sub\x1b[1mtitle", text=EVIL_TEXT))
    assert_terminal_safe(shown)
    assert shown.splitlines()[0] == "Evil title"
    assert "subtitle" in shown
    assert "First red line\nsecond line" in shown  # the body keeps its line breaks
    assert "esrever" in shown and "end" in shown
    assert "[2J" not in shown and "pwned" not in shown and "[31m" not in shown


def test_show_cleans_meta_images_and_attachments() -> None:
    rec = record(
        authors=["Bad\x1b[2Jguy\nsecond line"],
        source="wire\u202eservice",
        images=[{"url": "https://x/i.jpg\x07", "caption": "cap\x1b]8;;http://evil\x07tion"}],
        attachments=[{"name": "doc\x9b.pdf", "url": "https://x/d.pdf"}],
    )
    shown = record_text(rec)
    assert_terminal_safe(shown)
    assert "      authors: Badguy second line\n" in shown  # meta stays on one line
    assert "wireservice" in shown
    assert "[image] https://x/i.jpg  caption" in shown
    assert "[attachment] doc.pdf: https://x/d.pdf" in shown


def test_table_strips_escape_sequences_and_keeps_words() -> None:
    shown = table_text([record(title=EVIL_TITLE, text=EVIL_TEXT)])
    assert_terminal_safe(shown)
    assert "Evil title" in shown
    assert "First red line second line" in shown


def test_table_cell_with_line_breaks_stays_on_one_row() -> None:
    shown = table_text([record(title="one\ntwo\tthree\r\nfour", text="a\n\nb"), record()])
    lines = shown.splitlines()
    assert len(lines) == 3  # header + two rows
    assert "one two three four" in lines[1]
    assert "a  b" in lines[1]


def test_table_format_of_write_records_is_safe() -> None:
    buf = io.StringIO()
    assert write_records(iter([record(title=EVIL_TITLE, authors=["x\x1b[2J"])]), "table", buf)
    assert_terminal_safe(buf.getvalue())
    assert len(buf.getvalue().splitlines()) == 2


@pytest.mark.parametrize(
    ("raw", "multi_line", "one_line"),
    [
        ("plain 中文 text", "plain 中文 text", "plain 中文 text"),
        ("a\nb\tc", "a\nb\tc", "a b c"),
        ("a\r\nb", "a\nb", "a b"),
        ("\x1b[1;31mred\x1b[0m", "red", "red"),
        ("\x1b]0;title\x1b\\after", "after", "after"),
        ("\x1b]8;;http://x\x07link\x1b]8;;\x07", "link", "link"),
        ("\x9b2Jcsi", "2Jcsi", "2Jcsi"),  # only the control goes: C1 turns up in mojibake
        ("lone \x1b escape", "lone  escape", "lone  escape"),
        ("bell\x07 nul\x00 del\x7f bs\x08 c1\x85", "bell nul del bs c1", "bell nul del bs c1"),
        ("\u202aA\u202bB\u202cC\u202dD\u202eE\u2066F\u2067G\u2068H\u2069", "ABCDEFGH", "ABCDEFGH"),
    ],
)
def test_printable(raw: str, multi_line: str, one_line: str) -> None:
    assert printable(raw) == multi_line
    assert printable(raw, one_line=True) == one_line


def test_printable_keeps_ordinary_unicode() -> None:
    # Not controls: the right-to-left mark, zero-width joiner in emoji, CJK punctuation.
    text = "שלום\u200f 👩\u200d💻 “引号”，顿号、"
    assert printable(text) == text


# --- CSV ---------------------------------------------------------------------------------


def test_csv_quotes_cells_a_spreadsheet_would_run_as_formulas() -> None:
    titles = ['=HYPERLINK("http://x")', "-5", "@SUM(A1)", "+1", "\tTab", "\rCR", "Ordinary title"]
    rows = csv_rows(*(record(title=t) for t in titles))
    assert [r["title"] for r in rows] == [
        '\'=HYPERLINK("http://x")',
        "'-5",
        "'@SUM(A1)",
        "'+1",
        "'\tTab",
        "'\rCR",
        "Ordinary title",
    ]


def test_csv_quotes_non_string_values_and_joined_lists() -> None:
    (row,) = csv_rows(record(version=-5, authors=["=cmd|' /C calc'!A0", "ok"], text="a=b"))
    assert row["version"] == "'-5"
    assert row["authors"] == "'=cmd|' /C calc'!A0; ok"
    assert row["text"] == "a=b"  # only a leading formula character matters
    assert row["url"] == "https://news.example.cn/2024/01/02/a.html"


def test_csv_header_is_unchanged() -> None:
    buf = io.StringIO()
    write_records(iter([]), "csv", buf)
    assert next(csv.reader(io.StringIO(buf.getvalue()))) == list(CSV_FIELDS)


def test_csv_for_excel_starts_with_bom() -> None:
    rec = record(title="中文标题")
    with_bom, without = io.StringIO(), io.StringIO()
    write_records(iter([rec]), "csv", with_bom, excel=True)
    write_records(iter([rec]), "csv", without)
    assert with_bom.getvalue().startswith("\ufeff")
    assert with_bom.getvalue()[1:] == without.getvalue()
    assert not without.getvalue().startswith("\ufeff")
    assert "中文标题" in without.getvalue()


def test_excel_flag_only_affects_csv() -> None:
    buf = io.StringIO()
    write_records(iter([record()]), "jsonl", buf, excel=True)
    assert not buf.getvalue().startswith("\ufeff")


# --- JSON stays exact data ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_json_output_keeps_escape_characters(fmt: str) -> None:
    rec = record(title=EVIL_TITLE, text=EVIL_TEXT)
    buf = io.StringIO()
    assert write_records(iter([rec]), fmt, buf) == 1
    assert "\x1b" not in buf.getvalue()  # JSON escapes controls itself
    got = json.loads(buf.getvalue()) if fmt == "json" else [json.loads(buf.getvalue())]
    assert got == [rec]


# --- plural ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "args", "expected"),
    [
        (1, ("article",), "1 article"),
        (2, ("article",), "2 articles"),
        (0, ("article",), "0 articles"),
        (1, ("entry", "entries"), "1 entry"),
        (2, ("entry", "entries"), "2 entries"),
        (1000, ("site",), "1000 sites"),
    ],
)
def test_plural(n: int, args: tuple[str, ...], expected: str) -> None:
    assert plural(n, *args) == expected
