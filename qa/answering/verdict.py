"""The reader's verdict: which candidates it reads, and how its scores become the answer and the confidence.

The fitted sentence scorer (qa.answering.scoring) ranks every sentence of the top passages at the cost of a dot
product; the reader (qa.answering.reader), a cross-encoder, then reads the question with the few best of them in
one batched call. Two small logistic regressions, fitted with cross-validation by `qa.training.fit` on the
public question sets (`benchmarks/fit_scorer.py`), turn what it says into decisions:
- the combiner picks the answer sentence from the reader's logit and the sentence scorer's, the
  reader counting more where the sentence shares few of the question's words;
- the answerable scorer says whether the documents answer at all, from the best and runner-up of
  both, and from what retrieval found missing (a name, a number, the rarest terms of the question).
Their weights live in qa/answering/scorer.json under "reader", beside the scorers they refine.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.answering.reader import context_text
from qa.answering.scoring import QUESTION_SIGNALS, SENTENCE_FEATURES, WEIGHTS, Logistic
from qa.records import Hit
from qa.text.passages import context_of

# What describes one candidate the reader read, for the combiner. "reader_apart" is the reader's logit
# times the share of the question's words the sentence lacks: where a person's wording shares few words
# with the answer, the sentence scorer (built on word matches) knows least and the reader should count
# most (cross-validated natural answer@1 0.815 -> 0.852, the other sets unchanged; docs/reader.md).
READ_FEATURES = ("reader_logit", "span_score", "scorer_logit", "reader_apart")
_OVERLAP = SENTENCE_FEATURES.index("overlap")
# What describes one question's read candidates, for "do the documents answer this?".
READER_QUESTION_FEATURES = (
    "reader_best",  # the best reader logit among the candidates
    "combined_best",  # the combiner's probability for the answer sentence
    "span_best",  # the span score (start + end logit) in the answer sentence
    "scorer_confidence",  # the answerable scorer of qa.answering.scoring (no reader) for the same question
    *QUESTION_SIGNALS,
)
# Kinds of question, by their first words: the part in bold comes from the reader's span for the
# kinds where it measured right (span_precision >= 0.80 on the public sets, `qa.training.fit`).
KINDS = (
    ("when", r"when|by when|in what year|what (year|date|day|month|time|century|decade)"),
    ("how many", r"how many"),
    ("how much", r"how much"),
    ("how", r"how"),
    ("who", r"who|whom|whose|who's"),
    ("where", r"where"),
    ("which", r"which|in which"),
    ("why", r"why"),
    ("what", r"what"),
)
_KINDS = [(name, re.compile(rf"^\W*(?:{pattern})\b", re.I)) for name, pattern in KINDS]
SPAN_PRECISION = 0.80
# An answer called "high" must be right at least this often (an unanswerable question answered is wrong).
HIGH_PRECISION = 0.90
# Kinds whose bold part qa.answering.spans' rules find (a date, a number near the question's words): they
# measured at least as well as the reader's span (0.86-0.91 against 0.80-0.89 held out), and keep it.
RULE_KINDS = ("when", "how many")


def question_kind(question: str) -> str:
    """The kind of a question by its first words ("when", "who", "how many"...), "other" if none."""
    return next((name for name, pattern in _KINDS if pattern.search(question)), "other")


@dataclass(frozen=True)
class ReaderScorers:
    """The fitted decisions over the reader's scores, as the product applies them."""

    candidates: int  # how many sentences the reader reads per question
    each: int  # of which the best this many of each passage, whatever the scorer says
    combiner: Logistic  # READ_FEATURES -> probability that a read sentence answers
    answerable: Logistic  # READER_QUESTION_FEATURES -> probability that the documents answer
    threshold: float
    span_kinds: tuple[str, ...]  # question kinds whose bold part is the reader's span
    # At or above this confidence an answer is called "high": fitted so that such answers were right at
    # least HIGH_PRECISION of the time (the cross-validated share is in scorer.json's figures).
    high: float = 0.8

    @classmethod
    def from_dict(cls, d: dict) -> ReaderScorers:
        combiner, answerable = Logistic.from_dict(d["combiner"]), Logistic.from_dict(d["answerable"])
        if combiner.names != READ_FEATURES or answerable.names != READER_QUESTION_FEATURES:
            raise RuntimeError("qa/answering/scorer.json's reader part was fitted on other features: refit it")
        return cls(
            int(d["candidates"]),
            int(d["each"]),
            combiner,
            answerable,
            float(d["threshold"]),
            tuple(d["span_kinds"]),
            float(d["high"]),
        )

    def to_dict(self) -> dict:
        return {
            "candidates": self.candidates,
            "each": self.each,
            "combiner": self.combiner.to_dict(),
            "answerable": self.answerable.to_dict(),
            "threshold": round(self.threshold, 6),
            "span_kinds": list(self.span_kinds),
            "high": round(self.high, 6),
        }


