"""Fitting the reader's decisions (qa.answering.verdict) on the rows of `qa.training.fit`, cross-validated the same way.

Every fold refits everything it uses from its own questions: the sentence scorer that shortlists the
candidates, the scorers' answerable probability (a feature here), the combiner, the answerable scorer
over the reader's scores and its threshold, and the question kinds whose bold part is the reader's span.
The held-out questions are then scored exactly as `qa.answering.answers.decide` would answer them.
"""

from __future__ import annotations

import numpy as np

from qa.answering.scoring import Logistic, question_features
from qa.answering.verdict import (
    HIGH_PRECISION,
    READ_FEATURES,
    READER_QUESTION_FEATURES,
    RULE_KINDS,
    SPAN_PRECISION,
    ReaderScorers,
    question_row,
    read_rows,
    shortlist,
)
from qa.training.fit import FOLDS, KIND_NAMES, SEED, Table, _logistic, _mean, fit

# How many sentences the reader reads, and how many of them are each passage's best whatever the
# scorer says: chosen by the cross-validated answer@1 and the speed benchmark (benchmarks/fit_scorer.py
# --candidates prints the figures for others). Each passage's best first, so that the reader weighs
# every top passage: with the step-9,200 reader as good on squad-dev and the seeds (0.855, 0.929 either
# way) and better on the natural questions (answer@1 0.833 against 0.815, hit@1 0.889 against 0.870);
# with the step-3,200 one it measured worse (docs/reader.md).
CANDIDATES = 8
EACH = 1
# Share of answerable questions the threshold may decline on the folds it is fitted on: the target is
# false_abstain <= 0.10 held out, and a fitted quantile lands above itself on unseen questions.
FALSE_ABSTAIN = 0.06
MIN_SPANS = 10  # a kind's bold part is judged on at least this many answers


class Verdicts:
    """What one fold's models say of each question: its answer row, its confidence."""

    def __init__(
        self, t: Table, sentence: Logistic, answerable: Logistic, n: int, each: int, combiner: Logistic | None = None
    ):
        self.t, self.combiner, self.n, self.each = t, combiner, n, each
        self.p = sentence.probability(t.features) if len(t.features) else np.zeros(0)
        self.answerable = answerable
        self.rows = {int(q): np.flatnonzero(t.question == q) for q in np.unique(t.question)}

    def shortlist(self, q: int) -> np.ndarray:
        rows = self.rows.get(int(q), np.zeros(0, np.int64))
        return shortlist(self.p, rows, self.n, self.t.passage, self.each) if len(rows) else rows

    def old_confidence(self, q: int) -> float:
        rows = self.rows.get(int(q), np.zeros(0, np.int64))
        if not len(rows):
            return 0.0
        _, features = question_features(self.p[rows], self.t.features[rows], self.t.signals[q])
        return float(self.answerable.probability(features)[0])

    def question(self, q: int) -> tuple[int, np.ndarray] | None:
        """(the answer's row, READER_QUESTION_FEATURES), or None when nothing was retrieved."""
        rows = self.shortlist(q)
        if not len(rows):
            return None
        t = self.t
        combined = self.combiner.probability(
            read_rows(t.reader[rows], t.reader_span_score[rows], self.p[rows], t.features[rows])
        )
        best = int(rows[int(np.argmax(combined))])
        features = question_row(
            t.reader[rows], t.reader_span_score[rows], combined, self.old_confidence(q), t.signals[q]
        )
        return best, features


def fit_reader(
    t: Table, train: np.ndarray, n: int = CANDIDATES, each: int = EACH
) -> tuple[ReaderScorers, Logistic, Logistic]:
    """The reader's decisions, and the scorers they were fitted over, from the questions in `train`."""
    sentence, answerable, _ = fit(t, train)
    v = Verdicts(t, sentence, answerable, n, each)
    with_answers = np.unique(t.dataset[t.answerable])
    rows = [v.shortlist(q) for q in train if t.dataset[q] in with_answers]
    rows = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    x = read_rows(t.reader[rows], t.reader_span_score[rows], v.p[rows], t.features[rows])
    v.combiner = _logistic(x, t.right[rows], READ_FEATURES, t.dataset[t.question[rows]])
    verdicts = [v.question(q) for q in train]
    feats = np.array([r[1] if r else np.zeros(len(READER_QUESTION_FEATURES)) for r in verdicts])
    model = _logistic(feats, t.answerable[train], READER_QUESTION_FEATURES, t.dataset[train])
    confidence = model.probability(feats)
    threshold = float(np.quantile(confidence[t.answerable[train]], FALSE_ABSTAIN))
    kinds = []
    for k, name in enumerate(KIND_NAMES):
        if name in RULE_KINDS:
            continue
        right = [
            bool(t.reader_span[r[0]])
            for q, r in zip(train, verdicts, strict=True)
            if r and t.answerable[q] and t.kind[q] == k and t.dataset[q] in with_answers
        ]
        if len(right) >= MIN_SPANS and np.mean(right) >= SPAN_PRECISION:
            kinds.append(name)
    right = np.array([bool(r) and bool(t.right[r[0]]) for r in verdicts])
    high = high_threshold(confidence, right, t.dataset[train])
    return ReaderScorers(n, each, v.combiner, model, threshold, tuple(kinds), high), sentence, answerable


