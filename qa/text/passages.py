"""Splitting documents into passages that fit the model's window, on sentence boundaries, with offsets."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence

from qa.records import Document, Passage
from qa.text.sentences import paragraphs, sentences

# Counts the model's word pieces in each text, without special tokens.
TokenCounter = Callable[[Sequence[str]], list[int]]

_WORD = re.compile(r"\S+")
# Longer runs without white space are cut: never more than about that many word pieces each.
_WORD_CHARS = 48
# The tokenizer reads any word over 100 characters as one unknown piece, so a file without spaces
# would be one short "sentence" of millions of characters. A span counts as at least one piece per
# this many characters: natural text has about 4.5; passages stay bounded in characters too.
_CHARS_PER_PIECE = 12


def _size(a: int, b: int, pieces: int) -> int:
    return max(pieces, (b - a) // _CHARS_PER_PIECE)


def section_paths(doc: Document) -> list[tuple[int, str]]:
    """(offset, path) where each section starts: the headings above it, outermost first, joined by " > ".

    The heading that repeats the document's title is left out: the title is in every passage's context.
    """
    out: list[tuple[int, str]] = []
    stack: list[tuple[int, str]] = []  # (level, text) of the open headings
    for offset, level, heading in doc.headings:
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading))
        out.append((offset, " > ".join(t for _, t in stack if t != doc.title)))
    return out


def context_of(title: str, section: str | None) -> str:
    """What is indexed beside a passage's own text: its document's title and its section heading."""
    return f"{title} > {section}" if section and section != title else title


def indexed_text(passage: Passage, title: str) -> str:
    """The text embedded and keyword-indexed for a passage: its context, then the passage itself."""
    return f"{context_of(title, passage.section)}\n\n{passage.text}"


def _fit_long_sentence(text: str, span: tuple[int, int], count: TokenCounter, limit: int) -> list[tuple[int, int, int]]:
    """Cut a sentence longer than `limit` word pieces at word boundaries, so nothing is truncated; a
    "word" longer than _WORD_CHARS (a file without spaces, a long URL) is cut every _WORD_CHARS. A code
    block (the one unit that keeps its lines) is cut between lines, never inside one that fits."""
    if "\n" in text[span[0] : span[1]]:
        return _fit_long_block(text, span, count, limit)
    words = [
        (a, min(a + _WORD_CHARS, m.end()))
        for m in _WORD.finditer(text, span[0], span[1])
        for a in range(m.start(), m.end(), _WORD_CHARS)
    ]
    sizes = [_size(a, b, n) for (a, b), n in zip(words, count([text[a:b] for a, b in words]), strict=True)]
    pieces, start, total, end = [], words[0][0], 0, words[0][1]
    for (a, b), n in zip(words, sizes, strict=True):
        if total and total + n > limit:
            pieces.append((start, end, total))
            start, total = a, 0
        total += n
        end = b
    pieces.append((start, end, total))
    return pieces


def _fit_long_block(text: str, span: tuple[int, int], count: TokenCounter, limit: int) -> list[tuple[int, int, int]]:
    """A code block longer than `limit` word pieces, cut between lines into pieces of at most `limit`."""
    lines, at = [], span[0]
    for line in text[span[0] : span[1]].split("\n"):
        lines.append((at, at + len(line)))
        at += len(line) + 1
    sizes = [_size(a, b, n) for (a, b), n in zip(lines, count([text[a:b] for a, b in lines]), strict=True)]
    pieces: list[tuple[int, int, int]] = []
    start, end, total = lines[0][0], lines[0][0], 0
    for (a, b), n in zip(lines, sizes, strict=True):
        if n > limit:  # one line alone over the limit: cut at words, as prose is
            if total:
                pieces.append((start, end, total))
            pieces += _fit_long_sentence(text, (a, b), count, limit)
            start, end, total = b + 1, b + 1, 0
            continue
        if total and total + n > limit:
            pieces.append((start, end, total))
            start, total = a, 0
        total += n
        end = b
    if total:
        pieces.append((start, end, total))
    return pieces


def split_passages(
    doc: Document,
    count: TokenCounter,
    target_tokens: int,
    overlap_sentences: int = 1,
    max_tokens: int | None = None,
) -> list[Passage]:
    """Pack whole sentences into passages of about `target_tokens` word pieces.

    A passage repeats the last `overlap_sentences` sentences of the one before, so an answer that
    straddles a cut is still found whole. A new paragraph starts a new passage once the current one is
    half full, which keeps passages on one topic. Sentences longer than the target are cut at words.

    A fragment under a quarter of the target (a heading, a signature line, a table label) is never a
    passage of its own: short texts score well on both retrieval paths for being short, not for
    answering. It joins its neighbours, up to `max_tokens` (the model's window less the context).
    """
    max_tokens = max(max_tokens or target_tokens, target_tokens)
    min_tokens = target_tokens // 4
    text = doc.text
    para_starts = [a for a, _ in paragraphs(text)]
    spans = sentences(text)
    units: list[tuple[int, int, int]] = []  # (start, end, word pieces)
    for (a, b), n in zip(spans, count([text[a:b] for a, b in spans]), strict=True):
        n = _size(a, b, n)
        units.extend(_fit_long_sentence(text, (a, b), count, target_tokens) if n > target_tokens else [(a, b, n)])

    def paragraph_of(offset: int) -> int:
        return bisect.bisect_right(para_starts, offset)

    sections = section_paths(doc)
    head_starts = [a for a, _ in sections]
    page_starts = [a for a, _ in doc.pages]

    def section_of(offset: int) -> str | None:
        i = bisect.bisect_right(head_starts, offset) - 1
        return (sections[i][1] or None) if i >= 0 else None

    def page_of(offset: int) -> int | None:
        i = bisect.bisect_right(page_starts, offset) - 1
        return doc.pages[max(i, 0)][1] if doc.pages else None

    passages: list[Passage] = []
    current: list[tuple[int, int, int]] = []

    def marks_in(start: int, end: int) -> tuple[tuple[int, int | None, str | None], ...]:
        """Where the page or the section changes inside (start, end), with what holds from there."""
        inside = sorted({a for a in head_starts + page_starts if start < a < end})
        return tuple((a, page_of(a), section_of(a)) for a in inside)

    def make(chosen: list[tuple[int, int, int]]) -> Passage:
        start, end = chosen[0][0], chosen[-1][1]
        return Passage(
            doc_id=doc.id,
            start=start,
            end=end,
            text=text[start:end],
            paragraph=paragraph_of(start),
            sentences=tuple((a, b) for a, b, _ in chosen),
            page=page_of(start),
            last_page=page_of(end - 1),
            section=section_of(start),
            marks=marks_in(start, end),
        )

    last_units: list[tuple[int, int, int]] = []

    def flush() -> None:
        nonlocal last_units
        if not current:
            return
        new = [u for u in current if not passages or u[0] >= passages[-1].end]
        grown = last_units + new
        if passages and sum(n for _, _, n in new) < min_tokens and sum(n for _, _, n in grown) <= max_tokens:
            passages[-1] = make(grown)  # a trailing fragment joins the passage before it
            last_units = grown
            return
        passages.append(make(current))
        last_units = list(current)

    heading_starts = set(head_starts)
    for unit in units:
        size = sum(n for _, _, n in current)
        new_paragraph = bool(current) and paragraph_of(unit[0]) != paragraph_of(current[-1][0])
        limit = target_tokens if size >= min_tokens else max_tokens  # a fragment takes what follows it
        # A heading opens a passage: the passage then starts with what its section is about.
        opens_section = unit[0] in heading_starts and size >= min_tokens
        if current and (
            size + unit[2] > limit or opens_section or (new_paragraph and size >= max(target_tokens // 2, min_tokens))
        ):
            flush()
            carried = current[-overlap_sentences:] if overlap_sentences and not new_paragraph else []
            # Only carry the overlap if it leaves room for new text.
            while carried and sum(n for _, _, n in carried) + unit[2] > target_tokens:
                carried = carried[1:]
            current = list(carried)
        current.append(unit)
    flush()
    return passages
