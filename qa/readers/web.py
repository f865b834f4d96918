"""Web pages: the main text only (no script, style, navigation, cookie banners or footers), by trafilatura."""

from __future__ import annotations

import logging

from qa.errors import QAError
from qa.readers.layout import Extract, TextBuilder
from qa.readers.markdown import build_markdown
from qa.readers.plain import decode

# trafilatura logs every page it finds too short or unusual; a reader cannot act on those lines.
logging.getLogger("trafilatura").setLevel(logging.ERROR)


def read_html(data: bytes, name: str, progress: bool = False) -> Extract:
    """An .html or .htm page: trafilatura finds the main text and writes it as Markdown (headings as `#`),
    which the Markdown reader turns into sections; the title is the page's own (<title> or <h1>)."""
    import trafilatura

    page, encoding = decode(data, name)
    markdown = trafilatura.extract(
        page,
        output_format="markdown",
        include_tables=True,
        include_comments=False,
        include_links=False,
        include_images=False,
        favor_recall=True,  # a short page's only paragraph is its main text, not boilerplate
    )
    if not markdown:
        raise QAError(f"{name}: no main text found in the page; skipped")
    builder = TextBuilder()
    first_heading = build_markdown(markdown, builder)
    # Only the date the page declares (its metadata): not one guessed from dates its text mentions.
    metadata = trafilatura.extract_metadata(page, extensive=False)
    title = (metadata.title if metadata else None) or first_heading
    return builder.build(title=title, encoding=encoding, date=(metadata.date or "") if metadata else "")
