"""The document view beside the chat: a cited document opened at its passage, as safe HTML.

A PDF is shown as its cited page (qa.app.page_images), the answer sentence's boxes drawn over it, with
its text below; other formats as their text, with the page, section and paragraph marks a citation
names ("p. 3", "Water supply", "¶ 3"), so that the place on the card can be found in the view.
"""

from __future__ import annotations

from qa.app.page_images import page_image
from qa.app.render import readable_title, sentence_html, text
from qa.records import Document, Hit

EMPTY = '<div class="doc-empty">Choose a citation ([1], [2]…) in a reply to read it here, in its document.</div>'


def _marks(doc: Document) -> list[tuple[int, str]]:
    """(offset, label) where a page or, in a format without pages, a paragraph begins."""
    if doc.pages:
        return [(offset, f'<span class="page-mark">p. {number}</span>') for offset, number in doc.pages]
    marks, paragraph, at = [], 1, 0
    while at < len(doc.text):
        marks.append((at, f'<span class="para-mark">¶ {paragraph}</span>'))
        found = doc.text.find("\n\n", at)
        if found < 0:
            break
        at, paragraph = found + 2, paragraph + 1
        while at < len(doc.text) and doc.text[at] == "\n":
            at += 1
    return marks


def _document_text(doc: Document, marks: list[tuple[int, str]], start: int, end: int) -> str:
    """`doc.text[start:end]` as safe HTML, with each mark that falls in it."""
    out, at = [], start
    for offset, label in marks:
        if start <= offset < end:
            out += [text(doc.text[at:offset]), label]
            at = offset
    return "".join([*out, text(doc.text[at:end])])


def _page_html(doc: Document, hit: Hit, cited: str, page: int | None) -> str:
    """A page of the PDF as an image, the cited one by default with the answer sentence's boxes over it,
    with links to the pages either side and a zoom; "" when it cannot be drawn. `cited`: "R-N", the
    reply and citation the page links name (qa.app.chat.open_citation)."""
    first, _, _ = hit.passage.place(hit.answer_start, hit.answer_end)
    if first is None:
        return ""
    number = page or first
    image = page_image(doc.path, number, hit.answer_text if number == first else "")
    if image is None:
        return ""
    boxes = "".join(
        f'<div class="highlight" style="left:{x * 100:.2f}%;top:{y * 100:.2f}%;width:{w * 100:.2f}%;height:{h * 100:.2f}%"></div>'
        for x, y, w, h in image.boxes
    )
    pages = max((n for _, n in doc.pages), default=number)

    def link(to: int, label: str) -> str:
        if not cited or not 1 <= to <= pages:
            return f'<span class="page-link off">{label}</span>'
        return f'<a class="page-link" href="#page-{cited}-{to}">{label}</a>'

    note = (
        "cited page"
        if number == first
        else f'<a class="page-link" href="#page-{cited}-{first}">back to the cited page {first}</a>'
    )
    # A zoom without script: the box is a checkbox, the page's width follows it (page.py's CSS).
    zoom = '<label class="zoom"><input type="checkbox" class="zoom-toggle"> Zoom</label>'
    return (
        f'<div class="page-nav">{link(number - 1, "‹ Previous")} <span>Page {number} of {pages} · {note}</span> '
        f"{link(number + 1, 'Next ›')} {zoom}</div>"
        f'<div class="page-scroll"><div class="page-image" data-page="{image.number}"><img src="{image.data_url}" '
        f'alt="Page {image.number} of {text(doc.id)}">{boxes}</div></div>'
    )


def document_html(doc: Document, hit: Hit | None = None, cited: str = "", page: int | None = None) -> str:
    """The whole document, the cited passage and answer sentence highlighted; a PDF's cited page first, or
    its page `page`. `cited`: "R-N", the citation this is (for the page links)."""
    where = f" · cited: {text(hit.location)}" if hit is not None else ""
    head = (
        # On a phone the view is below the chat: a way back up to the answer (hidden on a desktop).
        '<a class="back-to-answer" href="#chat">↑ Back to the answer</a>'
        f'<div class="doc-title">{text(readable_title(doc.title, doc.text))}</div>'
        f'<div class="doc-id">{text(doc.id)}{where}</div>'
    )
    marks, n = _marks(doc), len(doc.text)
    if hit is None:
        return head + '<div class="doc-body">' + _document_text(doc, marks, 0, n).replace("\n\n", "<br><br>") + "</div>"
    p = hit.passage
    body = (
        _document_text(doc, marks, 0, p.start)
        + '<mark class="passage">'
        + _document_text(doc, marks, p.start, hit.answer_start)
        + "".join(label for offset, label in marks if offset == hit.answer_start)  # a page or ¶ it opens
        + f'<mark class="answer">{sentence_html(hit)}</mark>'
        + _document_text(doc, marks, hit.answer_end, p.end)
        + "</mark>"
        + _document_text(doc, marks, p.end, n)
    )
    # Line breaks rather than <p> elements: the highlight may span paragraphs, and a <mark> cannot.
    body = body.replace("\n\n", "<br><br>")
    drawn = _page_html(doc, hit, cited, page)
    if drawn:
        return (
            head
            + f'<div class="doc-body">{drawn}<details class="doc-text"><summary>The text of the document</summary>{body}</details></div>'
        )
    return head + f'<div class="doc-body">{body}</div>'
