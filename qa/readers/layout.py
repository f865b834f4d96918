"""What every reader returns, and the builder that assembles it paragraph by paragraph with offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A heading found by its shape (in formats that do not mark headings): a short paragraph that does not
# end like a sentence ("Background", "Chief Officer comments").
_HEADING_WORDS = 14
_SENTENCE_END = tuple(".!?:;,”\"'")
# Control characters (C0 but white space, DEL, C1): no reader lets them into a document's text, where
# they would reach terminals and pages. They become spaces.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Extract:
    """A file's readable text, paragraphs separated by one blank line, with its structure as offsets."""

    text: str
    headings: tuple[tuple[int, int, str], ...] = ()  # (offset, level, text), level 1 the highest
    pages: tuple[tuple[int, int], ...] = ()  # (offset, page number) where each page's text starts
    title: str | None = None  # the title the file declares (properties, <title>, first heading)
    encoding: str = ""  # of a text file, as detected
    warnings: tuple[str, ...] = ()  # parts that could not be read (a page that failed), for the log
    date: str = ""  # the date the file declares (PDF and Word properties, a page's metadata), ISO


def is_heading_shaped(paragraph: str) -> bool:
    return len(paragraph.split()) <= _HEADING_WORDS and not paragraph.endswith(_SENTENCE_END) and paragraph[:1] != "•"


def table_rows(header: list[str], rows: list[list[str]]) -> list[str]:
    """Each table row as one paragraph that keeps its column names: "Stage: Porthen to Greyhaven; Distance: 11.5 km"."""
    out = []
    for row in rows:
        if header and len(header) == len(row):
            cells = [f"{name}: {value}" if name else value for name, value in zip(header, row, strict=True) if value]
        else:
            cells = [value for value in row if value]
        if cells:
            out.append("; ".join(cells))
    return out


# A cell of such a row: its column name (up to 80 characters, no ";" or ":"), if any, then its value.
_CELL = re.compile(r"(?:^|(?<=; ))(?:([^;:]{1,80}):\s+)?([^;]+)")


def row_cells(text: str) -> list[tuple[str, int, int]]:
    """A row written by table_rows read back: (column name or "", start, end of the value) per cell.
    The answer's bold number and the page's highlight both read rows through this, so the form
    changes in one place."""
    return [(m.group(1) or "", m.start(2), m.end(2)) for m in _CELL.finditer(text)]


class TextBuilder:
    """Assembles a document's text one paragraph at a time, noting where headings and pages begin.

    Headings are kept as text (a reader sees them in the document) and recorded with their level. A
    format that marks no heading gets headings found by their shape, except in table rows and list items.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._headings: list[tuple[int, int, str]] = []
        self._pages: list[tuple[int, int]] = []
        self._page: int | None = None
        self._plain: list[tuple[int, str]] = []  # paragraphs that may be headings by their shape

    def page(self, number: int) -> None:
        """The text added next belongs to page `number`."""
        self._page = number

    def paragraph(self, text: str, joins: str | None = None, plain: bool = True, lines: bool = False) -> int | None:
        """Add a paragraph (white space collapsed; with `lines`, each line's), or with `joins` continue the
        last one after that separator (a sentence that a page break cut). Returns its offset, or None when
        it has no letter or digit."""
        if lines:
            text = "\n".join(kept for line in text.split("\n") if (kept := " ".join(CONTROL.sub(" ", line).split())))
        else:
            text = " ".join(CONTROL.sub(" ", text).split())
        if not any(ch.isalnum() for ch in text):
            return None
        if not self._parts:
            joins = None
        separator = joins if joins is not None else ("\n\n" if self._parts else "")
        offset = self._length + len(separator)
        if self._page is not None:
            self._pages.append((offset, self._page))
            self._page = None
        self._parts.append(separator + text)
        self._length = offset + len(text)
        if joins is None and plain:
            self._plain.append((offset, text))
        elif (
            joins is not None
            and self._plain
            and self._plain[-1][0] + len(self._plain[-1][1]) == offset - len(separator)
        ):
            start, before = self._plain[-1]
            self._plain[-1] = (start, before + separator + text)
        return offset

    def heading(self, text: str, level: int) -> None:
        offset = self.paragraph(text, plain=False)
        if offset is not None:
            self._headings.append((offset, level, " ".join(CONTROL.sub(" ", text).split())))

    def code(self, text: str) -> None:
        """A code block or preformatted text: one paragraph that keeps its lines (each line's indentation
        and blank lines go), which sentence splitting leaves whole (qa.text.sentences) and passages cut
        only between lines."""
        self.paragraph(text, plain=False, lines=True)

    def item(self, text: str) -> None:
        """A list item: a paragraph of its own, marked as one."""
        self.paragraph(f"• {text}", plain=False)

    def rows(self, header: list[str], rows: list[list[str]]) -> None:
        for row in table_rows(header, rows):
            self.paragraph(row, plain=False)

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def build(
        self, title: str | None = None, encoding: str = "", warnings: tuple[str, ...] = (), date: str = ""
    ) -> Extract:
        headings = self._headings
        if not headings:  # none marked: find them by shape; the document's last paragraph never is one
            plain = [(a, t) for a, t in self._plain if a + len(t) != self._length]
            headings = [(a, 1, t) for a, t in plain if is_heading_shaped(t)]
        return Extract(self.text, tuple(headings), tuple(self._pages), title, encoding, warnings, date)
