"""Follow-up questions: which questions lean on the conversation, what to search for them, and the
conversation's turns.

A question is a follow-up only when it cannot stand alone: it points back ("When did *he* respond?",
"What were *the other* recommendations?", "*And* the South West?", "Why?"). Measured on
`seeds/followups.jsonl` (35 follow-ups, 35 standalone questions, each after a previous one) and on the
three-question conversations of `seeds/chains.jsonl` (`benchmarks/followups.py`): see the README for
the figures, and tests/test_conversation.py for the thresholds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from qa.answering.answers import answer
from qa.records import Answer
from qa.settings import Settings
from qa.store.base import Store
from qa.text.reading import question_names

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
# A pronoun deep inside a long question usually points at a noun in the same question ("When must
# chief constables review *their* capability?"); one at its very end points back ("... work in *it*?").
_SHORT_WORDS, _EARLY_WORDS, _LATE_WORDS = 7, 3, 1
# Past this many words a question says what it asks by itself (a pasted paragraph is no follow-up).
_LONG_WORDS = 30


def _may_lean(question: str) -> bool:
    """Whether a question the rule took to stand alone may still lean on the conversation: it is not
    long, and names nothing it asks about ("What is HMI Williams' first name?" stands alone)."""
    return len(_WORD.findall(question)) <= _LONG_WORDS and not question_names(question, frozenset())


def is_follow_up(question: str) -> bool:
    """Whether `question` cannot stand alone and leans on the conversation before it."""
    text = _DUMMY.sub(" ", question.strip())
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) > _LONG_WORDS:
        return False
    if len(_WORD.findall(question)) <= 2 or _CUES.search(text) or _THAT.search(text):
        return True
    return any(
        w in _REFERRING and (len(words) <= _SHORT_WORDS or i < _EARLY_WORDS or i >= len(words) - _LATE_WORDS)
        for i, w in enumerate(words)
    )


@dataclass(frozen=True)
class Turn:
    """One question of a conversation, and what was searched for it."""

    question: str
    searched: str  # the question itself, or the question with the conversation's subject

    @property
    def followed_up(self) -> bool:
        return self.searched != self.question


def subject(turns: list[Turn]) -> str | None:
    """The question that set the conversation's subject: the latest one that stood alone. Follow-ups
    after it all lean on it ("What did Merseyside's PCC say about funding?" - "And Cheshire?" - "And
    Wiltshire?"), not on each other."""
    return next((t.question for t in reversed(turns) if not t.followed_up), turns[-1].question if turns else None)


def contextualize(question: str, turns: list[Turn]) -> str:
    """The text to search for `question` in this conversation: a follow-up is searched together with the
    conversation's subject, so that what it points at is in the query; any other question stands alone."""
    if turns and is_follow_up(question):
        return f"{subject(turns)} {question}"
    return question


def ask(
    question: str,
    turns: list[Turn],
    index: Store,
    k: int | None = None,
    mode: str | None = None,
    doc_ids: Iterable[str] | None = None,
    settings: Settings = Settings(),
) -> tuple[Answer, Turn]:
    """The answer to `question` as the next turn of the conversation, and that turn.

    An earlier answer is not demoted: in documents this dense one sentence often answers two turns
    ("Which force supports that post?" - "Does it operate independently?"), and demoting it cost 3 of
    27 turns of seeds/chains.jsonl at half weight (benchmarks/followups.py). A question taken to stand alone that the documents do not answer is tried once more with the
    conversation's subject ("How much were the drugs worth?" after "What was Operation Blenheim?"),
    and kept so when that answers - unless it is long or names what it asks about ("What is HMI
    Williams' first name?"): such a question stands alone, and its context would only lend it a
    confident wrong answer.
    """
    searched = contextualize(question, turns)
    result = answer(question, index, k, mode, doc_ids, settings, search_text=searched)
    if result.abstained and turns and searched == question and _may_lean(question):
        leaning = f"{subject(turns)} {question}"
        again = answer(question, index, k, mode, doc_ids, settings, search_text=leaning)
        if not again.abstained:
            result, searched = again, leaning
    return result, Turn(question, searched)