def high_threshold(confidence: np.ndarray, right: np.ndarray, groups: np.ndarray, least: int = 10) -> float:
    """The lowest confidence from which answers were right at least HIGH_PRECISION of the time in every
    dataset (an unanswerable question's answer is wrong), at that threshold and every one above it;
    a dataset counts once at least `least` of its answers stand above. 1.0 when none qualifies."""
    order = np.argsort(-confidence, kind="stable")
    counts: dict[int, list[int]] = {}
    high = 1.0
    for i in order:
        n_right = counts.setdefault(int(groups[i]), [0, 0])
        n_right[0] += 1
        n_right[1] += bool(right[i])
        if any(n >= least and r < HIGH_PRECISION * n for n, r in counts.values()):
            break
        high = float(confidence[i])
    return high


def judge(t: Table, test: np.ndarray, models) -> list[dict]:
    """Each question of `test` as the product answers it with `models` (from fit_reader)."""
    scorers, sentence, answerable = models
    v = Verdicts(t, sentence, answerable, scorers.candidates, scorers.each, scorers.combiner)
    out = []
    for q in test:
        verdict = v.question(q)
        confidence = float(scorers.answerable.probability(verdict[1])[0]) if verdict else 0.0
        best = verdict[0] if verdict else None
        span = best is not None and KIND_NAMES[t.kind[q]] in scorers.span_kinds
        out.append(
            {
                "answerable": bool(t.answerable[q]),
                "right": best is not None and bool(t.right[best]),
                "passage": best is not None and bool(t.in_answer_passage[best]),
                "confidence": confidence,
                "declined": confidence < scorers.threshold,
                "high": confidence >= scorers.high and confidence >= scorers.threshold,
                "span_shown": span,
                "span_right": span and bool(t.reader_span[best]),
            }
        )
    return out


def figures_of(judged: list[dict]) -> dict:
    yes = [j for j in judged if j["answerable"]]
    no = [j for j in judged if not j["answerable"]]
    out = {}
    if yes:
        out["answer@1"] = _mean(j["right"] for j in yes)
        out["hit@1"] = _mean(j["passage"] for j in yes)
        out["false_abstain"] = _mean(j["declined"] for j in yes)
        shown = [j for j in yes if j["span_shown"]]
        out["reader_span_shown"] = _mean(j["span_shown"] for j in yes)
        if shown:
            out["reader_span_precision"] = _mean(j["span_right"] for j in shown)
    if no:
        out["abstain"] = _mean(j["declined"] for j in no)
    # "high" as a person reads it: how often such an answer is right, unanswerable questions included.
    said_high = [j for j in judged if j["high"]]
    out["high_share"] = _mean(j["high"] for j in judged)
    if said_high:
        out["high_precision"] = _mean(j["answerable"] and j["right"] for j in said_high)
    return out


def cross_validate_reader(t: Table, names: list[str], n: int = CANDIDATES, each: int = EACH) -> tuple[dict, dict]:
    """Figures per dataset, each question judged by the fold that did not see it; and the trade-off
    curve (abstain against false_abstain) of the held-out confidences, per dataset, over thresholds."""
    rng = np.random.default_rng(SEED)
    fold = rng.permutation(np.arange(len(t.answerable)) % FOLDS)
    held: dict[int, dict] = {}
    for f in range(FOLDS):
        test, train = np.flatnonzero(fold == f), np.flatnonzero(fold != f)
        for q, j in zip(test, judge(t, test, fit_reader(t, train, n, each)), strict=True):
            held[int(q)] = j
    figures, curves = {}, {}
    for d, name in enumerate(names):
        judged = [held[int(q)] for q in np.flatnonzero(t.dataset == d)]
        figures[name] = figures_of(judged)
        yes = np.array([j["confidence"] for j in judged if j["answerable"]])
        no = np.array([j["confidence"] for j in judged if not j["answerable"]])
        if len(yes) and len(no):
            curves[name] = [
                {
                    "false_abstain": round(float(np.mean(yes < c)), 4),
                    "abstain": round(float(np.mean(no < c)), 4),
                    "threshold": round(float(c), 4),
                }
                for c in np.quantile(yes, [0.0, 0.02, 0.04, 0.06, 0.08, 0.10, 0.15, 0.20, 0.30])
            ]
    return figures, curves
