"""A change inside a line is shown as what changed: characters in Chinese, words in English."""

from __future__ import annotations

from uninews.textdiff import inline, mark_lines

PARA = "清华大学今日举行新学期工作会议，校领导与各院系负责人出席会议并讨论本学期的重点工作安排。"


def test_a_two_character_correction_marks_two_characters() -> None:
    fixed = PARA.replace("新学期", "春季学期")
    before, after = inline(PARA, fixed)
    assert [t for m, t in before if m == "del"] == ["新"]
    assert [t for m, t in after if m == "ins"] == ["春季"]
    assert "".join(t for _, t in before) == PARA and "".join(t for _, t in after) == fixed


def test_english_is_compared_word_by_word() -> None:
    before, after = inline("The dean opened the new lab.", "The provost opened the new lab.")
    assert [t for m, t in before if m] == ["dean"] and [t for m, t in after if m] == ["provost"]


def test_lines_without_a_partner_are_marked_whole_and_the_rest_kept() -> None:
    rows = mark_lines(
        [("same", "a"), ("del", "old one"), ("del", "gone"), ("add", "new one"), ("same", "z")]
    )
    kinds = [k for k, _ in rows]
    assert kinds == ["same", "del", "del", "add", "same"]
    assert rows[2][1] == [("del", "gone")]
    assert rows[3][1] == [("ins", "new"), ("", " one")]
