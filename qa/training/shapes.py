"""Training candidates shaped like the product's documents, and near-topic questions they do not answer.

Training paragraphs are prose; the documents people index are not only prose. Their candidates
include the document's title and section headings, lead-in lines that end in a colon ("Jo Edwards
said:"), list items and table rows (flattened as qa.readers.layout.table_rows flattens them). A reader
that has never seen these rates a heading that repeats the question's words as its answer. So each
question also meets some of them, made from its own article, labelled by whether they hold the answer.

Near-topic questions: the question with a person, place, number or year swapped for another of the
same kind from the same article ("Who founded X in 1912?" -> "... in 1927?"). The sentence that answered
the original does not answer the new one: the right subject with the wrong name, count or year, the
kind of question people ask of documents that are almost, but not quite, about it.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

# A run of capitalised words ("Emily Spurrell", "North West Regional Organised Crime Unit"), allowing
# "of" and "the" inside it; not the first word of a sentence, which is capitalised anyway.
_NAME = re.compile(r"(?<![.!?]\s)(?<![\w'’-])(?<!^)[A-Z][\w'’-]+(?:\s+(?:of\s+|the\s+|de\s+|von\s+)?[A-Z][\w'’-]+)*")
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
# Counts and amounts worth swapping: two digits or more, not part of a date or code ("9/11", "A-10").
_NUMBER = re.compile(r"(?<![\w/.-])(?:\d{1,3}(?:,\d{3})+|\d{2,}(?:\.\d+)?)(?![\w/-])")
# Words that start questions or are capitalised for other reasons: never a name to swap.
_NOT_NAMES = {"what", "who", "when", "where", "which", "why", "how", "whose", "whom", "the", "in", "on", "i", "a", "an"}
# Column names a flattened table row might carry; what matters is the shape "Name: value; Name: value".
_HEADERS = ("Item", "Detail", "Response", "Notes", "Finding", "Area", "Description", "Outcome", "Status", "Comment")
# How a line that introduces what follows is commonly worded.
_LEAD_INS = ("{name} said:", "{name} commented:", "Comments from {name}:", "{name}:", "The report highlights:")


def names_in(text: str) -> list[str]:
    """Capitalised runs in `text` that are not a sentence's first word nor a question word."""
    found = (re.sub(r"['’]s$", "", m.group()) for m in _NAME.finditer(text))
    return [name for name in found if name.split()[0].lower() not in _NOT_NAMES]


def headings(title: str, rng: random.Random) -> list[str]:
    """Headings a document about `title` might carry: the title as a heading, in capitals, with a label."""
    forms = [
        title,
        title.upper(),
        f"{title}:",
        f"Response to the report on {title}",
        f"{title} comments/support;",
        f"Background to {title}",
    ]
    return rng.sample(forms, 2)


def lead_in(article_names: list[str], rng: random.Random) -> str:
    """A line that introduces a quote, with a name from the article."""
    name = rng.choice(article_names) if article_names else "The Commissioner"
    return rng.choice(_LEAD_INS).format(name=name)


def as_list_item(sentence: str, span: tuple[int, int]) -> tuple[str, tuple[int, int]]:
    """The sentence as a bullet point (no final full stop), with its answer span moved to match."""
    item = "• " + sentence.rstrip().rstrip(".")
    shift = 2
    if span[0] >= 0 and span[1] <= len(item) - shift:
        return item, (span[0] + shift, span[1] + shift)
    return item, (-1, -1) if span[0] < 0 else (span[0] + shift, min(span[1] + shift, len(item)))


def as_table_row(sentence: str, span: tuple[int, int], other: str, rng: random.Random) -> tuple[str, tuple[int, int]]:
    """The sentence as one cell of a flattened table row beside another cell, as table_rows writes it."""
    first, second = rng.sample(_HEADERS, 2)
    if rng.random() < 0.5:
        prefix = f"{first}: "
        row = f"{prefix}{sentence}; {second}: {other}"
    else:
        prefix = f"{first}: {other}; {second}: "
        row = prefix + sentence
    moved = (span[0] + len(prefix), span[1] + len(prefix)) if span[0] >= 0 else (-1, -1)
    return row, moved


@dataclass(frozen=True)
class Article:
    """What one article offers to swap into its questions, found once per article."""

    names: tuple[str, ...]
    years: tuple[str, ...]
    numbers: tuple[str, ...]

    @classmethod
    def of(cls, paragraphs: list[str]) -> Article:
        text = "\n\n".join(paragraphs)
        numbers = {n for n in _NUMBER.findall(text) if not _YEAR.fullmatch(n)}
        return cls(tuple(sorted(set(names_in(text)))), tuple(sorted(set(_YEAR.findall(text)))), tuple(sorted(numbers)))


def swapped_question(question: str, holds: str, article: Article, rng: random.Random) -> str | None:
    """The question with one of its names, years or numbers swapped for another of the same kind from
    `article`, such that what `holds` (the answer sentence with its context) says no longer answers it;
    None when the question has nothing to swap or the article nothing to swap it for."""
    lowered = holds.lower()
    choices = []
    for year in set(_YEAR.findall(question)):
        others = [y for y in article.years if y != year and y not in holds]
        if year in holds and others:
            choices.append((year, others))
    for number in {n for n in _NUMBER.findall(question) if not _YEAR.fullmatch(n)}:
        others = [n for n in article.numbers if n != number and n not in holds]
        if number in holds and others:
            choices.append((number, others))
    for name in set(names_in(question)):
        if name.lower() not in lowered:
            continue
        others = [n for n in article.names if n.lower() not in lowered and name.lower() not in n.lower()]
        if others:
            choices.append((name, others))
    if not choices:
        return None
    old, others = rng.choice(sorted(choices))
    return re.sub(rf"\b{re.escape(old)}\b", rng.choice(others), question, count=1)
