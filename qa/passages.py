"""Splitting documents into passages that fit the model's window, on sentence boundaries, with offsets."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence

from qa.records import Document, Passage
from qa.sentences import paragraphs, sentences

# Counts the model's word pieces in each text, without special tokens.
TokenCounter = Callable[[Sequence[str]], list[int]]

_WORD = re.compile(r"\S+")


def _fit_long_sentence(text: str, span: tuple[int, int], count: TokenCounter, limit: int) -> list[tuple[int, int, int]]:
    """Cut a sentence longer than `limit` word pieces at word boundaries, so nothing is truncated."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, span[0], span[1])]
    sizes = count([text[a:b] for a, b in words])
    pieces, start, total, end = [], words[0][0], 0, words[0][1]
    for (a, b), n in zip(words, sizes, strict=True):
        if total and total + n > limit:
            pieces.append((start, end, total))
            start, total = a, 0
        total += n
        end = b
    pieces.append((start, end, total))
    return pieces


def split_passages(doc: Document, count: TokenCounter, target_tokens: int, overlap_sentences: int = 1) -> list[Passage]:
    """Pack whole sentences into passages of at most `target_tokens` word pieces.

    A passage repeats the last `overlap_sentences` sentences of the one before, so an answer that
    straddles a cut is still found whole. A new paragraph starts a new passage once the current one is
    half full, which keeps passages on one topic. Sentences longer than the target are cut at words.
    """
    text = doc.text
    para_starts = [a for a, _ in paragraphs(text)]
    spans = sentences(text)
    units: list[tuple[int, int, int]] = []  # (start, end, word pieces)
    for (a, b), n in zip(spans, count([text[a:b] for a, b in spans]), strict=True):
        units.extend(_fit_long_sentence(text, (a, b), count, target_tokens) if n > target_tokens else [(a, b, n)])

    def paragraph_of(offset: int) -> int:
        return bisect.bisect_right(para_starts, offset)

    passages: list[Passage] = []
    current: list[tuple[int, int, int]] = []

    def flush() -> None:
        if current:
            start, end = current[0][0], current[-1][1]
            passages.append(
                Passage(
                    doc_id=doc.id,
                    start=start,
                    end=end,
                    text=text[start:end],
                    paragraph=paragraph_of(start),
                    sentences=tuple((a, b) for a, b, _ in current),
                )
            )

    for unit in units:
        size = sum(n for _, _, n in current)
        new_paragraph = bool(current) and paragraph_of(unit[0]) != paragraph_of(current[-1][0])
        if current and (size + unit[2] > target_tokens or (new_paragraph and size >= target_tokens // 2)):
            flush()
            carried = current[-overlap_sentences:] if overlap_sentences and not new_paragraph else []
            # Only carry the overlap if it leaves room for new text.
            while carried and sum(n for _, _, n in carried) + unit[2] > target_tokens:
                carried = carried[1:]
            current = list(carried)
        current.append(unit)
    flush()
    return passages
