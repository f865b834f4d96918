"""PDF files, by pypdf: text page by page, each page's offset kept; running headers, footers and line-end hyphens cleaned."""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from pathlib import Path

from qa.errors import QAError
from qa.readers.layout import Extract, TextBuilder, is_heading_shaped
from qa.readers.pdf_tables import Table, layout_cells, two_columns_of_prose, with_tables

# pypdf warns about every odd object it works around, and the file is still read: those warnings stay
# quiet. What it logs while a page is read that means lost text is reported as that page's (_PageErrors).
_PYPDF = logging.getLogger("pypdf")

_MIN_CHARS_PER_PAGE = 2  # fewer letters and digits than this a page, on average: a scan with no text layer
_EDGE = 2  # lines at the top and at the bottom of a page where running headers and footers sit
_PAGE_NUMBER = re.compile(r"(?:page\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:of|/)\s*\d{1,4})?", re.I)
_HYPHENATED = re.compile(r"[A-Za-z]+-[A-Za-z]+")
_LINE_END_HYPHEN = re.compile(r"([A-Za-z]+)-$")
_ENDS_SENTENCE = tuple('.!?:;"”’)')
# Metadata titles that name the file or the tool, not the document.
_NO_TITLE = re.compile(
    r"^(?:microsoft (?:word|powerpoint) - .*|untitled.*|.*\.(?:docx?|pdf|rtf|odt|txt|indd|pptx?))$", re.I
)


class _PageErrors(logging.Handler):
    """What pypdf logs while pages are read, kept from the log. pypdf recovers from a content stream
    that does not decompress by reading it as nothing, with a warning from its filters: that page lost
    its text, and a reader needs to hear which page. Its other warnings are about objects it repaired."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.name.startswith("pypdf.filters"):
            self.messages.append(record.getMessage())

    def __enter__(self) -> _PageErrors:
        self._saved = _PYPDF.level, _PYPDF.propagate
        _PYPDF.setLevel(logging.WARNING)
        _PYPDF.propagate = False
        _PYPDF.addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        _PYPDF.removeHandler(self)
        _PYPDF.setLevel(self._saved[0])
        _PYPDF.propagate = self._saved[1]


def _page_lines(page) -> list[str | Table]:
    """A page's lines, blank ones kept (they separate paragraphs), and its tables in their place. Layout
    extraction keeps the vertical gaps between paragraphs and the columns of a table; on a page of prose
    in columns side by side it would interleave them, so plain extraction (content order) reads that page."""
    try:
        raw = page.extract_text(extraction_mode="layout").splitlines()
    except Exception:  # layout mode is the stricter of the two; plain may still read the page
        return [" ".join(line.split()) for line in page.extract_text().splitlines()]
    cells = layout_cells(raw)
    if two_columns_of_prose(cells):
        return [" ".join(line.split()) for line in page.extract_text().splitlines()]
    return with_tables(cells)


def _edges(lines: list[str | Table]) -> list[int]:
    filled = [i for i, line in enumerate(lines) if line and isinstance(line, str)]
    return filled[:_EDGE] + filled[_EDGE:][-_EDGE:]


def _edge_key(line: str) -> str:
    return re.sub(r"\d+", "#", line.lower())


def _strip_running(pages: list[list[str | Table]]) -> list[list[str | Table]]:
    """Drop the lines at the top or bottom of the pages that recur on at least half of them (with any
    number: "Annual report 2026 - page 3"), and lone page numbers there."""
    counts = Counter(key for lines in pages for key in {_edge_key(lines[i]) for i in _edges(lines)})
    with_text = sum(any(lines) for lines in pages)
    running = {key for key, n in counts.items() if n >= 3 and n >= with_text / 2}
    out = []
    for lines in pages:
        drop = {i for i in _edges(lines) if _edge_key(lines[i]) in running or _PAGE_NUMBER.fullmatch(lines[i])}
        out.append([line for i, line in enumerate(lines) if i not in drop])
    return out


def _join(lines: list[str], keep: set[str]) -> str:
    """The lines of a paragraph as one; a word hyphenated at a line end is made whole ("organ-" "isation"),
    unless the document writes it with its hyphen elsewhere ("well-known")."""
    text = lines[0]
    for line in lines[1:]:
        cut = _LINE_END_HYPHEN.search(text)
        if cut and line[:1].islower():
            whole = f"{cut.group(1)}-{re.match(r'[A-Za-z]*', line).group(0)}".lower()
            text = text + line if whole in keep else text[:-1] + line
        else:
            text = f"{text} {line}"
    return text


def _paragraphs(lines: list[str], width: int, keep: set[str]) -> list[str]:
    """A page's paragraphs: blocks between blank lines, split further after a short line that ends a
    sentence, and after a short first line shaped like a heading ("Chapter 2: Finance")."""
    out: list[str] = []
    current: list[str] = []
    for i, line in enumerate(lines):
        if line:
            current.append(line)
        following = lines[i + 1] if i + 1 < len(lines) else ""
        opens = following[:1].isupper() or following[:1].isdigit() or following[:1] in "•–-*("
        short = len(line) < 0.75 * width
        heading = len(current) == 1 and is_heading_shaped(line) and len(line) < 0.6 * width
        # A heading that wraps ("Greyhaven Harbour Annual" / "Review 2025"): its second line is short and
        # heading-shaped too, and the two are one heading (a title split in two made the second a section).
        wraps = heading and is_heading_shaped(f"{line} {following}") and len(following) < 0.6 * width
        heading = heading or (len(current) == 2 and is_heading_shaped(" ".join(current)) and len(line) < 0.6 * width)
        if current and (
            not following or (opens and short and not wraps and (heading or line.endswith(_ENDS_SENTENCE)))
        ):
            out.append(_join(current, keep))
            current = []
    return out


def _text_of(line: str | Table) -> str:
    return line if isinstance(line, str) else " ".join(" ".join(row) for row in [line.header, *line.rows])


def _parts(lines: list[str | Table], width: int, keep: set[str]) -> list[str | Table]:
    """A page's paragraphs and tables, in order."""
    out: list[str | Table] = []
    run: list[str] = []
    for line in [*lines, None]:
        if isinstance(line, str):
            run.append(line)
            continue
        out += _paragraphs(run, width, keep)
        run = []
        if line is not None:
            out.append(line)
    return out


