"""The fitted scorers: which sentence answers, and whether the documents answer at all.

Both are logistic regressions over a handful of measured signals, fitted by `qa.training.fit` (run
`benchmarks/fit_scorer.py`) on the public question sets with cross-validation; their weights, the
feature scaling and the cross-validated figures live in `scorer.json` beside this file. Applying them
is a dot product: no model call, nothing to tune by hand.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

WEIGHTS = Path(__file__).with_name("scorer.json")

# What describes one candidate sentence (in one of the top passages) for one question.
SENTENCE_FEATURES = (
    "sentence_cosine",  # the sentence's cosine to the question
    "passage_cosine",  # its passage's cosine to the question
    "inverse_rank",  # 1 / its passage's rank
    "passage_focus",  # share of the question's weighted terms the passage (with its title, section) holds
    "sentence_focus",  # the same share for the sentence alone
    "overlap",  # share of the question's content words in the sentence (unweighted)
    "type_match",  # the sentence holds the kind of answer asked for (date, number, amount, name, place)
    "novelty",  # share of the sentence's content words that are not the question's: an answer adds something
    "log_words",  # log of the sentence's length in words
    "new_name",  # the sentence holds a proper name the question does not (qa.text.names)
    # The sentence before or after: "It in turn evolved into Modern English." answers through the
    # sentence before it, which names what "it" is.
    "neighbour_cosine",  # the higher cosine of the sentences either side, in the same passage
    "neighbour_focus",  # the higher sentence focus of the sentences either side
    "passage_missing",  # the weight of the heaviest question term its passage (with context) lacks
    # The same signals against the best of the question's candidates: what is high for one question is
    # low for another, and a linear model needs the comparison made for it.
    "sentence_cosine_gap",  # sentence cosine minus the best sentence cosine among the candidates
    "sentence_focus_gap",  # sentence focus minus the best sentence focus
    "passage_cosine_gap",  # passage cosine minus the best passage cosine
)
GAPS = {
    "sentence_cosine_gap": "sentence_cosine",
    "sentence_focus_gap": "sentence_focus",
    "passage_cosine_gap": "passage_cosine",
}
# Signals of the question and its candidates as a whole, measured before any scoring.
QUESTION_SIGNALS = (
    "type_asked",  # whether the question asks for a kind of answer at all (date, number, name...)
    "missing_focus",  # weighted share of the question's terms that no candidate passage holds
    "numbers_missing",  # share of the question's numbers ("1066", "2022/23") no candidate passage holds
    "names_missing",  # share of the question's names ("Dorset", "Blenheim") no candidate passage holds
)
# What describes the best candidates of one question, for "do the documents answer this?".
QUESTION_FEATURES = (
    "best_probability",  # the sentence scorer's probability for the best sentence
    "margin",  # best minus second-best probability
    "best_cosine",  # the best passage cosine among the candidates
    "top_focus",  # passage focus of the best sentence's passage
    "best_sentence_focus",  # sentence focus of the best sentence
    "type_match",  # whether the best sentence holds the kind of answer asked for
    "typed_focus",  # the best sentence focus among candidates holding the kind of answer asked for
    "best_passage_missing",  # the heaviest question term the best sentence's passage lacks
    *QUESTION_SIGNALS,
)


@dataclass(frozen=True)
class Logistic:
    """A fitted logistic regression over standardised features."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probability(self, features: np.ndarray) -> np.ndarray:
        z = ((np.atleast_2d(features) - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_dict(self) -> dict:
        return {
            "features": list(self.names),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "coef": [round(float(v), 6) for v in self.coef],
            "intercept": round(float(self.intercept), 6),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Logistic:
        return cls(
            tuple(d["features"]),
            np.array(d["mean"], dtype=np.float64),
            np.array(d["scale"], dtype=np.float64),
            np.array(d["coef"], dtype=np.float64),
            float(d["intercept"]),
        )


@dataclass(frozen=True)
class Scorers:
    """The two fitted scorers as the product applies them."""

    sentence: Logistic
    answerable: Logistic
    threshold: float  # below this probability that the documents answer, the product says they do not


@lru_cache(maxsize=1)
def load_scorers(path: str | None = None) -> Scorers:
    data = json.loads(Path(path or WEIGHTS).read_text(encoding="utf-8"))
    sentence, answerable = Logistic.from_dict(data["sentence"]), Logistic.from_dict(data["answerable"])
    if sentence.names != SENTENCE_FEATURES or answerable.names != QUESTION_FEATURES:
        raise RuntimeError(f"{path or WEIGHTS} was fitted on other features: refit with benchmarks/fit_scorer.py")
    return Scorers(sentence, answerable, float(data["threshold"]))


COLUMN = {name: i for i, name in enumerate(SENTENCE_FEATURES)}


def add_neighbours(rows: np.ndarray, passage_of: np.ndarray) -> None:
    """Fill the neighbour columns of `rows` in place; rows of one passage are consecutive, in order."""
    for column, base in (("neighbour_cosine", "sentence_cosine"), ("neighbour_focus", "sentence_focus")):
        values = rows[:, COLUMN[base]]
        before = np.r_[0.0, values[:-1]] * (np.r_[-1, passage_of[:-1]] == passage_of)
        after = np.r_[values[1:], 0.0] * (np.r_[passage_of[1:], -1] == passage_of)
        rows[:, COLUMN[column]] = np.maximum(before, after)


def add_gaps(rows: np.ndarray, pool: np.ndarray) -> None:
    """Fill the gap columns of `rows` in place, against the best of the rows in `pool` (a boolean mask)."""
    if not len(rows) or not pool.any():
        return
    for gap, base in GAPS.items():
        rows[:, COLUMN[gap]] = rows[:, COLUMN[base]] - rows[pool, COLUMN[base]].max()


def question_features(probabilities: np.ndarray, rows: np.ndarray, signals: np.ndarray) -> tuple[int, np.ndarray]:
    """The best of one question's candidate sentence rows, and the question's answerability features."""
    best = int(np.argmax(probabilities))
    ordered = np.sort(probabilities)[::-1]
    margin = float(ordered[0] - ordered[1]) if len(ordered) > 1 else float(ordered[0])
    col = COLUMN
    type_asked = bool(signals[QUESTION_SIGNALS.index("type_asked")])
    typed = rows[:, col["type_match"]] > 0 if type_asked else np.ones(len(rows), dtype=bool)
    return best, np.array(
        [
            float(ordered[0]),
            margin,
            float(rows[:, col["passage_cosine"]].max()),
            float(rows[best, col["passage_focus"]]),
            float(rows[best, col["sentence_focus"]]),
            float(rows[best, col["type_match"]]),
            float(rows[typed, col["sentence_focus"]].max()) if typed.any() else 0.0,
            float(rows[best, col["passage_missing"]]),
            *map(float, signals),
        ]
    )


def log_words(n: int) -> float:
    return math.log(1 + n)
