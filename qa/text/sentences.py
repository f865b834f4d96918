"""Sentence and paragraph boundaries as character offsets, aware of abbreviations and numbers."""

from __future__ import annotations

import re

# Abbreviations after which a full stop never ends a sentence (a capital usually follows them).
_ALWAYS = {
    "mr", "mrs", "ms", "dr", "prof", "rev", "hon", "st", "mt", "ft", "sr", "jr", "gen", "col", "lt",
    "sgt", "capt", "cllr", "insp", "supt", "no", "nos", "vol", "fig", "approx", "dept", "est", "ch",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}  # fmt: skip
# Abbreviations that end a sentence only when a capitalised word follows ("at 5 p.m. The next").
_SOMETIMES = {"etc", "vs", "co", "ltd", "inc", "plc", "al", "cf", "ca"}
# After a dotted acronym ("U.K.") a capital is often a name ("U.K. Government"); these words start
# sentences far more often than they continue a name.
_STARTERS = {"the", "a", "an", "it", "this", "that", "these", "those", "they", "we", "he", "she", "i", "in", "but", "and", "however", "there"}  # fmt: skip

# A candidate end: terminal punctuation, closing quotes or brackets, then white space.
_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_WORD_BEFORE = re.compile(r"(\S+)$")
_WORD_WINDOW = 40
_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*")


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Offsets of the paragraphs of `text` (blocks separated by blank lines)."""
    return [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text) if m.group().strip()]


def _is_boundary(text: str, end: int, after: int) -> bool:
    """Whether the punctuation run ending at `end` closes a sentence; `after` is the next word's start."""
    nxt = text[after : after + 1]
    if not nxt or not (nxt.isupper() or nxt.isdigit() or nxt in "\"'“‘(["):
        return False  # "e.g. the", "p.m. on Tuesday": the sentence goes on
    if text[end - 1] in "!?…\"'”’)]":
        return True
    # Only the word before matters: searching from the text's start made splitting quadratic (a
    # 100-page PDF spent longer here than in the model). No abbreviation is longer than the window.
    word = _WORD_BEFORE.search(text, max(0, end - 1 - _WORD_WINDOW), end - 1)
    token = word.group(1).lstrip("\"'“‘([") if word else ""
    bare = token.rstrip(".").lower()
    if bare in _ALWAYS or (len(bare) == 1 and bare.isalpha()):
        return False  # "Mt. Everest", initials as in "D. Keane"
    if "." in bare:  # a dotted acronym: "U.K. The ..." ends; "U.K. Government", "U.K. 2020" do not
        next_word = re.match(r"[A-Za-z]+", text[after : after + 12])
        return bool(next_word) and next_word.group().lower() in _STARTERS
    if bare in _SOMETIMES:
        return nxt.isupper() or nxt in "\"'“‘(["
    return True


def code_start(unit: str) -> int | None:
    """Where the code block in a unit of text begins, None when it holds none. Code blocks are the only
    paragraphs that keep their lines (qa.readers.layout); a lead-in run on into the block it introduces
    ("Loop over the file:" then the code) holds a blank line, and its last paragraph is the code."""
    at = unit.rfind("\n\n")
    at = 0 if at < 0 else at + 2
    return at if "\n" in unit[at:].strip() else None


def is_code(unit: str) -> bool:
    return code_start(unit) is not None


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Offsets of the sentences of text[start:end], trimmed of white space, never crossing a paragraph."""
    end = len(text) if end is None else end
    spans = []
    for p_start, p_end in paragraphs(text[start:end]):
        p_start, p_end = p_start + start, p_end + start
        if "\n" in text[p_start:p_end]:
            # Only a code block keeps lines inside a paragraph (qa.readers.layout): it is one unit, never
            # cut at a full stop in the middle of `logging.info("Done. Next")`.
            spans.append((p_start, p_end))
            continue
        s = p_start
        for m in _END.finditer(text, p_start, p_end):
            after = m.end()
            while after < p_end and text[after].isspace():
                after += 1
            if after < p_end and _is_boundary(text, m.end(), after):
                spans.append((s, m.end()))
                s = after
        spans.append((s, p_end))
    return [(a, b) for a, b in (_trim(text, a, b) for a, b in spans) if b > a]


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b
