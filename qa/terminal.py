"""Answers printed to a terminal: what `qa ask` shows, with nothing a document could use to drive the terminal."""

from __future__ import annotations

import logging
import textwrap

from qa.readers.layout import CONTROL


def shown(text: str) -> str:
    """Text from documents, file names or users, safe to print to a terminal: control characters
    (escape sequences among them) would drive it, clear it, retitle the window; they show as "?"."""
    return CONTROL.sub("?", text)


class SafeFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return shown(super().format(record))


def format_hit(hit, width: int = 100) -> str:
    p = hit.passage
    head = f"{hit.rank}. [{hit.match_words} match {hit.answer_score:.2f}] {hit.title}\n   {p.doc_id}, {p.location}, chars {p.start}-{p.end}"
    body = textwrap.fill(" ".join(p.text.split()), width=width, initial_indent="   ", subsequent_indent="   ")
    return f"{head}\n{body}"


def print_by_document(results: list) -> None:
    """Each document's answer (qa.answering.compare), then the documents that do not seem to say."""
    answering = [r for r in results if r.answers]
    print(f"By document: {len(answering)} of {len(results)} answer\n")
    for n, r in enumerate(answering, start=1):
        sources = ", ".join([f"{r.doc_id}, {r.hit.location}", *(d for d, _ in r.also_in)])
        dated = f", {r.date}" if r.date else ""
        print(shown(f"{n}. {r.title}{dated} [confidence {r.confidence:.2f}]"))
        print(shown(textwrap.fill(f"“{r.hit.answer_text}”", width=100, initial_indent="   ", subsequent_indent="   ")))
        print(shown(f"   — {sources}\n"))
    silent = [r for r in results if not r.answers]
    if silent:
        print(shown("Do not seem to say: " + "; ".join(f"{r.title} ({r.doc_id})" for r in silent)))


def print_report(report) -> None:
    """What a change of the index did (qa.indexing.build.BuildReport)."""
    print(
        shown(f"{report.summary()} in {report.seconds:.1f}s (embedding {report.encode_seconds:.1f}s) -> {report.path}")
    )


def print_documents(rows: list[dict]) -> None:
    """`qa list`: each document's id, collection, passages, pages, when it was indexed, and its title."""
    for row in rows:
        pages = f", {row['pages']} pages" if row.get("pages") else ""
        indexed = row.get("indexed_at", "?")
        dated = f", dated {row['date']}" if row.get("date") else ""
        print(
            shown(
                f"{row['id']}  [{row.get('collection', '')}] {row['passages']} passages{pages}{dated}, indexed {indexed}"
            )
        )
        print(shown(f"    {row['title']}"))
