"""Web pages: the main text only (no script, style, navigation, cookie banners or footers), by trafilatura."""

from __future__ import annotations

import logging
import re

from qa.errors import QAError
from qa.readers.layout import Extract, TextBuilder
from qa.readers.plain import decode

# trafilatura logs every page it finds too short or unusual; a reader cannot act on those lines.
logging.getLogger("trafilatura").setLevel(logging.ERROR)

# The marks documentation generators put after a heading to link to it (Sphinx's "¶", "#", a link sign).
_PERMALINK = re.compile(r"\s*[¶#§🔗]+\s*$")
# Where a page declares its date: these <meta> names and properties, nothing guessed from its text.
_DATE_META = (
    "date", "dc.date", "dc.date.issued", "dc.date.created", "dcterms.date", "dcterms.issued", "dcterms.created",
    "dcterms.modified", "article:published_time", "article:modified_time", "og:updated_time", "pubdate",
    "publish_date", "citation_publication_date", "citation_date", "last-modified",
)  # fmt: skip
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def without_permalink(heading: str) -> str:
    """A heading's text without the permalink mark a documentation generator appends to it."""
    return _PERMALINK.sub("", heading).strip()


def without_permalinks(tree) -> None:
    """Drop the links to a heading or term that documentation generators write as a mark ("¶" after
    every heading and API name in Sphinx pages), keeping the text around them."""
    for link in list(tree.iter("a")):
        if (link.get("href") or "").startswith("#") and _PERMALINK.fullmatch(link.text_content() or ""):
            link.drop_tree()


def declared_date(tree) -> str:
    """The date the page's <meta> tags declare, ISO (YYYY-MM-DD); "" when it declares none: a date
    quoted in its text (a sample log line, an example) is never the page's."""
    for meta in tree.iter("meta"):
        key = (meta.get("name") or meta.get("property") or meta.get("http-equiv") or "").strip().lower()
        if key in _DATE_META:
            found = _ISO_DATE.search(meta.get("content") or "")
            if found:
                return found.group()
    return ""


# trafilatura turns some preformatted blocks (a <pre> inside a list item or a quote) into a <quote> and
# folds its lines into one: each line end inside a <pre> is marked with this character (⏎, "return")
# first, so that the block comes back as code with its lines wherever trafilatura puts it.
LINE = "\u23ce"


def _mark_lines(tree) -> None:
    for pre in tree.iter("pre"):
        for node in pre.iter():
            if node.text:
                node.text = node.text.replace("\n", LINE)
            if node is not pre and node.tail:
                node.tail = node.tail.replace("\n", LINE)


def _text(element) -> str:
    return " ".join("".join(element.itertext()).replace(LINE, " ").split())


def _code(element) -> str:
    return "".join(element.itertext()).replace(LINE, "\n")


def _blocks(element, builder: TextBuilder, in_list: bool = False) -> str | None:
    """Add what `element` (trafilatura's XML) holds to `builder`, in order; its first heading."""
    first = None
    for child in element:
        tag = child.tag
        if tag == "head":
            level = int(child.get("rend", "h2")[1:] or 2) if child.get("rend", "").startswith("h") else 2
            heading = without_permalink(_text(child))
            builder.heading(heading, level)
            first = first or heading
        elif tag == "list":
            _list(child, builder)
        elif tag == "table":
            _table(child, builder)
        elif tag == "code" or LINE in "".join(child.itertext()):  # a code block: its lines kept, a unit of its own
            builder.code(_code(child))
        elif tag == "p" or tag == "quote" and not len(child):
            text = _text(child)
            builder.item(text) if in_list else builder.paragraph(text)
        else:  # a quote or division holding blocks of its own
            first = first or _blocks(child, builder, in_list)
    return first


def _is_block(element) -> bool:
    """A paragraph, list, table or quote, or a code block (it spans lines; inline code does not)."""
    lines = "".join(element.itertext())
    return element.tag in ("p", "list", "table", "quote") or element.tag == "code" and ("\n" in lines or LINE in lines)


def _list(element, builder: TextBuilder) -> None:
    """Items as bullets; an item holding paragraphs or lists of its own (a definition's body) adds them."""
    for item in element:
        if any(_is_block(c) for c in item):
            lead = " ".join((item.text or "").split())
            if lead:
                builder.item(lead)
            _blocks(item, builder, in_list=True)
        else:
            builder.item(_text(item))


def _table(element, builder: TextBuilder) -> None:
    header: list[str] = []
    rows: list[list[str]] = []
    for row in element.iter("row"):
        cells = [_text(cell) for cell in row.iter("cell")]
        if not header and not rows and all(cell.get("role") == "head" for cell in row.iter("cell")):
            header = cells
        else:
            rows.append(cells)
    builder.rows(header, rows)


def read_html(data: bytes, name: str, progress: bool = False) -> Extract:
    """An .html or .htm page: trafilatura finds the main text and gives it as XML with its structure:
    headings (h1-h6 only: never a paragraph taken for one), paragraphs, list items, tables with their
    column names, code blocks each a paragraph of its own. The title is the page's own (<title> or its
    first heading), the date only the one its <meta> tags declare; permalink marks ("¶") are dropped."""
    import trafilatura
    from lxml import etree, html

    page, encoding = decode(data, name)
    try:
        tree = html.fromstring(page)
    except (etree.ParserError, ValueError):
        raise QAError(f"{name}: no main text found in the page; skipped") from None
    without_permalinks(tree)
    _mark_lines(tree)
    xml = trafilatura.extract(
        tree,
        output_format="xml",
        include_tables=True,
        include_comments=False,
        include_links=False,
        include_images=False,
        include_formatting=True,
        favor_recall=True,  # a short page's only paragraph is its main text, not boilerplate
    )
    main = etree.fromstring(xml.encode("utf-8")).find("main") if xml else None
    if main is None or not _text(main):
        raise QAError(f"{name}: no main text found in the page; skipped")
    builder = TextBuilder()
    first_heading = _blocks(main, builder)
    metadata = trafilatura.extract_metadata(tree, extensive=False)
    title = (metadata.title if metadata else None) or first_heading
    return builder.build(title=without_permalink(title) if title else None, encoding=encoding, date=declared_date(tree))
