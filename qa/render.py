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


def short_title(title: str, chars: int = 60) -> str:
    """A title short enough to repeat in a list of citations (the seeds' run to 120 capitals)."""
    return title if len(title) <= chars else title[:chars].rsplit(" ", 1)[0] + "…"


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


_QUOTES = ("“", '"', "‘", "'", "«")


def _quoted(sentence: str, inner: str) -> str:
    """`inner` (the sentence as HTML) in quotation marks, unless the sentence opens with its own."""
    return inner if sentence.startswith(_QUOTES) else f"“{inner}”"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def scope_line(searched_titles: list[str] | None, total: int) -> list[str]:
    """ "Searched 1 of 5 documents: Title" when a filter is on; nothing when every document is searched."""
    if not searched_titles:
        return []
    names = "; ".join(text(t) for t in searched_titles[:5]) + ("; …" if len(searched_titles) > 5 else "")
    return [f"*Searched {len(searched_titles)} of {plural(total, 'document')}: {names}*", ""]


def reply_markdown(answer: Answer, searched: str | None = None, scope: list[str] | None = None) -> str:
    """The chat reply: the answer sentence first, then a citation for each passage.

    `searched` is shown when it is not the question itself (a follow-up searched with its context);
    `scope`, the "searched 1 of 5 documents" line, when a filter is on.
    """
    lines = list(scope or [])
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
        quote = (
            _quoted(best.answer_text, sentence_html(best))
            if best.narrow_span
            else f"<strong>{_quoted(best.answer_text, text(best.answer_text))}</strong>"
        )
        # Each marker opens its citation's passage (qa.page's CITE_JS), as choosing the citation does.
        markers = "".join(f'<a href="#cite-{n}">[{n}]</a>' for n in answer.citations)
        lines += [
            f"> {quote} <sup>{markers}</sup>",
            f"> — {text(short_title(best.title))} ({where(best)})",
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
            f"{hit.rank}. **{text(short_title(hit.title))}** · {where(hit)} · {hit.match_words} match "
            f"({hit.answer_score:.2f})\n"
            f'<details><summary>{text(preview)}</summary><div class="passage">{passage_html(hit)}</div></details>'
        )
    return "\n".join(lines)


def by_document_markdown(results: list, scope: list[str] | None = None) -> str:
    """The "by document" reply: each answering document's sentence with its source, then those that do not say."""
    answering = [r for r in results if r.answers]
    silent = [r for r in results if not r.answers]
    total = len(answering) + sum(len(r.also_in) for r in answering) + len(silent)
    said = len(answering) + sum(len(r.also_in) for r in answering)
    lines = [*(scope or []), f"**By document:** {said} of {plural(total, 'document')} answer", ""]
    for n, r in enumerate(answering, start=1):
        hit = r.hit
        # The card's title names its document: its source line only says where, then who quotes it too.
        sources = [where(hit)] + [f"{text(short_title(t))} ({text(d)})" for d, t in r.also_in]
        lines += [
            f"{n}. **{text(short_title(r.title))}**{f' · {text(r.date)}' if r.date else ''} · "
            f"{'strong' if r.confidence >= 0.8 else 'partial'} match ({r.confidence:.2f})",
            f"   > {_quoted(hit.answer_text, text(hit.answer_text))}",
            f"   > — {' · '.join(sources)}",
            "",
        ]
    if silent:
        lines.append("*Do not seem to say:* " + "; ".join(text(short_title(r.title)) for r in silent))
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
    back = '<a class="back" href="#chat">↑ Back to the conversation</a>' if hit is not None else ""
    head = f'{back}<div class="doc-title">{text(doc.title)}</div><div class="doc-id">{text(doc.id)}{where}</div>'
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
