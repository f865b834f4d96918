"""Word .docx files, by python-docx: paragraphs and tables in order, heading styles as sections."""

from __future__ import annotations

import io
import re

from qa.errors import QAError
from qa.readers.layout import Extract, TextBuilder

_HEADING_STYLE = re.compile(r"Heading (\d)$")


def _cells(row) -> list[str]:
    """A row's cell texts; a merged cell, which python-docx repeats for each grid column, once."""
    out, seen = [], None
    for cell in row.cells:
        if cell._tc is not seen:
            out.append(" ".join(cell.text.split()))
        seen = cell._tc
    return out


def read_docx(data: bytes, name: str, progress: bool = False) -> Extract:
    """A .docx file: Heading 1-9 styles are sections, list styles items, each table row keeps its column names.

    The title is the document's Title property, else its paragraph in the Title style.
    """
    import docx
    from docx.table import Table

    if not data.startswith(b"PK"):  # a .docx is a zip archive, which starts so
        raise QAError(f"{name}: not a Word .docx file (it is not the zip archive a .docx is); skipped")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zipfile, KeyError and its own errors for the same cause
        raise QAError(f"{name}: damaged or not a Word .docx file ({type(exc).__name__}); skipped") from None
    builder = TextBuilder()
    title_style = None
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            rows = [_cells(row) for row in block.rows]
            if rows:
                builder.rows(rows[0], rows[1:])
            continue
        style = block.style.name if block.style is not None else ""
        heading = _HEADING_STYLE.match(style)
        if heading:
            builder.heading(block.text, int(heading.group(1)))
        elif style == "Title":
            title_style = title_style or " ".join(block.text.split()) or None
            builder.paragraph(block.text, plain=False)
        elif style.startswith("List"):
            builder.item(block.text)
        else:
            builder.paragraph(block.text)
    title = (document.core_properties.title or "").strip() or title_style
    # The last time someone saved it: a file made from a template keeps the template's creation date.
    properties = document.core_properties
    when = properties.modified or properties.created
    return builder.build(title=title, date=when.date().isoformat() if when else "")
