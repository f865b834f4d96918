"""Follow-up questions: which questions lean on the one before, and what to search for them.

A question is a follow-up only when it cannot stand alone: it points back ("When did *he* respond?",
"What were *the other* recommendations?", "*And* the South West?", "Why?"). Measured on
`seeds/followups.jsonl` (35 follow-ups, 35 standalone questions, each after a previous one): see the
README for the figure, and tests/test_conversation.py for the threshold.
"""

from __future__ import annotations

import re

# Words that point back into the conversation.
_REFERRING = frozenset("he she it they him her his hers its their theirs them this there then former latter".split())
# "It" and "there" that point at nothing: "Is it true that ...", "Is there a strategy ...".
_DUMMY = re.compile(
    r"^(?:is|was|are|were) (?:it|there)\b|^there (?:is|are|was|were)\b|\bit (?:is|was) (?:reported|said|claimed)\b"
    r"|\b(?:is it|it is) (?:true|the case|possible|likely)\b",
    re.I,
)
# Openings and words that only make sense after something else was said.
_CUES = re.compile(
    r"^(?:and|but|also|so)\b|^(?:what|how) about\b"
    r"|\b(?:else|other|others|the same|more|these|those|the (?:first|second|third|last|next|previous|former|latter) one)\b",
    re.I,
)
# "that" points back at the end of a question or before a verb ("When was that?", "that is ..."),
# not as a conjunction ("Is it true that Cheshire ...").
_THAT = re.compile(r"\bthat\s*[?.!]*$|\bthat (?:is|was|happen\w*|mean\w*|be)\b", re.I)
_WORD = re.compile(r"[A-Za-z']+")
# A pronoun deep inside a long question usually points at a noun in the same question
# ("When must chief constables review *their* capability?").
_SHORT_WORDS, _EARLY_WORDS = 7, 3


def is_follow_up(question: str) -> bool:
    """Whether `question` cannot stand alone and leans on the conversation before it."""
    text = _DUMMY.sub(" ", question.strip())
    words = [w.lower() for w in _WORD.findall(text)]
    if len(_WORD.findall(question)) <= 2 or _CUES.search(text) or _THAT.search(text):
        return True
    return any(w in _REFERRING and (len(words) <= _SHORT_WORDS or i < _EARLY_WORDS) for i, w in enumerate(words))


def contextualize(question: str, earlier: list[str]) -> str:
    """The text to search for `question`, given the earlier questions of the conversation: a follow-up is
    searched together with the question before it, so its subject is in the query; any other question
    stands alone."""
    if earlier and is_follow_up(question):
        return f"{earlier[-1]} {question}"
    return question


def was_followup(earlier: list[str]) -> bool:
    """Whether the last of the conversation's questions was searched with the ones before it."""
    return len(earlier) >= 2 and contextualize(earlier[-1], earlier[:-1]) != earlier[-1]
