"""Fitting the scorers of `qa.answering.scoring` on question sets, with cross-validation. Needs scikit-learn.

Rows are the sentences of each question's top POOL passages; a sentence is labelled right when it
contains one of the question's answers. Folds split by question, so no question is scored by a
model that saw it. The answerability threshold is set on the training folds only, at the confidence
below which `FALSE_ABSTAIN` of the answerable questions fall.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.answering.answers import POOL, candidates
from qa.answering.reader import NO_SPAN
from qa.answering.scoring import (
    QUESTION_FEATURES,
    QUESTION_SIGNALS,
    SENTENCE_FEATURES,
    Logistic,
    load_scorers,
    question_features,
)
from qa.answering.verdict import KINDS, question_kind, read_items, shortlist
from qa.evaluation.metrics import contains_answer

KIND_NAMES = [name for name, _ in KINDS] + ["other"]
# Sentences per question the reader reads when rows are collected, and the logit of one it did not
# read (a fold's shortlist of up to 12 almost never reaches past the shipped scorer's best 16).
READ_AT_FIT = 16
UNREAD = -20.0

# Share of answerable questions the threshold may decline on the data it is fitted on: 0.02 keeps the
# cross-validated false_abstain under 0.05 on every set (0.03 let squad-dev's reach 0.054).
FALSE_ABSTAIN = 0.02
FOLDS = 5
C = 0.1  # L2 strength: chosen by the cross-validated answer@1 among 0.01, 0.1 and 1
SEED = 0


@dataclass
class Table:
    """Sentence rows of many questions: features, labels, the question each row belongs to."""

    features: np.ndarray  # (rows, SENTENCE_FEATURES)
    right: np.ndarray  # row's sentence contains an answer
    in_answer_passage: np.ndarray  # row's passage contains an answer
    question: np.ndarray  # question number of each row
    answerable: np.ndarray  # per question
    signals: np.ndarray  # per question: QUESTION_SIGNALS
    dataset: np.ndarray  # per question: index into the dataset names
    reader: np.ndarray  # per row: the reader's logit (qa.answering.reader)
    reader_span_score: np.ndarray  # per row: the reader's span score
    reader_span: np.ndarray  # per row: the reader's span in the sentence holds an answer
    kind: np.ndarray  # per question: index into qa.answering.verdict.KINDS (len(KINDS): other)
    passage: np.ndarray  # per row: the rank of its passage among the question's hits (0: the first)

    def save(self, path) -> None:
        np.savez_compressed(
            path,
            feature_names=np.array(SENTENCE_FEATURES),
            signal_names=np.array(QUESTION_SIGNALS),
            **{k: getattr(self, k) for k in self.__dataclass_fields__},
        )

    @classmethod
    def load(cls, path) -> Table:
        """The rows saved at `path`, their columns those of SENTENCE_FEATURES and QUESTION_SIGNALS now: rows
        saved before a signal was deleted refit without it, no model call needed."""
        with np.load(path) as data:
            fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
            saved = [str(n) for n in data["feature_names"]] if "feature_names" in data else list(SENTENCE_FEATURES)
            signals = [str(n) for n in data["signal_names"]] if "signal_names" in data else list(QUESTION_SIGNALS)
        if "passage" not in fields:  # rows saved before passages were stored: their rank, from 1 / (rank + 1)
            fields["passage"] = np.rint(1 / fields["features"][:, saved.index("inverse_rank")] - 1).astype(np.int64)
        fields["features"] = _columns(fields["features"], saved, SENTENCE_FEATURES, path)
        fields["signals"] = _columns(fields["signals"], signals, QUESTION_SIGNALS, path)
        return cls(**fields)


def _columns(values: np.ndarray, saved: list[str], wanted: tuple[str, ...], path) -> np.ndarray:
    """The columns of `values` (named `saved`) that `wanted` names, in its order."""
    if len(saved) != values.shape[1]:
        raise ValueError(f"{path} has {values.shape[1]} columns where {len(saved)} were named: collect the rows again")
    missing = [n for n in wanted if n not in saved]
    if missing:
        raise ValueError(f"{path} has no column for {', '.join(missing)}: collect the rows again")
    return values[:, [saved.index(n) for n in wanted]]


def collect(index, questions, mode: str, settings, dataset: int = 0, offset: int = 0, reader=None) -> Table:
    """Sentence rows for `questions` (qa.evaluation.questions.Question) asked of `index` in `mode`; `reader`
    (qa.answering.reader.Reader) reads the best READ_AT_FIT of them, so that shortlists up to that can be fitted."""
    feats, right, in_passage, qid, answerable, signals, kinds, ranks = [], [], [], [], [], [], [], []
    logits, spans, span_scores = [], [], []
    for n, q in enumerate(questions):
        found = candidates(q.question, index, POOL, mode, settings=settings)
        pool = [row for row, (i, _, _) in enumerate(found.sentences) if i < POOL]
        read = {}
        if reader is not None and pool:
            # The reader reads the shipped scorer's best READ_AT_FIT, and the best two of each passage:
            # any fold's shortlist is among them.
            p = load_scorers().sentence.probability(found.features)
            passages = np.array([i for i, _, _ in found.sentences], dtype=np.int64)
            rows = np.unique(
                np.r_[shortlist(p, np.array(pool), READ_AT_FIT), shortlist(p, np.array(pool), 2 * POOL, passages, 2)]
            )
            reading = reader.read(q.question, read_items(found.hits, found.sentences, rows))
            read = {int(r): (reading.logits[j], reading.spans[j], reading.span_scores[j]) for j, r in enumerate(rows)}
        for row in pool:
            i, a, b = found.sentences[row]
            p = found.hits[i].passage
            sentence = p.text[a - p.start : b - p.start]
            feats.append(found.features[row])
            right.append(bool(q.answers) and contains_answer(sentence, q.answers))
            in_passage.append(bool(q.answers) and contains_answer(p.text, q.answers))
            qid.append(offset + n)
            ranks.append(i)
            logit, (sa, sb), span_score = read.get(row, (UNREAD, (0, 0), NO_SPAN))
            logits.append(float(logit))
            span_scores.append(float(span_score))
            spans.append(bool(q.answers) and sb > sa and contains_answer(sentence[sa:sb], q.answers))
        answerable.append(q.answerable)
        signals.append(found.signals)
        kinds.append(KIND_NAMES.index(question_kind(q.question)))
    return Table(
        np.array(feats, dtype=np.float64).reshape(-1, len(SENTENCE_FEATURES)),
        np.array(right),
        np.array(in_passage),
        np.array(qid, dtype=np.int64),
        np.array(answerable),
        np.array(signals, dtype=np.float64).reshape(-1, len(QUESTION_SIGNALS)),
        np.full(len(questions), dataset, dtype=np.int64),
        np.array(logits, dtype=np.float64),
        np.array(span_scores, dtype=np.float64),
        np.array(spans, dtype=bool),
        np.array(kinds, dtype=np.int64),
        np.array(ranks, dtype=np.int64),
    )


def concat(tables: list[Table]) -> Table:
    return Table(*(np.concatenate([getattr(t, k) for t in tables]) for k in Table.__dataclass_fields__))


def _balanced(groups: np.ndarray) -> np.ndarray:
    """Sample weights that give every dataset the same total weight: squad-dev's 706 questions must not
    drown the seeds' kinds of question."""
    counts = np.bincount(groups).astype(np.float64)
    share = np.divide(len(groups) / np.count_nonzero(counts), counts, out=np.zeros_like(counts), where=counts > 0)
    return share[groups]


