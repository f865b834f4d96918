"""Markdown (and what web pages become): headings as sections, markup removed, tables kept with their column names."""

from __future__ import annotations

from qa.readers.layout import Extract, TextBuilder
from qa.readers.plain import clean, decode


def _inline_text(token) -> str:
    """The words of an inline token: link and emphasis markup dropped, images by their alt text."""
    out = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            out.append(child.content)
    return "".join(out)


def build_markdown(source: str, builder: TextBuilder) -> str | None:
    """Add the paragraphs, headings, list items and table rows of `source` to `builder`; its first heading."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(source)
    first_heading = None
    lists = 0
    heading_level = 0
    table: list[list[str]] | None = None
    header: list[str] = []
    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            heading_level = int(token.tag[1])
        elif kind in ("bullet_list_open", "ordered_list_open"):
            lists += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists -= 1
        elif kind == "table_open":
            table, header = [], []
        elif kind == "tr_open" and table is not None:
            table.append([])
        elif kind == "thead_close" and table:
            header = table.pop()
        elif kind == "table_close" and table is not None:
            builder.rows(header, table)
            table = None
        elif kind == "inline":
            text = " ".join(_inline_text(token).split())
            if table is not None:
                table[-1].append(text)
            elif heading_level:
                builder.heading(text, heading_level)
                first_heading = first_heading or text
                heading_level = 0
            elif lists:
                builder.item(text)
            else:
                builder.paragraph(text)
        elif kind in ("fence", "code_block"):
            builder.code(token.content)  # a unit of its own that keeps its lines
        elif kind == "html_block":
            for paragraph in clean(token.content).split("\n\n"):
                builder.paragraph(paragraph)
    return first_heading


def read_markdown(data: bytes, name: str, progress: bool = False) -> Extract:
    """A .md file: `#` headings become sections (kept as text), the first one the title."""
    text, encoding = decode(data, name)
    builder = TextBuilder()
    title = build_markdown(text, builder)
    return builder.build(title=title, encoding=encoding)
