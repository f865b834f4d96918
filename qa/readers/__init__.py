"""One reader per file format, chosen by suffix; each returns an Extract (text, headings, pages, title).

The list of supported suffixes comes from this table: the CLI's help, the upload box and the
"unsupported format" message all read it. Readers import their libraries when first used, so that
`qa --help` stays instant.
"""

from __future__ import annotations

from collections.abc import Callable

from qa.readers.layout import Extract
from qa.readers.markdown import read_markdown
from qa.readers.pdf import read_pdf
from qa.readers.plain import read_plain
from qa.readers.web import read_html
from qa.readers.word import read_docx

Reader = Callable[..., Extract]  # (data: bytes, name: str, progress: bool = False) -> Extract

READERS: dict[str, Reader] = {
    ".txt": read_plain,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".pdf": read_pdf,
    ".docx": read_docx,
    ".html": read_html,
    ".htm": read_html,
}

__all__ = ["READERS", "Extract", "Reader"]
