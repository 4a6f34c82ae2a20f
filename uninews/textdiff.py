"""Changes inside changed lines: Chinese compared character by character, other text word by word."""

from __future__ import annotations

import difflib
import re

# A token: one CJK character, a run of word characters, a run of spaces, or one other character.
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|\w+|\s+|.", re.S)

Segment = tuple[str, str]  # (mark: "" | "del" | "ins", text)


def tokens(line: str) -> list[str]:
    return _TOKEN.findall(line)


def _merge(parts: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for mark, text in parts:
        if out and out[-1][0] == mark:
            out[-1] = (mark, out[-1][1] + text)
        elif text:
            out.append((mark, text))
    return out


def inline(old: str, new: str) -> tuple[list[Segment], list[Segment]]:
    """The old line and the new one as segments, the changed tokens marked `del` / `ins`:
    a two-character correction in a Chinese paragraph marks two characters."""
    a, b = tokens(old), tokens(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    before: list[Segment] = []
    after: list[Segment] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            before.append(("", "".join(a[i1:i2])))
            after.append(("", "".join(b[j1:j2])))
        else:
            before.append(("del", "".join(a[i1:i2])))
            after.append(("ins", "".join(b[j1:j2])))
    return _merge(before), _merge(after)


def mark_lines(lines: list[tuple[str, str]]) -> list[tuple[str, list[Segment]]]:
    """(kind, line) rows of a line diff (same | add | del | hunk) as (kind, segments): a run of
    removed lines followed by a run of added ones is compared pairwise, token by token; lines
    without a partner are marked whole."""
    out: list[tuple[str, list[Segment]]] = []
    i = 0
    while i < len(lines):
        kind, line = lines[i]
        if kind != "del":
            out.append((kind, [("ins" if kind == "add" else "", line)]))
            i += 1
            continue
        j = i
        while j < len(lines) and lines[j][0] == "del":
            j += 1
        k = j
        while k < len(lines) and lines[k][0] == "add":
            k += 1
        removed, added = [ln for _, ln in lines[i:j]], [ln for _, ln in lines[j:k]]
        pairs = [inline(o, n) for o, n in zip(removed, added, strict=False)]
        out += [("del", old) for old, _ in pairs]
        out += [("del", [("del", ln)]) for ln in removed[len(pairs) :]]
        out += [("add", new) for _, new in pairs]
        out += [("add", [("ins", ln)]) for ln in added[len(pairs) :]]
        i = k
    return out
