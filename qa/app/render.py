"""Replies as safe HTML and Markdown for the chat: the answer, then its sources, one card a document.
Document text is always shown as text.

Every citation link names its reply and its number ("#cite-3-2": reply 3, citation 2), so that a
link in any reply, old or new, opens its own passage (qa.app.page's CITE_JS).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from qa.records import Answer, Hit
from qa.text.sentences import is_code

# Around the answer sentence in a card's preview: enough to see where it stands.
CONTEXT_CHARS = 90

# Markdown and LaTeX characters as HTML entities: the chat renders Markdown, and a document's
# "*", "_", "[x](...)" or "$" must show as typed. Entities read the same inside HTML blocks too.
_ENTITIES = str.maketrans(
    {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~$"}
    | {"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#x27;"}
)


def text(value: str) -> str:
    """Any text from a document or a user, escaped for both HTML and Markdown."""
    return value.translate(_ENTITIES)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


_WORDS = re.compile(r"[A-Za-z][A-Za-z'’]*")


def _mostly_capitals(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def readable_title(title: str, body: str = "") -> str:
    """A title written in capitals ("RESPONSE OF DAVID KEANE, POLICE & CRIME COMMISSIONER FOR CHESHIRE")
    in sentence case, each word cased as the document's own sentences write it: capitalised where they
    capitalise it mid-sentence or always ("Police", "David"), in capitals where they only write it so ("HMICFRS"),
    else in small letters; a word they never use is taken for a name when longer than 3 letters
    ("Swindon"). Any other title is left as it is."""
    if not _mostly_capitals(title):
        return title
    # Lines in capitals (the title, banners) say nothing of how a word is cased.
    prose = " ".join(line for line in body.splitlines() if not _mostly_capitals(line))
    forms: dict[str, set[str]] = {}
    named: dict[str, str] = {}
    lowered = set()  # words the prose writes in small letters somewhere
    for match in _WORDS.finditer(prose):
        word = match.group()
        if word.islower():
            lowered.add(word)
        forms.setdefault(word.lower(), set()).add("upper" if word.isupper() and len(word) > 1 else "other")
        if (
            word[0].isupper()
            and not word.isupper()
            and re.search(r"[\w,;:'’)] $", prose[max(0, match.start() - 2) : match.start()])
        ):
            named.setdefault(word.lower(), word)  # capitalised mid-sentence: a name

    def cased(match: re.Match) -> str:
        word = match.group()
        low = word.lower()
        if low in named:
            return named[low]
        if forms.get(low) == {"upper"}:
            return word
        if low in forms:
            return low if low in lowered else word.capitalize()
        return word.capitalize() if len(word) > 3 else low

    out = _WORDS.sub(cased, title)
    first = next((i for i, c in enumerate(out) if c.isalpha()), 0)
    return out[:first] + out[first].upper() + out[first + 1 :]


def short_title(title: str, chars: int = 90) -> str:
    """A title short enough to repeat in a list (cut at a word, with an ellipsis)."""
    return title if len(title) <= chars else title[:chars].rsplit(" ", 1)[0] + "…"


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
    return body.replace("\n\n", "<br><br>").replace("\n", "<br>")  # the lines of a code block too


def preview_html(hit: Hit) -> str:
    """The answer sentence highlighted, with a little of its passage on either side."""
    p = hit.passage
    a, b = hit.answer_start - p.start, hit.answer_end - p.start
    before, after = " ".join(p.text[:a].split()), " ".join(p.text[b:].split())
    if len(before) > CONTEXT_CHARS:
        before = "…" + before[-CONTEXT_CHARS:].split(" ", 1)[-1]
    if len(after) > CONTEXT_CHARS:
        after = after[:CONTEXT_CHARS].rsplit(" ", 1)[0] + "…"
    return f"{text(before)} <mark>{sentence_html(hit)}</mark> {text(after)}".strip()


_OPENING = {"“": "”", "‘": "’", "«": "»", '"': '"', "'": "'"}


_LEAD_IN = re.compile(r"[^\n]*:[ \t]*\n\s*")  # "Serena Kennedy said:" then, on a line of its own, the quote


def code_html(code: str) -> str:
    """A code block as code: its lines kept, in a monospace block (qa.readers.layout keeps its lines)."""
    return f'<code class="block">{"<br>".join(text(line) for line in code.split(chr(10)))}</code>'


def _quoted(sentence: str, inner: str) -> str:
    """`inner` (the sentence as HTML) in quotation marks, on one line of the quote bar. A sentence that
    opens with its own quotation mark keeps it, and is closed at its end where the document closes the
    quote only later (a quote running over several paragraphs opens each of them and closes the last). A
    lead-in ("X said:") run on into the quote it introduces stays outside that quote, on a line of its own."""
    lead = _LEAD_IN.match(sentence)
    quote = sentence[lead.end() :] if lead else sentence
    opening = quote[:1]
    if opening not in _OPENING:
        out = f"“{inner}”"
    else:
        closing = _OPENING[opening]
        out = inner if closing in quote[1:] else inner + text(closing)
    # A blank line would end the Markdown quote bar and leave the rest of the answer outside it.
    return re.sub(r"[ \t]*\n\s*", "<br>", out)


def scope_line(searched_titles: list[str] | None, total: int) -> list[str]:
    """ "Searched 1 of 5 documents: Title" when a filter is on; nothing when every document is searched."""
    if not searched_titles:
        return []
    names = "; ".join(text(t) for t in searched_titles[:5]) + ("; …" if len(searched_titles) > 5 else "")
    return [f"*Searched {len(searched_titles)} of {plural(total, 'document')}: {names}*", ""]


def cite(reply: int, number: int, label: str, css: str = "cite") -> str:
    """A link that opens citation `number` of reply `reply` in the document view."""
    return f'<a class="{css}" href="#cite-{reply}-{number}">{label}</a>'


def _cards(answer: Answer, reply: int, title_of: Callable[[Hit], str]) -> list[str]:
    """One card a document, its passages under it in citation order: readable title, file name as a
    detail, each passage's place (as the document view shows it) and preview."""
    groups: dict[str, list[Hit]] = {}
    for hit in answer.hits:
        groups.setdefault(hit.passage.doc_id, []).append(hit)
    lines = []
    for doc_id, hits in groups.items():
        numbers = ", ".join(cite(reply, h.rank, str(h.rank)) for h in hits)
        lines.append(
            f'<div class="card"><div class="card-head">[{numbers}] <strong>{text(title_of(hits[0]))}</strong> '
            f'<span class="file">{text(doc_id)}</span></div>'
        )
        for h in hits:
            lines.append(
                # No score of its own: the reply's one confidence is the signal to act on (two scales on
                # one screen disagreed, and a decline sat above a "strong match").
                f'<div class="card-passage">{cite(reply, h.rank, f"[{h.rank}] {text(h.location)}", "cite place")}'
                f"<br>{preview_html(h)}"
                f'<details><summary>Whole passage</summary><div class="passage">{passage_html(h)}</div></details></div>'
            )
        lines.append("</div>")
    return lines