def shortlist(
    probabilities: np.ndarray, rows: np.ndarray, n: int, passages: np.ndarray | None = None, each: int = 0
) -> np.ndarray:
    """The `n` of `rows` the sentence scorer rates highest, best first; with `each`, the best `each` of
    every passage (`passages`: each row's passage) come first, so that the reader weighs every passage
    it is shown, not only the one the scorer favours."""
    rows = np.asarray(rows, dtype=np.int64)
    order = rows[np.argsort(-probabilities[rows], kind="stable")]
    if each and passages is not None:
        taken: dict[int, int] = {}
        first = []
        for row in order:
            passage = int(passages[row])
            if taken.get(passage, 0) < each:
                taken[passage] = taken.get(passage, 0) + 1
                first.append(row)
        chosen = set(first[:n])
        order = np.array(first[:n] + [r for r in order if r not in chosen], dtype=np.int64)
    return order[:n]


def read_items(hits: list[Hit], sentences: list[tuple[int, int, int]], rows: np.ndarray) -> list[tuple[str, str]]:
    """(sentence, context) for each candidate row: the context is its document's title and section and
    the sentence before it in its passage, as the reader was trained to see them."""
    items = []
    for row in rows:
        i, a, b = sentences[row]
        p = hits[i].passage
        before = ""
        if row > 0 and sentences[row - 1][0] == i:
            _, pa, pb = sentences[row - 1]
            before = p.text[pa - p.start : pb - p.start]
        title = context_of(hits[i].title, p.section)
        items.append((p.text[a - p.start : b - p.start], context_text(title, before)))
    return items


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def read_rows(
    reader_logits: np.ndarray, span_scores: np.ndarray, scorer_probabilities: np.ndarray, sentence_features: np.ndarray
) -> np.ndarray:
    """READ_FEATURES of each read candidate, from what the reader and the sentence scorer said of it and its
    row of SENTENCE_FEATURES."""
    apart = 1 - sentence_features[:, _OVERLAP]  # the share of the question's content words it lacks
    return np.column_stack([reader_logits, span_scores, logit(scorer_probabilities), reader_logits * apart])


def question_row(
    reader_logits: np.ndarray, span_scores: np.ndarray, combined: np.ndarray, scorer_confidence: float, signals
) -> np.ndarray:
    """READER_QUESTION_FEATURES of one question from its read candidates."""
    best = int(np.argmax(combined))
    return np.array(
        [float(np.max(reader_logits)), float(combined[best]), float(span_scores[best]), scorer_confidence]
        + [float(v) for v in signals]
    )


@lru_cache(maxsize=1)
def load_reader_scorers(path: str | None = None) -> ReaderScorers | None:
    """The reader's fitted decisions from qa/answering/scorer.json, or None before they are fitted."""
    data = json.loads(Path(path or WEIGHTS).read_text(encoding="utf-8"))
    return ReaderScorers.from_dict(data["reader"]) if "reader" in data else None
