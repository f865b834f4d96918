"""Terms: the stemmed, stop-word-free words that keyword search, the question's focus and the scorers
compare, and how rare a term is (BM25's inverse document frequency). Every store indexes these terms."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def stem_words(words: Sequence[str]) -> list[str]:
    return _stemmer().stemWords(list(words))


# bm25s's own token pattern and English stop words, so `terms` splits text as bm25s does (a test holds them equal).
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def terms(text: str, skip: frozenset[str] = frozenset()) -> list[str]:
    """The stemmed, stop-word-free terms of `text`, as the keyword index sees them; `skip` leaves out more.

    The same split as `qa.store.local.keyword.tokenize` (a test holds them equal), without its per-call set-up, which costs
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


def idf(rows_with_term: int, size: int) -> float:
    """BM25's inverse document frequency: rare terms weigh most; a term no passage holds, most of all."""
    return float(np.log(1 + (size - rows_with_term + 0.5) / (rows_with_term + 0.5)))
