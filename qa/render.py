"""Answers and documents as safe HTML and Markdown for the app: document text is always shown as text."""

from __future__ import annotations

from qa.records import Answer, Document, Hit

PREVIEW_CHARS = 180

# Markdown and LaTeX characters as HTML entities: the chat renders Markdown, and a document's
# "*", "_", "[x](...)" or "$" must show as typed. Entities read the same inside HTML blocks too.
_ENTITIES = str.maketrans(
    {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~$"}
    | {"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#x27;"}
)


def text(value: str) -> str:
    """Any text from a document or a user, escaped for both HTML and Markdown."""
    return value.translate(_ENTITIES)


def where(hit: Hit) -> str:
    return f"{text(hit.passage.doc_id)} · {text(hit.location)}"


def sentence_html(hit: Hit) -> str:
    """The answer sentence, with the part that answers in bold when it is narrower than the sentence."""
    if not hit.narrow_span:
        return text(hit.answer_text)
    full, a, b = hit.answer_text, hit.span_start - hit.answer_start, hit.span_end - hit.answer_start
    return f"{text(full[:a])}<strong>{text(full[a:b])}</strong>{text(full[b:])}"


def passage_html(hit: Hit) -> str:
    """The passage with its answer sentence highlighted; paragraphs kept."""
    p = hit.passage
    a, b = hit.answer_start - p.start, hit.answer_end - p.start
    body = f"{text(p.text[:a])}<mark>{sentence_html(hit)}</mark>{text(p.text[b:])}"
    return body.replace("\n\n", "<br><br>")


def reply_markdown(answer: Answer, searched: str | None = None) -> str:
    """The chat reply: the answer sentence first, then a citation for each passage.

    `searched` is shown when it is not the question itself (a follow-up searched with its context).
    """
    lines = []
    if searched and searched.strip() != answer.question:
        lines += [f"*Searched:* “{text(searched)}”", ""]
    best = answer.best
    if best is None:
        return "\n".join(lines + ["No passages to show: the collection is empty or every document is filtered out."])
    if answer.abstained:
        lines += [
            "**Not in the documents.** They do not seem to answer this "
            f"(confidence {answer.confidence:.2f}). The closest passages are below, for what they are worth.",
            "",
        ]
    else:
        quote = f"“{sentence_html(best)}”" if best.narrow_span else f"<strong>“{text(best.answer_text)}”</strong>"
        lines += [
            f"> {quote}",
            f"> — {text(best.title)} ({where(best)})",
            "",
            f"*Confidence: {answer.confidence_words} ({answer.confidence:.2f})*",
            "",
        ]
    lines += ["**Closest passages (low confidence)**" if answer.abstained else "**Citations**", ""]
    for hit in answer.hits:
        preview = " ".join(hit.passage.text.split())
        if len(preview) > PREVIEW_CHARS:
            preview = preview[:PREVIEW_CHARS].rsplit(" ", 1)[0] + "…"
        lines.append(
            f"{hit.rank}. **{text(hit.title)}** · {where(hit)} · match {hit.answer_score:.2f}\n"
            f'<details><summary>{text(preview)}</summary><div class="passage">{passage_html(hit)}</div></details>'
        )
    return "\n".join(lines)


def _document_text(doc: Document, start: int, end: int) -> str:
    """`doc.text[start:end]` as safe HTML, with a page mark where each page in it begins."""
    out, at = [], start
    for offset, number in doc.pages:
        if start <= offset < end:
            out += [text(doc.text[at:offset]), f'<span class="page-mark">p. {number}</span>']
            at = offset
    return "".join([*out, text(doc.text[at:end])])


def document_html(doc: Document, hit: Hit | None = None) -> str:
    """The whole document, with its page marks and the cited passage and answer sentence highlighted."""
    where = f" · cited: {text(hit.location)}" if hit is not None else ""
    head = f'<div class="doc-title">{text(doc.title)}</div><div class="doc-id">{text(doc.id)}{where}</div>'
    n = len(doc.text)
    if hit is None:
        body = _document_text(doc, 0, n)
    else:
        p = hit.passage
        body = (
            _document_text(doc, 0, p.start)
            + '<mark class="passage">'
            + _document_text(doc, p.start, hit.answer_start)
            + f'<mark class="answer">{sentence_html(hit)}</mark>'
            + _document_text(doc, hit.answer_end, p.end)
            + "</mark>"
            + _document_text(doc, p.end, n)
        )
    # Line breaks rather than <p> elements: the highlight may span paragraphs, and a <mark> cannot.
    return head + '<div class="doc-body">' + body.replace("\n\n", "<br><br>") + "</div>"
