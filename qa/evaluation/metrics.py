"""Retrieval metrics as pure functions over plain lists and dicts, named by strings like "hit@5"."""

from __future__ import annotations

import math
import re
import string
from collections.abc import Iterable, Sequence

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation + "‘’“”…–—")


def normalize(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation, no articles, white space collapsed."""
    text = text.lower().translate(_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def contains_answer(text: str, answers: Iterable[str]) -> bool:
    """Whether `text` contains one of `answers`, both normalised (a plain substring test, as SQuAD's)."""
    haystack = normalize(text)
    return any(norm and norm in haystack for norm in map(normalize, answers))


def first_hit_rank(texts: Sequence[str], answers: Sequence[str]) -> int | None:
    """1-based rank of the first text that contains an answer, or None."""
    return next((rank for rank, text in enumerate(texts, 1) if contains_answer(text, answers)), None)


def hit_at_k(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None, k: int = 10) -> float:
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def ranked_unique(items: Iterable[str]) -> list[str]:
    """Items in order of first appearance: passages' documents become a document ranking."""
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


def ndcg_at_k(ranking: Sequence[str], relevant: dict[str, float], k: int = 10) -> float:
    """nDCG@k with graded relevance (gain = grade, discount = log2(rank + 1)), as BEIR computes it."""
    dcg = sum(relevant.get(doc, 0.0) / math.log2(rank + 1) for rank, doc in enumerate(ranking[:k], 1))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, 1))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranking: Sequence[str], relevant: dict[str, float], k: int) -> float:
    wanted = {doc for doc, g in relevant.items() if g > 0}
    return len(wanted & set(ranking[:k])) / len(wanted) if wanted else 0.0


def mrr_at_k(ranking: Sequence[str], relevant: dict[str, float], k: int = 10) -> float:
    rank = next((r for r, doc in enumerate(ranking[:k], 1) if relevant.get(doc, 0) > 0), None)
    return reciprocal_rank(rank, k)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation, as numpy's default."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0
