"""A PDF's cited page as the reader would see it: the page rendered to an image (pypdfium2), and the
boxes of the cited sentence on it, for the document view to draw over the image.

The index keeps the text pypdf read; PDFium reads the same page again to find where that text sits.
The two disagree on spaces, line-end hyphens and ligatures, so the sentence is found by its letters
and digits alone.
"""

from __future__ import annotations

import base64
import io
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qa.readers.layout import row_cells

log = logging.getLogger(__name__)

# Rendered width in pixels: sharp on a 500-700 px panel, about 100-250 KB a page as PNG.
WIDTH = 1000
_KEPT = re.compile(r"[^\W_]", re.UNICODE)
# Fewer letters than this in common are not taken for the sentence's part on a page.
MIN_LETTERS = 16


@dataclass(frozen=True)
class PageImage:
    """One rendered page: a PNG as a data URL, and boxes as fractions of the page (left, top, width, height)."""

    number: int  # 1-based
    data_url: str
    boxes: tuple[tuple[float, float, float, float], ...]


def _letters(text: str) -> tuple[str, list[int]]:
    """`text`'s letters and digits, lower-cased, and where each one is in `text`."""
    kept, where = [], []
    for i, ch in enumerate(text):
        if _KEPT.match(ch):
            kept.append(ch.lower())
            where.append(i)
    return "".join(kept), where


def _longest(haystack: str, needle: str, head: bool) -> int:
    """The length of the longest head (or tail) of `needle` found in `haystack` (binary search)."""
    low, high = 0, len(needle)
    while low < high:
        mid = (low + high + 1) // 2
        if haystack.find(needle[:mid] if head else needle[-mid:]) >= 0:
            low = mid
        else:
            high = mid - 1
    return low


def find_span(page_text: str, sentence: str) -> tuple[int, int] | None:
    """Where `sentence` is in `page_text` (start, end), matching letters and digits only. A sentence that
    runs from one page on to the next is found by its part on this page: its longest head, or tail,
    found here (at least MIN_LETTERS of it, or nothing)."""
    haystack, where = _letters(page_text)
    needle, _ = _letters(sentence)
    if not needle or not haystack:
        return None
    if haystack.find(needle) < 0:
        head, tail = _longest(haystack, needle, True), _longest(haystack, needle, False)
        if max(head, tail) < min(MIN_LETTERS, len(needle)):
            return None
        needle = needle[:head] if head >= tail else needle[-tail:]
    at = haystack.find(needle)
    return where[at], where[at + len(needle) - 1] + 1


def find_spans(page_text: str, sentence: str) -> list[tuple[int, int]]:
    """Where `sentence` is in `page_text`: one span (find_span), or for a table row, which is not on the
    page as written, each of its values where it stands, in order after the one before (a wrapped value
    by its first line). Nothing when fewer than half the values are found."""
    haystack, where = _letters(page_text)
    whole = _letters(sentence)[0]
    # A table row as the readers write it: "Quarter: July to September 2024; Tonnes: 401".
    values = [_letters(sentence[a:b])[0] for _, a, b in row_cells(sentence)] if "; " in sentence else []
    if not whole or haystack.find(whole) >= 0 or len(values) < 2:
        span = find_span(page_text, sentence)
        return [span] if span else []
    spans, at = [], 0
    for value in filter(None, values):
        found = haystack.find(value, at)
        length = len(value)
        if found < 0:  # a value that wraps is on the page in pieces: its first piece, if long enough
            length = _longest(haystack[at:], value, True)
            found = haystack.find(value[:length], at) if length >= min(4, len(value)) else -1
        if found >= 0:
            spans.append((where[found], where[found + length - 1] + 1))
            at = found + length
    return spans if 2 * len(spans) >= len(values) else []


@lru_cache(maxsize=32)
def _rendered(path: str, mtime: float, number: int) -> tuple[str, float, float]:
    """The page as a PNG data URL, and its size in points; cached per file version and page."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    try:
        page = document[number - 1]
        width, height = page.get_size()
        image = page.render(scale=WIDTH / width).to_pil()
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
    finally:
        document.close()
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"), width, height


def _boxes(path: str, number: int, sentence: str, width: float, height: float) -> tuple:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    try:
        textpage = document[number - 1].get_textpage()
        boxes = []
        for start, end in find_spans(textpage.get_text_range(), sentence):
            for i in range(textpage.count_rects(start, end - start)):
                left, bottom, right, top = textpage.get_rect(i)
                boxes.append((left / width, 1 - top / height, (right - left) / width, (top - bottom) / height))
        return tuple(boxes)
    finally:
        document.close()


def page_image(path: str, number: int, sentence: str = "") -> PageImage | None:
    """Page `number` of the PDF at `path`, with the boxes of `sentence` on it; None when the file is
    gone, not a PDF PDFium opens, or has no such page (the text view is shown instead)."""
    file = Path(path)
    if not path or file.suffix.lower() != ".pdf" or not file.is_file():
        return None
    try:
        data_url, width, height = _rendered(str(file), file.stat().st_mtime, number)
        boxes = _boxes(str(file), number, sentence, width, height) if sentence else ()
    except Exception as exc:  # PDFium refuses what pypdf read: the text view still shows the passage
        log.warning("%s: page %d could not be rendered (%s)", path, number, exc)
        return None
    return PageImage(number, data_url, boxes)
