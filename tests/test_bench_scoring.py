"""Unit tests of the article-extraction-benchmark metric in ``bench.scoring``."""

from __future__ import annotations

import pytest

from bench.scoring import cjk_tokens, score_pages, shingle_prf, shingles, word_tokens

TEXT = "The quick brown fox jumps over the lazy dog."


def test_word_tokens_are_unicode_word_runs() -> None:
    assert word_tokens("Ünïcode, ok? 2024-05_01!") == ["Ünïcode", "ok", "2024", "05_01"]
    assert word_tokens("") == []
    assert word_tokens("清华大学 news") == ["清华大学", "news"]


def test_cjk_tokens_split_each_cjk_character() -> None:
    tokens = cjk_tokens("清华大学2015年news，OK")
    assert tokens == ["清", "华", "大", "学", "2015", "年", "news", "OK"]
    assert cjk_tokens("「東京」へ") == ["東", "京", "へ"]
    assert cjk_tokens("U+3000\u3000全角　空格") == ["U", "3000", "全", "角", "空", "格"]


def test_perfect_match_scores_one() -> None:
    page = shingle_prf(TEXT, TEXT)
    assert (page.precision, page.recall, page.f1) == (1.0, 1.0, 1.0)
    scores = score_pages([(TEXT, TEXT), ("a b c d e", "a  b\nc d e")])
    assert (scores.precision, scores.recall, scores.f1, scores.accuracy) == (1.0, 1.0, 1.0, 1.0)
    assert (scores.n, scores.empty) == (2, 0)


def test_shingles_are_counted_as_multisets() -> None:
    truth = "a b c d a b c d"  # shingles: abcd, bcda, cdab, dabc, abcd
    page = shingle_prf("a b c d", truth)
    assert (page.tp, page.fp, page.fn) == (1, 0, 4)
    assert page.precision == 1.0
    assert page.recall == pytest.approx(0.2)


def test_empty_prediction_counts_in_recall_not_precision() -> None:
    scores = score_pages([(TEXT, TEXT), ("", TEXT), ("   ...  ", TEXT)])
    assert scores.precision == 1.0  # only the page with output
    assert scores.recall == pytest.approx(1 / 3)  # every page
    assert scores.f1 == pytest.approx(2 * 1.0 * (1 / 3) / (1 + 1 / 3))
    assert scores.accuracy == pytest.approx(1 / 3)
    assert scores.empty == 2
    empty = shingle_prf("", TEXT)
    assert (empty.precision, empty.recall, empty.f1) == (None, 0.0, 0.0)


def test_fewer_than_four_tokens_make_a_single_shingle() -> None:
    assert shingles(["a", "b", "c"]) == {("a", "b", "c"): 1}
    assert shingles([]) == {}
    assert shingle_prf("a b c", "a b c").f1 == 1.0
    short = shingle_prf("a b", "a b c")  # ("a", "b") is not ("a", "b", "c")
    assert (short.tp, short.fp, short.fn) == (0, 1, 1)
    assert (short.precision, short.recall) == (0.0, 0.0)
    # A short prediction never matches a 4-token shingle of a long truth.
    assert shingle_prf("quick brown fox", TEXT).tp == 0


def test_pages_are_weighted_equally_and_f1_is_of_the_means() -> None:
    long_truth = " ".join(f"w{i}" for i in range(103))  # 100 shingles
    half = " ".join(f"w{i}" for i in range(53))  # 50 of them
    noisy = "x y z " + "a b c d e"  # 2 right shingles out of 5
    scores = score_pages([(half, long_truth), (noisy, "a b c d e")])
    assert scores.precision == pytest.approx((1.0 + 2 / 5) / 2)
    assert scores.recall == pytest.approx((0.5 + 1.0) / 2)
    p, r = scores.precision, scores.recall
    assert scores.f1 == pytest.approx(2 * p * r / (p + r))
    assert scores.accuracy == 0.0


def test_empty_truth_is_left_out_of_recall() -> None:
    scores = score_pages([("", ""), ("something else entirely here", ""), (TEXT, TEXT)])
    assert scores.recall == 1.0
    assert scores.precision == pytest.approx(0.5)
    assert scores.accuracy == pytest.approx(2 / 3)


def test_cjk_tokenizer_scores_chinese_text_by_character() -> None:
    truth = "清华大学新闻网报道"
    assert score_pages([(truth, truth)], tokenizer=word_tokens).f1 == 1.0
    # With \\w+ the whole run is one token, so one wrong character zeroes the page.
    pred = "清华大学新闻网報道"
    assert score_pages([(pred, truth)], tokenizer=word_tokens).f1 == 0.0
    cjk = score_pages([(pred, truth)], tokenizer=cjk_tokens)
    # 6 shingles each; the 8th character 報 spoils the 2 shingles that contain it.
    assert cjk.precision == pytest.approx(4 / 6)
    assert cjk.recall == pytest.approx(4 / 6)
    # Extra boilerplate before the body lowers precision only.
    padded = score_pages([("首页 " + truth, truth)], tokenizer=cjk_tokens)
    assert padded.recall == 1.0
    assert padded.precision == pytest.approx(6 / 8)


def test_no_pages() -> None:
    scores = score_pages([])
    assert (scores.precision, scores.recall, scores.f1, scores.accuracy) == (0.0, 0.0, 0.0, 0.0)
    assert (scores.n, scores.empty) == (0, 0)