def _logistic(x: np.ndarray, y: np.ndarray, names, groups: np.ndarray) -> Logistic:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=C, max_iter=2000).fit((x - mean) / scale, y, sample_weight=_balanced(groups))
    return Logistic(tuple(names), mean, scale, model.coef_[0], float(model.intercept_[0]))


def _question_rows(t: Table, questions: np.ndarray, sentence: Logistic) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per question: its answerability features, whether its best sentence is right, and its passage."""
    p = sentence.probability(t.features) if len(t.features) else np.zeros(0)
    feats, right, passage = [], [], []
    for q in questions:
        rows = np.flatnonzero(t.question == q)
        if not len(rows):  # nothing retrieved: a question with no candidates
            feats.append(np.zeros(len(QUESTION_FEATURES)))
            right.append(False)
            passage.append(False)
            continue
        best, features = question_features(p[rows], t.features[rows], t.signals[q])
        feats.append(features)
        right.append(bool(t.right[rows[best]]))
        passage.append(bool(t.in_answer_passage[rows[best]]))
    return np.array(feats), np.array(right), np.array(passage)


def fit(t: Table, train: np.ndarray) -> tuple[Logistic, Logistic, float]:
    """Both scorers and the threshold, from the questions numbered in `train`."""
    # Which sentence answers is learned from the question sets that have answers (their unanswerable
    # questions included: every sentence of theirs is a wrong one); whether there is one, from all sets.
    with_answers = np.unique(t.dataset[t.answerable])
    rows = np.isin(t.question, train[np.isin(t.dataset[train], with_answers)])
    sentence = _logistic(t.features[rows], t.right[rows], SENTENCE_FEATURES, t.dataset[t.question[rows]])
    feats, _, _ = _question_rows(t, train, sentence)
    answerable = _logistic(feats, t.answerable[train], QUESTION_FEATURES, t.dataset[train])
    confidence = answerable.probability(feats)
    threshold = float(np.quantile(confidence[t.answerable[train]], FALSE_ABSTAIN))
    return sentence, answerable, threshold


def score(t: Table, test: np.ndarray, sentence: Logistic, answerable: Logistic, threshold: float) -> dict:
    """answer@1, hit@1 (the answer's passage first), abstain and false_abstain on the questions in `test`."""
    feats, right, passage = _question_rows(t, test, sentence)
    declined = answerable.probability(feats) < threshold if len(feats) else np.zeros(0, bool)
    yes = t.answerable[test]
    return {
        "answer@1": float(right[yes].mean()) if yes.any() else 0.0,
        "hit@1": float(passage[yes].mean()) if yes.any() else 0.0,
        "abstain": float(declined[~yes].mean()) if (~yes).any() else 0.0,
        "false_abstain": float(declined[yes].mean()) if yes.any() else 0.0,
    }


def cross_validate(t: Table, names: list[str]) -> dict:
    """Figures per dataset, each question scored by the fold that did not see it; and leave-one-dataset-out."""
    rng = np.random.default_rng(SEED)
    n = len(t.answerable)
    fold = rng.permutation(np.arange(n) % FOLDS)
    held: dict[int, dict] = {}
    for f in range(FOLDS):
        test, train = np.flatnonzero(fold == f), np.flatnonzero(fold != f)
        models = fit(t, train)
        for q in test:
            held[int(q)] = score(t, np.array([q]), *models)
    out = {}
    for d, name in enumerate(names):
        qs = np.flatnonzero(t.dataset == d)
        yes = t.answerable[qs]
        out[name] = {}
        if yes.any():
            out[name]["answer@1"] = _mean([held[q]["answer@1"] for q in qs[yes]])
            out[name]["hit@1"] = _mean([held[q]["hit@1"] for q in qs[yes]])
        if (~yes).any():
            out[name]["abstain"] = _mean([held[q]["abstain"] for q in qs[~yes]])
        if yes.any():
            out[name]["false_abstain"] = _mean([held[q]["false_abstain"] for q in qs[yes]])
        others = np.flatnonzero(t.dataset != d)
        if len(others):
            unseen = score(t, qs, *fit(t, others))
            out[name]["unseen_dataset"] = {k: round(unseen[k], 4) for k in out[name]}
    return out


def _mean(values) -> float:
    values = list(values)
    return round(float(np.mean(values)), 4) if values else 0.0
