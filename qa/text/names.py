"""Proper names, learned from the documents: capitalised words that the documents never write in lower case.

"Spurrell", "Keane", "Dorset" and "HMPPS" are names; "Police", "Crime" and "Unit" are not, because the
documents also write "police", "crime" and "unit". A sentence that holds a name the question does
not is where a "who", "which" or "where" answer usually stands.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

# A capitalised word that does not open a sentence (what precedes it is not a full stop or a line start).
_MID_SENTENCE = re.compile(r"(?<=[^.!?\n\s] )([A-Z][A-Za-z’'-]*[a-z][A-Za-z’'-]*|[A-Z]{2,8})\b")
_LOWER = re.compile(r"\b[a-z][a-z’'-]+\b")
_POSSESSIVE = re.compile(r"['’]s?$")
_TOKEN = re.compile(r"[A-Za-z’'-]+")


def tally(text: str) -> dict[str, Counter]:
    """What one document says about names, as counts that add up across documents: the capitalised
    words it uses mid-sentence, and the words it writes in lower case (each counted once a document)."""
    return {
        "capitalised": Counter({m.group(1) for m in _MID_SENTENCE.finditer(text)}),
        "lower": Counter(set(_LOWER.findall(text))),
    }


def from_tally(counts: dict[str, Counter]) -> list[str]:
    """The names, sorted, from the documents' summed `tally`."""
    lower = counts["lower"]
    return sorted(
        w for w, n in counts["capitalised"].items()
        if n > 0 and lower[w.lower()] <= 0 and lower[w.lower().rstrip("’'s")] <= 0
    )  # fmt: skip


def learn_names(texts: Iterable[str]) -> list[str]:
    """The names in `texts`, sorted: mid-sentence capitalised words never seen in lower case."""
    total = {"capitalised": Counter(), "lower": Counter()}
    for text in texts:
        for key, counts in tally(text).items():
            total[key].update(counts)
    return from_tally(total)


def words(text: str) -> tuple[str, ...]:
    """The words of `text` as `new_names` reads them, case kept."""
    return tuple(_TOKEN.findall(text))


# Capitalised words, alone or in runs joined by single spaces: "Rollo", "Jane Kennedy".
_RUN = re.compile(r"[A-Z][A-Za-z’'-]*(?: [A-Z][A-Za-z’'-]*)*")
_CALENDAR = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)


def new_person(sentence: str, question: set[str], names: frozenset[str]) -> float:
    """1 when `sentence` names someone `question` (its words in lower case) does not, else 0.

    A "who" answer is a name the documents use only as a name ("Keane"), not an acronym ("HMICFRS",
    "SOC"), not part of a date ("February 2022"), and not one of the question's words, counting its
    abbreviations spelled out: "Who is the PCC for Dorset?" is not answered by "a lead Force (Dorset)",
    nor by "POLICE AND CRIME COMMISSIONER". In all-capital text (a heading) a word counts when its
    title-case form is a name ("KEANE").
    """
    asked = {_POSSESSIVE.sub("", w) for w in question}
    for run in _RUN.finditer(sentence):
        tokens = [_POSSESSIVE.sub("", t) for t in run.group().split(" ")]
        lower = [t.lower() for t in tokens]
        if any(w in _CALENDAR for w in lower):
            continue
        # An acronym ("HMICFRS") is learned as itself; a name in capitals ("KEANE") as "Keane".
        for token, word in zip(tokens, lower, strict=True):
            if word not in asked and (token.title() in names or (token in names and not token.isupper())):
                return 1.0
    return 0.0


def new_names(sentence: str | tuple[str, ...], question: str | set[str], names: frozenset[str]) -> float:
    """1 when `sentence` (its text, or its `words`) holds a name that `question` (its text, or its words
    in lower case) does not, else 0. All-capitals text counts too."""
    asked = {w.lower() for w in _TOKEN.findall(question)} if isinstance(question, str) else question
    asked = {_POSSESSIVE.sub("", w) for w in asked}
    for word in words(sentence) if isinstance(sentence, str) else sentence:
        if _POSSESSIVE.sub("", word.lower()) in asked:
            continue  # "PCC's" is the question's "PCC"
        if word in names or (word.isupper() and word.title() in names):
            return 1.0
    return 0.0
