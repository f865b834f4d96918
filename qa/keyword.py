"""Keyword retrieval: BM25 (bm25s) over stemmed word tokens, saved as plain files in the index folder."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

FOLDER = "keyword"


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def stem_words(words: Sequence[str]) -> list[str]:
    return _stemmer().stemWords(list(words))


def _bm25s():
    import bm25s

    # bm25s sets its own logger to DEBUG, which prints its debug lines through any handler an
    # application installs; put it back to the default threshold.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


def tokenize(texts: Sequence[str]):
    bm25s = _bm25s()

    return bm25s.tokenize(list(texts), stopwords="en", stemmer=_stemmer(), show_progress=False)


class KeywordIndex:
    """BM25 over the passages; row i is passage i, as in the vector index."""

    def __init__(self, bm25, size: int):
        self.bm25 = bm25
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str]) -> KeywordIndex:
        bm25s = _bm25s()

        bm25 = bm25s.BM25()
        bm25.index(tokenize(texts), show_progress=False)
        return cls(bm25, len(texts))

    def save(self, folder: Path) -> None:
        self.bm25.save(str(folder / FOLDER), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> KeywordIndex:
        bm25s = _bm25s()

        bm25 = bm25s.BM25.load(str(folder / FOLDER), show_progress=False, verbosity=0)
        return cls(bm25, size)

    def search(self, question: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top-k (row, BM25 score) with a score above zero; `mask` (1 = allowed) restricts the rows."""
        tokens = tokenize([question])
        if not tokens.vocab or not len(tokens.ids[0]):
            return []  # nothing but stop words: BM25 has nothing to match
        k = min(k, self.size)
        rows, scores = self.bm25.retrieve(
            tokens, k=k, show_progress=False, weight_mask=None if mask is None else mask.astype(np.float32), n_threads=1
        )
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if s > 0]
