"""Keyword retrieval: BM25 (bm25s) over stemmed word tokens, saved as plain files in the index folder."""

from __future__ import annotations

import logging
import re
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


@lru_cache(maxsize=1)
def _bm25s():
    import bm25s

    # bm25s sets its own logger to DEBUG, which prints its debug lines through any handler an
    # application installs; put it back to the default threshold. Once: setLevel clears every
    # logger's cache, which costs more than a question's arithmetic.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


# bm25s's own token pattern and English stop words, so `terms` splits text as the index does.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def tokenize(texts: Sequence[str]):
    bm25s = _bm25s()

    return bm25s.tokenize(list(texts), stopwords="en", stemmer=_stemmer(), show_progress=False)


def terms(text: str, skip: frozenset[str] = frozenset()) -> list[str]:
    """The stemmed, stop-word-free terms of `text`, as the keyword index sees them; `skip` leaves out more.

    The same split as `tokenize` (a test holds them equal), without its per-call set-up, which costs
    more than the split itself for the few dozen sentences a question looks at.
    """
    stop = _stopwords()
    return stem_words([w for w in _TOKEN.findall(text.lower()) if w not in stop and w not in skip])


# Words that make a question a question: rare in documents, so BM25 would weigh "who" or "did" above
# what the question is about. They are left out of queries and of the question's focus.
QUESTION_WORDS = frozenset(
    "who whom whose what when where which why how did does do done was were has have had can could would "
    "should shall may might must am being been he she his her hers him its they them their theirs we our us "
    "you your i me my many much tell name according say said please about".split()
)


def query_terms(question: str) -> list[str]:
    """The terms of a question that say what it is about: `terms` without the question's own words."""
    return terms(question, QUESTION_WORDS)


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

    def rows_with(self, term: str) -> np.ndarray:
        """The rows whose text holds `term` (a stemmed term), from BM25's own postings: no scan."""
        token_id = self.bm25.vocab_dict.get(term)
        if token_id is None:
            return np.empty(0, dtype=np.int64)
        indptr = self.bm25.scores["indptr"]
        return np.asarray(self.bm25.scores["indices"][indptr[token_id] : indptr[token_id + 1]], dtype=np.int64)

    def idf(self, rows_with_term: int) -> float:
        """BM25's inverse document frequency: rare terms weigh most; a term no passage holds, most of all."""
        return float(np.log(1 + (self.size - rows_with_term + 0.5) / (rows_with_term + 0.5)))

    def search(self, question: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top-k (row, BM25 score) with a score above zero; `mask` (1 = allowed) restricts the rows."""
        ids = [self.bm25.vocab_dict[t] for t in query_terms(question) if t in self.bm25.vocab_dict]
        if not ids:
            return []  # nothing but stop words, or words no passage has: BM25 has nothing to match
        # bm25s's scores over every row, and our own top-k: its `retrieve` starts a thread pool and a
        # progress bar for each call, which cost more than the arithmetic of one question.
        scores = self.bm25.get_scores_from_ids(ids, weight_mask=None if mask is None else mask.astype(np.float32))
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(r), float(scores[r])) for r in top if scores[r] > 0]