def reply_markdown(
    answer: Answer,
    reply: int = 0,
    searched: str | None = None,
    scope: list[str] | None = None,
    title_of: Callable[[Hit], str] | None = None,
) -> str:
    """The chat reply number `reply`: the answer sentence first, then its sources, a card a document.

    `searched` is shown when it is not the question itself (a follow-up searched with its context),
    with a link that asks the question on its own; `scope`, the "searched 1 of 5 documents" line,
    when a filter is on; `title_of` gives a hit's title as a reader should see it.
    """
    title_of = title_of or (lambda h: readable_title(h.title))
    lines = list(scope or [])
    if searched and searched.strip() != answer.question:
        lines += [
            f"*Searched with the conversation:* “{text(searched)}” · "
            f'<a class="alone" href="#alone-{reply}">Ask on its own</a>',
            "",
        ]
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
        if is_code(best.answer_text):  # shown as code, lines kept; not in quotation marks
            lead, _, code = best.answer_text.rpartition("\n\n")
            quote = (f"{text(' '.join(lead.split()))}<br>" if lead else "") + code_html(code.strip())
        elif best.narrow_span:
            quote = _quoted(best.answer_text, sentence_html(best))
        else:
            quote = f"<strong>{_quoted(best.answer_text, text(best.answer_text))}</strong>"
        markers = "".join(cite(reply, n, f"[{n}]") for n in answer.citations)
        # The title even where the answer is the title line itself: "— paragraph 3" alone names no document.
        source = f"{text(short_title(title_of(best)))}, {text(best.location)}"
        lines += [
            f"> {quote} <sup>{markers}</sup>",
            f"> — {source}",
            "",
            f"*Confidence: {answer.confidence_words} ({answer.confidence:.2f})*",
            "",
        ]
    lines += ["**Closest passages (low confidence)**" if answer.abstained else "**Sources**", ""]
    return "\n".join(lines + _cards(answer, reply, title_of))


def by_document_markdown(
    results: list, answer: Answer, reply: int = 0, why: str = "", scope: list[str] | None = None,
    title_of: Callable[[str, str], str] | None = None,
) -> str:  # fmt: skip
    """The "by document" reply: each answering document's sentence with its own confidence and source,
    then the documents that do not say. `answer.hits` are the answering documents' hits, in order
    (their citation numbers); `why` says what asked for this view."""
    title_of = title_of or (lambda doc_id, title: readable_title(title))
    answering = [r for r in results if r.answers]
    silent = [r for r in results if not r.answers]
    said = len(answering) + sum(len(r.also_in) for r in answering)
    total = said + len(silent)
    lines = [*(scope or []), f"**By document** ({text(why)}): {said} of {plural(total, 'document')} answer", ""]
    for n, r in enumerate(answering, start=1):
        hit = r.hit
        others = "".join(f" · also {text(short_title(title_of(d, t)))}" for d, t in r.also_in)
        words = "high" if r.confidence >= answer.high else "medium"
        lines += [
            f'<div class="card"><div class="card-head">[{cite(reply, n, str(n))}] '
            f"<strong>{text(title_of(r.doc_id, r.title))}</strong>{f' · {text(r.date)}' if r.date else ''} "
            f'<span class="file">{text(r.doc_id)}</span></div>'
            f'<div class="card-passage">{_quoted(hit.answer_text, sentence_html(hit))} '
            f"<sup>{cite(reply, n, f'[{n}]')}</sup><br>{cite(reply, n, text(hit.location), 'cite place')}{others} · "
            f"confidence {words} ({r.confidence:.2f})</div></div>",
        ]
    if silent:
        lines += ["", "**Do not answer:** " + "; ".join(text(short_title(title_of(r.doc_id, r.title))) for r in silent)]
    if not answering:
        lines.insert(len(scope or []) + 2, "None of the searched documents seems to answer this.\n")
    return "\n".join(lines)
