"""What the scorers read in a sentence or a question: content words, word pairs, terms, names, numbers.

Pure functions of text. A sentence's reading does not depend on the question, so it is kept
(`read_sentence` is cached): the top passages of one question are often those of the next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from qa.text.names import words as cased_words
from qa.text.terms import stem_words, terms

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an and are as at be by did do does for from had has have he her his how i in is it its of on or "
    "she that the their them they this to was were what when where which who whom whose why will with "
    "would you your".split()
)


def _stems(text: str) -> list[str]:
    """The stemmed content words of `text`, in order."""
    return stem_words([w for w in _WORD.findall(text.lower()) if w not in _STOP])


def content_words(text: str) -> set[str]:
    """Stemmed words that carry meaning: "supports" and "supported" count as one."""
    return set(_stems(text))


@dataclass(frozen=True)
class Reading:
    """What a sentence says, as the answer scorer reads it; the same whatever the question."""

    words: frozenset[str]  # content words (content_words)
    terms: frozenset[str]  # the keyword index's terms (qa.store.local.keyword.terms)
    length: int  # in words
    cased: tuple[str, ...]  # its words, case kept (for names)


@lru_cache(maxsize=1 << 16)
def read_sentence(sentence: str) -> Reading:
    """A sentence's reading."""
    stems = _stems(sentence)
    return Reading(
        frozenset(stems),
        frozenset(terms(sentence)),
        len(sentence.split()),
        cased_words(sentence),
    )


NUMBER = re.compile(r"\d[\d,./]*\d|\d")
_NAME = re.compile(r"(?<=\S )[A-Z][\w’'-]+|\b[A-Z]{2,}\b")


def question_names(question: str, names: frozenset[str]) -> list[str]:
    """The names a question mentions: capitalised words past its first, or words the documents use as names."""
    return sorted(
        {m.group().rstrip("’'s") or m.group() for m in _NAME.finditer(question)} | (set(question.split()) & names)
    )


def absent_share(items: list[str], texts: list[str], spelled: dict[str, str] | None = None) -> float:
    """The share of `items` that none of `texts` contains (case-insensitive), an abbreviation counting as
    present when its expansion is; 0 when there are no items."""
    if not items:
        return 0.0
    haystack = "\n".join(texts).lower()
    spelled = spelled or {}

    def present(item: str) -> bool:
        return item.lower() in haystack or (item in spelled and spelled[item].lower() in haystack)

    return sum(not present(item) for item in items) / len(items)
