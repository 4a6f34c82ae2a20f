"""Shingle precision/recall/F1 of article bodies, as in scrapinghub/article-extraction-benchmark."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from statistics import fmean

__all__ = [
    "SHINGLE_SIZE",
    "PageScore",
    "Scores",
    "Tokenizer",
    "cjk_tokens",
    "score_pages",
    "shingle_prf",
    "shingles",
    "word_tokens",
]

logger = logging.getLogger(__name__)

Tokenizer = Callable[[str], list[str]]

SHINGLE_SIZE = 4

# The benchmark's tokenizer: runs of Unicode word characters (Python's ``\w``).
_WORD_RE = re.compile(r"\w+")

# Scripts written without spaces between words: Han ideographs (URO, extensions A to H,
# compatibility block), the iteration/zero marks 々 and 〇, Hangzhou numerals, kana and
# bopomofo. Hangul is left out on purpose: Korean separates words with spaces already.
_CJK = (
    "\u3005\u3007\u3021-\u3029\u3038-\u303b"
    "\u3040-\u309f\u30a0-\u30ff\u3100-\u312f\u31a0-\u31bf\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0003ffff"
)
# One token per CJK word character; a run of other word characters is one token.
_CJK_RE = re.compile(rf"(?=\w)[{_CJK}]|(?:(?![{_CJK}])\w)+")


def word_tokens(text: str) -> list[str]:
    """Split ``text`` into ``\\w+`` tokens, exactly like the benchmark's ``evaluate.py``."""
    return _WORD_RE.findall(text or "")


def cjk_tokens(text: str) -> list[str]:
    """Split ``text`` into one token per CJK character and one per run of other word characters."""
    return _CJK_RE.findall(text or "")


def shingles(tokens: Sequence[str], n: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """Count the ``n``-token shingles of ``tokens``.

    As in the benchmark, a text with 1 to ``n - 1`` tokens has one shingle made of all its
    tokens, and a text without tokens has none.
    """
    if not tokens:
        return Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))


@dataclass(frozen=True, slots=True)
class PageScore:
    """Shingle counts of one page; ``precision``/``recall`` are ``None`` where undefined."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float | None:
        """Share of predicted shingles that are in the truth; ``None`` for an empty prediction."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        """Share of true shingles that were predicted; ``None`` when the truth is empty."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float:
        """Harmonic mean of this page's precision and recall (0.0 when either is undefined)."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p and r else 0.0


def shingle_prf(
    pred: str,
    truth: str,
    tokenizer: Tokenizer = word_tokens,
    n: int = SHINGLE_SIZE,
) -> PageScore:
    """Compare the multisets of ``n``-token shingles of ``pred`` and ``truth``."""
    p, t = shingles(tokenizer(pred), n), shingles(tokenizer(truth), n)
    tp = sum((p & t).values())
    return PageScore(tp=tp, fp=p.total() - tp, fn=t.total() - tp)


@dataclass(frozen=True, slots=True)
class Scores:
    """Benchmark figures over a set of pages (see :func:`score_pages`)."""

    precision: float
    recall: float
    f1: float
    accuracy: float
    n: int
    empty: int
    pages: tuple[PageScore, ...] = field(default=(), repr=False, compare=False)

    def as_dict(self) -> dict[str, float | int]:
        """The figures without the per-page details, for JSON output."""
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "accuracy": self.accuracy,
            "n": self.n,
            "empty": self.empty,
        }


def score_pages(
    pairs: Iterable[tuple[str, str]],
    tokenizer: Tokenizer = word_tokens,
    n: int = SHINGLE_SIZE,
) -> Scores:
    """Score ``(prediction, truth)`` pairs the way the benchmark does.

    Precision is the mean over pages whose prediction has a shingle (an empty output does
    not lower it), recall the mean over pages whose truth has one (an empty output counts
    as 0), F1 the harmonic mean of those two means, and accuracy the share of pages whose
    token sequence equals the truth's. ``empty`` counts predictions without any token.
    """
    page_scores: list[PageScore] = []
    exact = empty = 0
    for pred, truth in pairs:
        pred_tokens, truth_tokens = tokenizer(pred), tokenizer(truth)
        p, t = shingles(pred_tokens, n), shingles(truth_tokens, n)
        tp = sum((p & t).values())
        page_scores.append(PageScore(tp=tp, fp=p.total() - tp, fn=t.total() - tp))
        exact += pred_tokens == truth_tokens
        empty += not pred_tokens
    precisions = [s.precision for s in page_scores if s.precision is not None]
    recalls = [s.recall for s in page_scores if s.recall is not None]
    precision = fmean(precisions) if precisions else 0.0
    recall = fmean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    total = len(page_scores)
    if total and len(recalls) < total:
        logger.debug("%d page(s) with an empty truth left out of recall", total - len(recalls))
    return Scores(
        precision=precision,
        recall=recall,
        f1=f1,
        accuracy=exact / total if total else 0.0,
        n=total,
        empty=empty,
        pages=tuple(page_scores),
    )
