"""Follow-up questions: what to search when a question leans on the one before it."""

from __future__ import annotations

import re

# Words that point back into the conversation: "When did *he* respond?", "What did *they* find?"
_REFERRING = frozenset(
    "he she it they him her his hers its their theirs them this that these those there then such "
    "former latter same".split()
)
_WORD = re.compile(r"[A-Za-z']+")


def is_follow_up(question: str) -> bool:
    words = [w.lower() for w in _WORD.findall(question)]
    return any(w in _REFERRING for w in words)


def contextualize(question: str, earlier: list[str]) -> str:
    """The text to search for `question`, given the earlier questions of the conversation.

    A question that refers back (a pronoun, "this", "there") is searched together with the question
    before it, so its subject is in the query; any other question stands alone.
    """
    if earlier and is_follow_up(question):
        return f"{earlier[-1]} {question}"
    return question
