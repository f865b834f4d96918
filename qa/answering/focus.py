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

from qa.store.base import Group, Store, held
from qa.text.terms import idf, query_terms, terms

_ACRONYM = re.compile(r"\b[A-Z][A-Z&]{1,9}\b")


@dataclass(frozen=True)
class Focus:
    """The question's terms, their weights (summing to 1) and, per term, what a passage must hold to
    hold it (the term, or every word of its abbreviation's expansion); `store` says which passages do."""

    terms: tuple[str, ...]
    weights: np.ndarray
    groups: tuple[Group, ...] = ()
    store: Store | None = None

    def holds(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), terms) booleans: whether each row's passage holds each term (one store call)."""
        if not self.terms:
            return np.zeros((len(rows), 0), dtype=bool)
        return self.store.holding(self.groups, [int(r) for r in rows])

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
        return float(sum(w for g, w in zip(self.groups, self.weights, strict=True) if held(g, sentence_terms)))


def question_focus(question: str, store: Store) -> Focus:
    """The focus of `question` over the passages of `store` (one store call: how many passages hold each term)."""
    unique = list(dict.fromkeys(query_terms(question)))
    if not unique:
        return Focus((), np.zeros(0, dtype=np.float32))
    expansions = {}
    for m in _ACRONYM.finditer(question):
        if m.group() in store.abbreviations:
            found = terms(m.group())
            if found:
                expansions[found[0]] = terms(store.abbreviations[m.group()])
    groups = tuple(((t,), tuple(expansions[t])) if expansions.get(t) else ((t,),) for t in unique)
    weights = np.array([idf(n, store.size) for n in store.counts(groups)], dtype=np.float32)
    return Focus(tuple(unique), weights / weights.sum(), groups, store)
