"""Answer types: what kind of answer a question asks for, whether a sentence holds one, and where.

Two tables, on purpose: a loose one that only says whether a sentence holds a date, a number or a
name (a small bonus when choosing the answer sentence), and a precise one that picks the part to put
in bold, kept to the question kinds where it measured right most of the time.
"""

from __future__ import annotations

import re

from qa.readers.layout import row_cells
from qa.text.terms import stem_words

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# Loose: what kind of answer a question asks for, and a pattern any sentence holding one matches.
_NUMBERS = r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|hundred|thousand|million|billion|dozen|half)\b"
_ANSWER_TYPES = [
    ("date", re.compile(r"^\s*(when|by when|in what year|what (year|date|day|month|time|century|decade))\b", re.I),
     re.compile(rf"\b(1[0-9]{{3}}|20[0-9]{{2}}|{_MONTHS}|\d+(st|nd|rd|th)\b|centur(y|ies)|today|yesterday|spring|summer|autumn|winter)", re.I)),
    ("amount", re.compile(r"^\s*how much\b|\b(cost|worth|value|budget|price)\b", re.I),
     re.compile(rf"[£$€]|{_NUMBERS}|\b(per cent|percent)\b", re.I)),
    ("number", re.compile(r"^\s*(how (many|long|old|far|often|large|big))\b", re.I),
     re.compile(rf"{_NUMBERS}|\b(monthly|weekly|daily|annual|yearly)\b", re.I)),
    # A person or a place is a name the question does not hold: qa.text.names tells those, not a pattern.
    ("person", re.compile(r"^\s*(who|whom|whose|who's)\b", re.I), None),
    ("place", re.compile(r"^\s*(where|from where|in which (country|city|region|county|town))\b", re.I), None),
]  # fmt: skip
_HOLDS = {name: holds for name, _, holds in _ANSWER_TYPES}


def asked_type(question: str) -> str | None:
    """The kind of answer `question` asks for (date, amount, number, person, place), or None."""
    return next((name for name, asks, _ in _ANSWER_TYPES if asks.search(question)), None)


def answer_type_match(kind: str | None, question: str, sentence: str) -> float:
    """1 when `sentence` holds a date, amount or number, as `kind` (the question's `asked_type`) asks, else 0.

    What the question itself says does not count: "How many ROCUs were inspected in 2015?" is not
    answered by a heading that says "2015".
    """
    holds = _HOLDS.get(kind)
    if holds is None:
        return 0.0
    lower = question.lower()
    return 1.0 if any(m.group().lower() not in lower for m in holds.finditer(sentence)) else 0.0


# Precise: where the answer stands in a sentence, for the question kinds that measured well.
_MONTH = rf"(?:{_MONTHS})"
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)"
# An era or a time before now after a year: "9000 BP", "44 BC", "7500 yr ago", "22,000 years ago".
_ERA = r"(?:\s*(?:BCE?|AD|CE|BP|(?:years?|yrs?|yr)\s+ago))"
_YEAR = rf"(?:\d{{1,3}}(?:,\d{{3}})+{_ERA}|\d{{1,5}}{_ERA}|\d{{3,4}}s?)"  # a bare year has 3-4 digits
_RANGE = r"\s*(?:-|–|to|and|until)\s*"
# A time of day: "19:30", "7.30 pm", "9am" (a bare "7.30" is a number, not a time).
_TIME = r"\d{1,2}:\d{2}(?:\s*[ap]\.?m\b\.?)?|\d{1,2}(?:\.\d{2})?\s*[ap]\.?m\b\.?"
_DATE = re.compile(
    rf"(?<![\w,])(?:{_TIME}|{_ORDINAL}\s+{_MONTH}(?:\s+\d{{4}})?|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?"
    rf"|{_MONTH}\s+{_ORDINAL}(?:,?\s+\d{{4}})?|{_MONTH}\s+\d{{1,2}}(?:,?\s+\d{{4}})?|{_MONTH}\s+\d{{4}}"
    rf"|\d{{4}}/\d{{2}}"
    # Centuries, alone or as a range: "13th century", "10th and 11th centuries", "11–13th century AD".
    rf"|(?:{_ORDINAL}|\d{{1,2}}){_RANGE}{_ORDINAL}\s+centur(?:y|ies)(?:\s+(?:BCE?|AD|CE))?"
    rf"|{_ORDINAL}\s+centur(?:y|ies)(?:\s+(?:BCE?|AD|CE))?"
    # Years, alone or as a range ("from 1421 to 1904"), with an era where one is written.
    rf"|(?:from\s+)?\d{{3,4}}{_RANGE}\d{{3,4}}|{_YEAR})(?![\w])"
)
_NUMBER_WORDS = r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred"
_AMOUNT = rf"(?:£|\$|€)?(?:\d[\d,]*(?:\.\d+)?|(?:{_NUMBER_WORDS}))(?:\s+(?:million|billion|thousand|hundred))?"
_NUMBER = re.compile(
    rf"(?:\b(?:more than|almost|about|over|nearly|around|some|all|between)\s+)?(?<![\w£$€]){_AMOUNT}"
    rf"(?:\s+(?:and|to)\s+{_AMOUNT})?(?:\s*(?:%|per cent|percent))?(?!\w)",
    re.I,
)

