"""Documents made into what a store keeps: passages sized to the model's window, each distinct sentence
numbered once, and the vectors of both."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from qa.embedding import Embedder
from qa.records import Document, Passage
from qa.settings import Settings
from qa.store.base import Stored
from qa.text.passages import context_of, indexed_text, split_passages


def number_sentences(passages: list[Passage]) -> tuple[list[Passage], list[str]]:
    """Give each distinct sentence a row; passages (which overlap) learn the row of their first one."""
    rows: dict[tuple[str, int, int], int] = {}
    texts: list[str] = []
    numbered = []
    for p in passages:
        for a, b in p.sentences:
            key = (p.doc_id, a, b)
            if key not in rows:
                rows[key] = len(texts)
                texts.append(p.text[a - p.start : b - p.start])
        first = rows[(p.doc_id, *p.sentences[0])]
        # A passage's sentences are consecutive in its document, so their rows are too.
        if [rows[(p.doc_id, a, b)] for a, b in p.sentences] != list(range(first, first + len(p.sentences))):
            raise RuntimeError(f"sentence rows of a passage of {p.doc_id} are not consecutive")
        numbered.append(replace(p, sentence_row=first))
    return numbered, texts


def split_document(doc: Document, embedder: Embedder, settings: Settings) -> list[Passage]:
    """The document's passages, sized so that each with its context fits the model's window."""
    passages = split_passages(
        doc, embedder.count_tokens, settings.index.passage_tokens, settings.index.overlap_sentences
    )
    contexts = {context_of(doc.title, p.section) for p in passages}
    room = embedder.max_text_tokens - max(embedder.count_tokens(sorted(contexts)), default=0) - 2
    if room <= settings.index.passage_tokens:
        return passages  # a context too long to fit whole: the model cuts its tail, never the passage's text
    return split_passages(
        doc, embedder.count_tokens, settings.index.passage_tokens, settings.index.overlap_sentences, room
    )


def split_documents(
    docs: list[Document], embedder: Embedder, settings: Settings, next_id: int
) -> tuple[list[Stored], int]:
    """New documents as parts to embed, their passages given ids from `next_id` on (ids are never reused)."""
    parts = []
    for doc in docs:
        passages, sentence_texts = number_sentences(split_document(doc, embedder, settings))
        passages = [replace(p, id=next_id + i, collection=doc.collection) for i, p in enumerate(passages)]
        next_id += len(passages)
        parts.append(Stored(doc, passages, sentence_texts=sentence_texts))
    return parts, next_id


# Texts embedded between two progress updates: small enough that the bar moves every few seconds on
# two cores, large enough that the model's own batches stay full.
PROGRESS_TEXTS = 256


def embed_parts(parts: list[Stored], embedder: Embedder, done: Callable[[int], object] | None = None) -> None:
    """Embed the passages (with their context) and sentences of `parts`, shortest first as the model
    batches them, calling `done(n)` after every PROGRESS_TEXTS texts so progress moves as it goes."""
    texts = [indexed_text(p, part.document.title) for part in parts for p in part.passages]
    texts += [t for part in parts for t in part.sentence_texts]
    if not texts:
        return
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = None
    for at in range(0, len(order), PROGRESS_TEXTS):
        chunk = order[at : at + PROGRESS_TEXTS]
        encoded = embedder.encode([texts[i] for i in chunk])
        if vectors is None:
            vectors = np.empty((len(texts), encoded.shape[1]), dtype=encoded.dtype)
        vectors[chunk] = encoded
        if done is not None:
            done(len(chunk))
    at, sentence_at = 0, sum(len(part.passages) for part in parts)
    for part in parts:
        part.vectors = vectors[at : at + len(part.passages)]
        part.sentence_vectors = vectors[sentence_at : sentence_at + len(part.sentence_texts)]
        at += len(part.passages)
        sentence_at += len(part.sentence_texts)
