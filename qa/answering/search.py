"""Retrieval modes behind one function: dense (vectors), keyword (BM25) and hybrid (both, fused)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from qa.answering.focus import Focus, question_focus
from qa.errors import QAError
from qa.records import Hit
from qa.settings import Settings
from qa.store.base import Store

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


def dense(index: Store, question: str, query: np.ndarray, n: int, doc_ids, settings) -> list[tuple[int, float, float]]:
    top = index.dense_top(query, n, doc_ids, settings.approximate_probes)
    return [(row, cos, cos) for row, cos in top.items()]


def keyword(
    index: Store, question: str, query: np.ndarray, n: int, doc_ids, settings
) -> list[tuple[int, float, float]]:
    top = index.keyword_top(question, n, doc_ids)
    cosines = index.cosines(query, list(top))
    best = max(top.values(), default=0.0)
    # BM25 over the question's best BM25: in [0, 1] like the other modes, whatever the question's length.
    return [(row, score / best, cosines[row]) for row, score in top.items()]


def hybrid(index: Store, question: str, query: np.ndarray, n: int, doc_ids, settings) -> list[tuple[int, float, float]]:
    dense_top = index.dense_top(query, n, doc_ids, settings.approximate_probes)
    keyword_top = index.keyword_top(question, n, doc_ids)
    cosines = {**dense_top, **index.cosines(query, [r for r in keyword_top if r not in dense_top])}
    fused = fuse(cosines, keyword_top, settings.keyword_weight)
    return [(row, score, cosines[row]) for row, score in fused.items()]


# Every retrieval mode, by name: each returns (passage row, mode score, cosine) for its top n candidates.
MODES: dict[str, Callable] = {"dense": dense, "keyword": keyword, "hybrid": hybrid}


def search(
    index: Store,
    question: str,
    k: int = 5,
    mode: str | None = None,
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
    mode = mode or settings.mode
    retrieve = MODES.get(mode)
    if retrieve is None:
        raise QAError(f"unknown retrieval mode {mode!r}: choose one of {', '.join(MODES)}")
    index.check()
    if doc_ids is not None:
        doc_ids = [d for d in dict.fromkeys(doc_ids) if d in index.documents]
        if not doc_ids:
            return []
    query = index.embedder.encode_query(question) if query is None else query
    if focus is None:
        focus = question_focus(question, index)
    found = retrieve(index, question, query, max(CANDIDATES, 4 * k), doc_ids, settings)
    if found and len(focus.terms):
        coverage = focus.coverage(np.array([row for row, _, _ in found]))
        found = [
            (row, score + settings.focus_weight * float(c), cos)
            for (row, score, cos), c in zip(found, coverage, strict=True)
        ]
    ranked = sorted(found, key=lambda t: -t[1])[:k]
    passages = index.passages_at([row for row, _, _ in ranked])
    return [
        Hit(
            passage=p,
            score=score,
            similarity=cos,
            title=index.title(p.doc_id),
            rank=rank,
            row=row,
            collection=p.collection,
        )
        for rank, ((row, score, cos), p) in enumerate(zip(ranked, passages, strict=True), start=1)
    ]