# What a question asks for, and where such an answer stands in a sentence.
_ASKS = [
    (re.compile(r"^\s*(?:when|in what year|(?:at )?what (?:year|date|day|month|time|century|decade))\b", re.I), _DATE),
    (re.compile(r"^\s*how many\b", re.I), _NUMBER),
]
# Measured with benchmarks-style runs on squad-dev and the seeds (see the README): spans for "when" and
# "how many" hold the answer most of the time; names for "who" and amounts for "how much/long/far" did
# not (under half), so those questions keep the whole sentence as their answer.
_WORD = re.compile(r"[A-Za-z0-9]+")
WINDOW = 4  # words either side of a candidate in which the question's words count
_COUNTED = re.compile(r"^\s*how (?:many|much)\s+((?:[A-Za-z-]+\s*){1,4})", re.I)
# Where the counted thing's words end: "How many [vulnerable people] did ...", "[firearms] were ...".
_COUNT_ENDS = {
    "did", "do", "does", "were", "was", "are", "is", "have", "has", "had", "can", "could", "will", "would",
    "in", "of", "per", "for", "from", "at", "on", "by", "with", "the", "a", "an", "this", "that", "there",
}  # fmt: skip
FOLLOWS = 3  # words after a number in which the counted thing must stand


_VALUE = re.compile(r"\b(?:values?|default|returns?|returned|result|output|prints?|printed|equals?|set to)\b", re.I)


def asks_value(question: str) -> bool:
    """Whether a question asks what a piece of code gives or holds ("What does it return?", "What is the
    default?"): only then may the part in bold come from inside a code block."""
    return bool(_VALUE.search(question))


def counted_words(question: str) -> set[str]:
    """Stems of what a "how many/much X" question counts ("vulnerable people" -> {vulner, peopl}); empty
    when it counts nothing named ("how much did it cost")."""
    counted = _COUNTED.match(question)
    if not counted:
        return set()
    words = []
    for word in counted.group(1).lower().split():
        if word in _COUNT_ENDS:
            break
        words.append(word)
    return set(stem_words(words))


def _column_of(sentence: str, at: int) -> set[str]:
    """Stems of the column name a value at `at` stands under in a table row as the readers write it
    ("Firearms: 97" in "Quarter: July to September; Firearms: 97"); empty elsewhere."""
    name = next((name for name, start, _ in row_cells(sentence) if start == at), "")
    if len(name.split()) > 6:
        return set()
    return set(stem_words(_WORD.findall(name.lower())))


def answer_span(question: str, sentence: str, question_words: set[str]) -> tuple[int, int] | None:
    """Offsets in `sentence` of the answer to `question`, when the question asks for a date, number or name.

    `question_words` are the question's stemmed content words. Of several candidates, the one with
    most of them close by wins ("5900" in "in 12 months (November 22-23) ... carried out more than 5900
    disruptions" for "how many disruptions did it carry out"). None when the question asks for no such
    thing or the sentence holds none: the whole sentence is then the answer.
    """
    pattern = next((p for asks, p in _ASKS if asks.search(question)), None)
    if pattern is None:
        return None
    words = [(m.start(), m.end()) for m in _WORD.finditer(sentence)]
    stems = stem_words([sentence[a:b].lower() for a, b in words])
    # "How many disruptions ..." counts disruptions: a number followed by that word is the answer, and
    # one followed by other things ("almost 300 vulnerable children" for "how many firearms") is not.
    units = counted_words(question) if pattern is _NUMBER else set()
    best, best_key = None, None
    for m in pattern.finditer(sentence):
        a, b = m.start(), m.end()
        inside = [i for i, (wa, wb) in enumerate(words) if wa >= a and wb <= b]
        if not inside or all(stems[i] in question_words for i in inside):
            continue  # a candidate made of the question's own words restates it
        lo, hi = inside[0], inside[-1]
        near = {stems[i] for i in range(max(0, lo - WINDOW), min(len(words), hi + WINDOW + 1))
                if not lo <= i <= hi and stems[i] in question_words}  # fmt: skip
        # ... or, in a table row ("Quarter: July to September; Firearms: 97"), names it as its column.
        # Only within its own cell: "1,310; Firearms: 97" does not count firearms with 1,310.
        cell_end = sentence.find("; ", b)
        cell_end = len(sentence) if cell_end < 0 else cell_end
        after = [stems[i] for i in range(hi + 1, min(len(words), hi + 1 + FOLLOWS)) if words[i][0] < cell_end]
        follows = bool(units & set(after)) or bool(units & _column_of(sentence, a))
        if units and not follows:
            continue
        key = (follows, len(near), -lo)  # the counted thing, then most question words nearby, then the earliest
        if best_key is None or key > best_key:
            best, best_key = (a, b), key
    return best