def _date(reader) -> str:
    """The creation date in the file's information dictionary, if it has a readable one."""
    try:
        created = (reader.metadata or {}).creation_date if reader.metadata is not None else None
    except Exception:  # an unparseable date string: the date is unknown, not the file unreadable
        return ""
    return created.date().isoformat() if created else ""


def _title(reader) -> str | None:
    try:
        title = " ".join(str((reader.metadata or {}).get("/Title") or "").split())
    except Exception:  # a damaged information dictionary: the text gives the title
        return None
    return title if title and not _NO_TITLE.match(title) else None


def _open(data: bytes, name: str):
    from pypdf import PdfReader

    # A PDF says so in its first bytes (readers allow some bytes before it): anything else is another
    # kind of file named .pdf, not a damaged PDF.
    if b"%PDF-" not in data[:1024]:
        raise QAError(f"{name}: not a PDF file (it does not begin as a PDF does); skipped")

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _opens_without_password(reader):
            raise QAError(f"{name}: encrypted (it needs a password); save a copy without one to index it")
        len(reader.pages)  # a damaged page tree fails here, not halfway through
    except QAError:
        raise
    except Exception as exc:  # pypdf raises many kinds for a truncated or corrupt file
        raise QAError(f"{name}: damaged PDF ({type(exc).__name__}: {exc}); skipped") from None
    return reader


def _read_pages(reader, name: str, progress: bool) -> tuple[list[list[str]], list[str]]:
    """Each page's lines, one page at a time; a page that fails or loses text is reported by number."""
    from tqdm.auto import tqdm

    texts, warnings = [], []
    count = len(reader.pages)
    with _PageErrors() as errors:
        bar = tqdm(range(count), desc=Path(name).name, unit="page", leave=False, disable=not progress or count < 10)
        for number in bar:
            errors.messages.clear()
            try:
                texts.append(_page_lines(reader.pages[number]))
            except Exception as exc:
                warnings.append(f"{name}: page {number + 1} could not be read ({type(exc).__name__}); skipped")
                texts.append([])
                continue
            if errors.messages:
                warnings.append(f"{name}: page {number + 1} is damaged, its text may be missing ({errors.messages[0]})")
    return texts, warnings


def read_pdf(data: bytes, name: str, progress: bool = False) -> Extract:
    """A .pdf file: the text of each page, a page that fails reported and skipped, never the whole file."""
    with _PageErrors():  # pypdf's notes on objects it repaired while opening stay out of the log
        reader = _open(data, name)
        title, date = _title(reader), _date(reader)
    texts, warnings = _read_pages(reader, name, progress)
    letters = sum(ch.isalnum() for lines in texts for line in lines for ch in _text_of(line))
    if letters < _MIN_CHARS_PER_PAGE * len(texts):
        raise QAError(f"{name}: no text layer (scanned?); run OCR on it (e.g. ocrmypdf) and index the result")
    texts = _strip_running(texts)
    all_lines = [line for lines in texts for line in lines if line and isinstance(line, str)]
    keep = {m.group(0).lower() for line in all_lines for m in _HYPHENATED.finditer(line[:-1])}
    lengths = sorted(len(line) for line in all_lines)
    width = lengths[int(0.9 * (len(lengths) - 1))]  # a full line: most lines of a page are full

    builder = TextBuilder()
    last = ""
    for number, lines in enumerate(texts, start=1):
        first = True
        for part in _parts(lines, width, keep):
            if first:
                builder.page(number)
            if isinstance(part, Table):
                builder.rows(part.header, part.rows)
                last = ""
            else:
                joins = None
                if first and last and not last.endswith(_ENDS_SENTENCE) and part[:1].islower():
                    joins = " "  # a sentence the page break cut: one paragraph, the page mark inside it
                builder.paragraph(part, joins=joins)
                last = part
            first = False
    return builder.build(title=title, warnings=tuple(warnings), date=date)


def _opens_without_password(reader) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:  # an encryption pypdf cannot undo without the cryptography package
        return False
