"""Keyword retrieval: BM25 over stemmed word terms, from postings kept per segment of the index."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.store.local import arrays
from qa.text.terms import _stemmer, idf, query_terms, terms

FILE = "keyword.npz"


@lru_cache(maxsize=1)
def _bm25s():
    import bm25s

    # bm25s sets its own logger to DEBUG, which prints its debug lines through any handler an
    # application installs; put it back to the default threshold. Once: setLevel clears every
    # logger's cache, which costs more than a question's arithmetic.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


def tokenize(texts: Sequence[str]):
    bm25s = _bm25s()

    return bm25s.tokenize(list(texts), stopwords="en", stemmer=_stemmer(), show_progress=False)


def bm25s_index(texts: Sequence[str]):
    """bm25s's own BM25 over `texts`: the plain peer `qa eval --baseline` measures against."""
    bm25 = _bm25s().BM25()
    bm25.index(tokenize(texts), show_progress=False)
    return bm25


# bm25s's defaults (its "lucene" variant): with them the scores equal bm25s's over the same terms (tested).
K1, B = 1.5, 0.75


@dataclass(frozen=True)
class Postings:
    """The keyword index of one segment of passages: for each term, the rows holding it and how often;
    and each row's length in terms. Plain arrays, saved as one .npz; a segment never changes."""

    vocab: np.ndarray  # the terms (str)
    indptr: np.ndarray  # term i's postings are [indptr[i], indptr[i + 1])
    rows: np.ndarray  # int32 rows of the segment, by term
    tfs: np.ndarray  # float32 how often the term is in the row
    lengths: np.ndarray  # float32 terms per row

    @classmethod
    def build(cls, texts: Iterable[str]) -> Postings:
        builder = PostingsBuilder()
        builder.add(texts)
        return builder.finish()

    def save(self, path: Path) -> None:
        with path.open("wb") as f:
            np.savez(f, vocab=self.vocab, indptr=self.indptr, rows=self.rows, tfs=self.tfs, lengths=self.lengths)

    @classmethod
    def load(cls, path: Path) -> Postings:
        return cls(*arrays.load_all(path, ("vocab", "indptr", "rows", "tfs", "lengths")))


class PostingsBuilder:
    """Postings built a batch of texts at a time (a segment written while its documents are embedded)."""

    def __init__(self):
        self.vocab: dict[str, int] = {}
        self.term_ids: list[np.ndarray] = []
        self.rows: list[np.ndarray] = []
        self.tfs: list[np.ndarray] = []
        self.lengths: list[int] = []

    def add(self, texts: Iterable[str]) -> None:
        term_ids, rows, tfs = [], [], []
        for text in texts:
            found = terms(text)
            row = len(self.lengths)
            self.lengths.append(len(found))
            for term, n in Counter(found).items():
                term_ids.append(self.vocab.setdefault(term, len(self.vocab)))
                rows.append(row)
                tfs.append(n)
        self.term_ids.append(np.array(term_ids, np.int64))
        self.rows.append(np.array(rows, np.int32))
        self.tfs.append(np.array(tfs, np.float32))

    def finish(self) -> Postings:
        term_ids = np.concatenate([np.empty(0, np.int64), *self.term_ids])
        rows = np.concatenate([np.empty(0, np.int32), *self.rows])
        tfs = np.concatenate([np.empty(0, np.float32), *self.tfs])
        order = np.lexsort((rows, term_ids))
        counts = np.bincount(term_ids, minlength=len(self.vocab))
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        vocab = np.array(list(self.vocab), dtype=str)
        return Postings(vocab, indptr, rows[order], tfs[order], np.array(self.lengths, np.float32))


class KeywordIndex:
    """BM25 over the live passages of every segment; row i is passage i, as in the vector index.

    Scores are computed at question time from term frequencies, with the collection's statistics
    (passages, each term's passages, mean length) taken over the live passages only: adding or removing
    a document changes no stored file, and the scores equal those of an index built anew. Each segment
    keeps its own postings (nothing is merged when an index is opened); a question gathers its terms'
    postings from each. bm25s (which precomputes every score, so a change means building it again)
    remains the plain-BM25 peer of `qa eval`.
    """

    def __init__(self, segments: list[tuple[Postings, np.ndarray]], size: int):
        """`segments`: each segment's postings with the index row of each of its rows (-1: removed)."""
        self.size = size
        self.parts = []
        lengths = np.zeros(size, np.float32)
        for postings, where in segments:
            live = where >= 0
            lengths[where[live]] = postings.lengths[live]
            # Rows of a segment with nothing removed are its own rows moved up: no lookup needed.
            shift = int(where[0]) if len(where) and live.all() and where[-1] - where[0] == len(where) - 1 else None
            vocab = dict(zip(postings.vocab.tolist(), range(len(postings.vocab)), strict=True))
            self.parts.append((vocab, postings, where, shift))
        average = float(lengths.mean()) if size else 1.0
        # Each row's length part of BM25's denominator, once: a question only looks up its terms.
        self._norm = (K1 * (1 - B + B * lengths / max(average, 1e-9))).astype(np.float32)

    @classmethod
    def build(cls, texts: Sequence[str]) -> KeywordIndex:
        postings = Postings.build(texts)
        return cls([(postings, np.arange(len(postings.lengths)))], len(postings.lengths))

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The rows (sorted: segments hold consecutive rows) that hold `term`, and how often each does."""
        rows, tfs = [], []
        for vocab, postings, where, shift in self.parts:
            i = vocab.get(term)
            if i is None:
                continue
            a, b = postings.indptr[i], postings.indptr[i + 1]
            if shift is not None:
                rows.append(postings.rows[a:b].astype(np.int64) + shift)
                tfs.append(postings.tfs[a:b])
            else:
                at = where[postings.rows[a:b]]
                keep = at >= 0
                rows.append(at[keep])
                tfs.append(postings.tfs[a:b][keep])
        if not rows:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        return (rows[0], tfs[0]) if len(rows) == 1 else (np.concatenate(rows), np.concatenate(tfs))

    def rows_with(self, term: str) -> np.ndarray:
        """The rows whose text holds `term` (a stemmed term), sorted, from the postings: no scan."""
        return self.postings(term)[0]

    def idf(self, rows_with_term: int) -> float:
        return idf(rows_with_term, self.size)

    def scores(self, question: str) -> np.ndarray | None:
        """BM25 of every row for the question's terms (a term asked twice counts twice), or None when no
        term of it is in any live passage."""
        found = [self.postings(t) for t in query_terms(question)]
        found = [(rows, tf) for rows, tf in found if len(rows)]
        if not found:
            return None
        scores = np.zeros(self.size, np.float32)
        for rows, tf in found:
            scores[rows] += np.float32(self.idf(len(rows))) * tf / (tf + self._norm[rows])
        return scores

    def search(self, question: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top-k (row, BM25 score) with a score above zero; `mask` (1 = allowed) restricts the rows."""
        scores = self.scores(question)
        if scores is None:
            return []  # nothing but stop words, or words no passage has: BM25 has nothing to match
        if mask is not None:
            scores *= mask.astype(np.float32)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(r), float(scores[r])) for r in top if scores[r] > 0]
