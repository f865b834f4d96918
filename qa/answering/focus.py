"""Question focus: the question's rarest words ("Cheshire", "Dorset") matter more than its common ones ("PCC").

Each term of the question weighs its inverse document frequency in the passages. A passage's focus
coverage is the share of that weight it holds; a term with a known abbreviation counts as held when
the passage has the abbreviation or every word of its expansion. A term no passage holds at all
("Australia" asked of police reports) keeps its weight and lowers every passage's coverage: one of
the signals that the documents do not answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from qa.store.local.keyword import KeywordIndex, query_terms, terms

_ACRONYM = re.compile(r"\b[A-Z][A-Z&]{1,9}\b")


@dataclass(frozen=True)
class Focus:
    """The question's terms, their weights (summing to 1) and, per term, the rows that hold it."""

    terms: tuple[str, ...]
    weights: np.ndarray
    rows: tuple[np.ndarray, ...]
    spelled: tuple[tuple[str, ...], ...] = ()  # per term, its abbreviation's expansion (or nothing)

    def holds(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), terms) booleans: whether each row's passage holds each term.

        The postings are sorted, so a binary search per row and term does it, however long they are.
        """
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros((len(rows), len(self.terms)), dtype=bool)
        for j, holding in enumerate(self.rows):
            if len(holding):
                at = np.minimum(np.searchsorted(holding, rows), len(holding) - 1)
                out[:, j] = holding[at] == rows
        return out

    def coverage(self, rows: np.ndarray, held: np.ndarray | None = None) -> np.ndarray:
        """For each of `rows`, the weighted share of the question's terms its passage holds."""
        held = self.holds(rows) if held is None else held
        return (held @ self.weights).astype(np.float32)

    def heaviest_missing(self, rows: np.ndarray, held: np.ndarray | None = None) -> np.ndarray:
        """For each of `rows`, the weight of the heaviest question term its passage lacks (0 if none)."""
        held = self.holds(rows) if held is None else held
        return (~held * self.weights).max(axis=1, initial=0.0).astype(np.float32)

    def missing(self, rows: np.ndarray, held: np.ndarray | None = None) -> float:
        """The weighted share of the question's terms that none of `rows` holds."""
        held = self.holds(rows) if held is None else held
        return float(self.weights[~held.any(axis=0)].sum())

    def sentence_coverage(self, sentence_terms: set[str]) -> float:
        """The weighted share of the question's terms that a sentence (given by its terms) holds."""
        return float(
            sum(
                w
                for t, w, spelled in zip(self.terms, self.weights, self.spelled, strict=True)
                if t in sentence_terms or (spelled and sentence_terms.issuperset(spelled))
            )
        )


def question_focus(question: str, keyword: KeywordIndex, abbreviations: dict[str, str]) -> Focus:
    """The focus of `question` over the passages of `keyword`."""
    unique = list(dict.fromkeys(query_terms(question)))
    if not unique:
        return Focus((), np.zeros(0, dtype=np.float32), ())
    expansions = {}
    for m in _ACRONYM.finditer(question):
        if m.group() in abbreviations:
            found = terms(m.group())
            if found:
                expansions[found[0]] = terms(abbreviations[m.group()])
    rows = []
    for term in unique:
        holding = keyword.rows_with(term)
        if term in expansions and expansions[term]:
            spelled = [keyword.rows_with(t) for t in expansions[term]]
            every = spelled[0]
            for other in spelled[1:]:
                every = np.intersect1d(every, other)
            holding = np.union1d(holding, every)
        rows.append(holding)  # sorted: the postings are
    idf = np.array([keyword.idf(len(r)) for r in rows], dtype=np.float32)
    spelled = tuple(tuple(expansions.get(t, ())) for t in unique)
    return Focus(tuple(unique), idf / idf.sum(), tuple(rows), spelled)
