"""Retrieval modes behind one function: dense (vectors), keyword (BM25) and hybrid (both, fused)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import numpy as np

from qa.answering.focus import Focus, question_focus
from qa.errors import QAError
from qa.records import Hit, Passage
from qa.settings import Settings
from qa.store.local.keyword import KeywordIndex


class Store(Protocol):
    """What retrieval needs of an index, and all it needs: qa.store.local.index.Index is one; a remote vector
    engine behind the same few calls could be another."""

    vectors: object  # .search(query, k, rows, probes) -> {row: cosine}; .cosines(query, rows)
    keyword: KeywordIndex  # .search(question, k, mask); .rows_with(term); .idf(n); .size
    passages: Sequence[Passage]  # by row
    embedder: object  # .encode_query(text)
    abbreviations: dict[str, str]

    def rows_for(self, doc_ids: Iterable[str]) -> np.ndarray: ...

    def title(self, doc_id: str) -> str: ...


# How far down each list hybrid looks before fusing: enough that a passage ranked low by one
# method but high by the other is still seen.
CANDIDATES = 50


def fuse(dense: dict[int, float], keyword: dict[int, float], weight: float) -> dict[int, float]:
    """Convex-style fusion: the cosine keeps its meaning, BM25 (scaled to [0, 1]) breaks its ties.

    BM25 is scaled by the question's best BM25 score because raw BM25 grows with question length and
    corpus statistics; a passage missing from the keyword list scores 0 there.
    """
    top = max(keyword.values(), default=0.0)
    return {row: cos + (weight * keyword.get(row, 0.0) / top if top > 0 else 0.0) for row, cos in dense.items()}


def _cosines(index: Store, query: np.ndarray, rows: list[int]) -> dict[int, float]:
    return index.vectors.cosines(query, rows)


def _dense_top(index: Store, query: np.ndarray, k: int, rows: np.ndarray | None, probes: int) -> dict[int, float]:
    return index.vectors.search(query, k, rows, probes)


def _keyword_top(index: Store, question: str, k: int, rows: np.ndarray | None) -> dict[int, float]:
    mask = None
    if rows is not None:
        mask = np.zeros(len(index.passages), dtype=np.float32)
        mask[rows] = 1
    return dict(index.keyword.search(question, k, mask))


def dense(index: Store, question: str, query: np.ndarray, n: int, rows, settings) -> list[tuple[int, float, float]]:
    top = _dense_top(index, query, n, rows, settings.approximate_probes)
    return [(row, cos, cos) for row, cos in top.items()]


def keyword(index: Store, question: str, query: np.ndarray, n: int, rows, settings) -> list[tuple[int, float, float]]:
    top = _keyword_top(index, question, n, rows)
    cosines = _cosines(index, query, list(top))
    best = max(top.values(), default=0.0)
    # BM25 over the question's best BM25: in [0, 1] like the other modes, whatever the question's length.
    return [(row, score / best, cosines[row]) for row, score in top.items()]


def hybrid(index: Store, question: str, query: np.ndarray, n: int, rows, settings) -> list[tuple[int, float, float]]:
    dense_top = _dense_top(index, query, n, rows, settings.approximate_probes)
    keyword_top = _keyword_top(index, question, n, rows)
    cosines = {**dense_top, **_cosines(index, query, [r for r in keyword_top if r not in dense_top])}
    fused = fuse(cosines, keyword_top, settings.keyword_weight)
    return [(row, score, cosines[row]) for row, score in fused.items()]


# Every retrieval mode, by name: each returns (passage row, mode score, cosine) for its top n candidates.
MODES: dict[str, Callable] = {"dense": dense, "keyword": keyword, "hybrid": hybrid}


def search(
    index: Store,
    question: str,
    k: int,
    mode: str,
    doc_ids: Iterable[str] | None = None,
    settings: Settings = Settings(),
    query: np.ndarray | None = None,
    focus: Focus | None = None,
) -> list[Hit]:
    """The top-k hits for `question` in `mode`, best first; `doc_ids` restricts the documents searched.

    `query` is the question's vector, when the caller has it already. Each mode's candidates are
    re-ranked with the question's focus: a passage holding its rarest words ("Cheshire") gains
    `focus_weight` times the weighted share it holds, so one missing them ranks lower unless its
    meaning is clearly closer.
    """
    retrieve = MODES.get(mode)
    if retrieve is None:
        raise QAError(f"unknown retrieval mode {mode!r}: choose one of {', '.join(MODES)}")
    rows = None if doc_ids is None else index.rows_for(doc_ids)
    if rows is not None and not len(rows):
        return []
    query = index.embedder.encode_query(question) if query is None else query
    if focus is None:
        focus = question_focus(question, index.keyword, index.abbreviations)
    found = retrieve(index, question, query, max(CANDIDATES, 4 * k), rows, settings)
    if found and len(focus.terms):
        coverage = focus.coverage(np.array([row for row, _, _ in found]))
        found = [
            (row, score + settings.focus_weight * float(c), cos)
            for (row, score, cos), c in zip(found, coverage, strict=True)
        ]
    ranked = sorted(found, key=lambda t: -t[1])[:k]
    return [
        Hit(
            passage=index.passages[row],
            score=score,
            similarity=cos,
            title=index.title(index.passages[row].doc_id),
            rank=rank,
            row=row,
            collection=index.passages[row].collection,
        )
        for rank, (row, score, cos) in enumerate(ranked, start=1)
    ]
