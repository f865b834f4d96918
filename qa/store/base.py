"""What answering asks of a store, and all it asks: every question here is one any engine can answer.

A store holds passages (each with a vector and its keyword terms), the documents they were cut from,
and what was learned from all of them (abbreviations, names). Search, the question's focus and the
answers talk to this interface only, so the local store (`qa.store.local`) and Milvus (`qa.store.milvus`)
stand behind it alike. A passage is known by its row: an int the store hands out and takes back.

Where the local store once exposed its internals (postings by term, per-row masks), the interface asks
the question instead: how many passages hold these terms, which of these rows hold them, the top rows
among these documents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import numpy as np

from qa.records import Document, Passage
from qa.settings import Settings

# A term the question asks about, as the passages may hold it: alternatives, each a set of terms that
# must all be there. ("pcc",) or every word of its expansion: (("pcc",), ("polic", "crime", "commission")).
Group = tuple[tuple[str, ...], ...]


class Store(Protocol):
    """A loaded index, local or in an engine, as answering sees it."""

    name: str  # the index's name (`--index`)
    manifest: dict  # how it was built (model, settings), its documents (`listing`), collections and counts
    passages: Sequence[Passage]  # by row (a row the store returned)
    documents: Mapping[str, Document]  # by id, with their text
    embedder: object  # .encode_query(text), .name
    abbreviations: dict[str, str]  # learned from the documents (qa.text.abbreviations)
    names: frozenset[str]  # proper names learned from the documents (qa.text.names)
    size: int  # live passages: BM25's collection size

    def dense_top(self, query: np.ndarray, k: int, doc_ids: Sequence[str] | None, probes: int) -> dict[int, float]:
        """The top-k rows by cosine with `query`, among the passages of `doc_ids` when given."""
        ...

    def cosines(self, query: np.ndarray, rows: Sequence[int]) -> dict[int, float]:
        """The cosine of each of `rows` with `query`."""
        ...

    def keyword_top(self, question: str, k: int, doc_ids: Sequence[str] | None) -> dict[int, float]:
        """The top-k rows by BM25 over the question's terms (`qa.text.terms.query_terms`), above zero."""
        ...

    def counts(self, groups: Sequence[Group]) -> list[int]:
        """How many passages hold each group (BM25's document frequency of a term)."""
        ...

    def holding(self, groups: Sequence[Group], rows: Sequence[int]) -> np.ndarray:
        """(len(rows), len(groups)) booleans: whether each row's passage holds each group."""
        ...

    def passages_at(self, rows: Sequence[int]) -> list[Passage]:
        """The passages of these rows, in one trip."""
        ...

    def sentence_vectors_of(self, passages: Sequence[Passage]) -> list[np.ndarray]:
        """Each passage's sentences' vectors, (sentences, dim) each, in one trip."""
        ...

    def title(self, doc_id: str) -> str: ...

    def date(self, doc_id: str) -> str: ...

    def collections(self) -> dict[str, list[str]]: ...

    def refreshed(self) -> Store:
        """This store, or a new view of it if a writer has committed a change since it was opened."""
        ...

    def check(self) -> None:
        """Raise QAError if the store was found damaged or unreachable since it was opened."""
        ...


@dataclass
class Stored:
    """One document with its passages (sentence rows counted from 0 within it) and, once embedded, vectors:
    what a change hands a store to write."""

    document: Document
    passages: list[Passage]
    vectors: np.ndarray | None = None
    sentence_vectors: np.ndarray | None = None
    sentence_texts: list[str] | None = None  # only for a document still to embed
    indexed_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


class Current(Protocol):
    """What an index holds when a change starts: enough to decide what to embed, nothing read in bulk."""

    manifest: dict  # its manifest (collections among it), or {} when there is none
    entries: dict[str, dict]  # doc_id -> its entry (sha256, collection, passages...), in index order
    next_id: int  # the next passage id: ids are never reused
    reusable: bool  # built the same way by the same model: its passages are kept as they are
    damaged: str | None  # what is wrong with it, when something is

    def documents(self, doc_ids: list[str]) -> list[Document]:
        """The stored records of these documents (to cut them anew when the settings changed)."""
        ...


@dataclass(frozen=True)
class Written:
    documents: int
    passages: int


class Writer(Protocol):
    """What changes an index, in whichever store: one change at a time, all of it or nothing."""

    where: str  # shown in reports: the index's folder, or the engine and collection

    def lock(self) -> AbstractContextManager:
        """Held for a whole change: one writer at a time."""
        ...

    def exists(self) -> bool: ...

    def manifest(self) -> dict:
        """The committed manifest (QAError when there is no index): `qa list` reads it."""
        ...

    def built_settings(self, settings: Settings) -> Settings:
        """`settings` with the index-defining fields the index was built with, if there is one."""
        ...

    def current(self, settings: Settings, embedder) -> Current:
        """The index as a change sees it (under the lock); what a killed change left is cleared first."""
        ...

    def write(
        self,
        base: Current,
        parts: list,
        removed: set[str],
        embedder,
        settings: Settings,
        next_id: int,
        collections: dict,
        skipped: int = 0,
        embed: Callable[[list], None] | None = None,
    ) -> Written:
        """Commit the next state: `base` less `removed` plus `parts` (qa.store.local.segments.Stored),
        embedded a batch at a time by `embed`. Readers see the old state or the new one, never a mix."""
        ...


# Passages embedded and written at a time, in either store: enough for the model to batch well, little memory.
BATCH_PASSAGES = 2048


def batches(parts: list[Stored]) -> Iterator[list[Stored]]:
    """`parts` in runs of about BATCH_PASSAGES passages (a document is never split)."""
    batch: list[Stored] = []
    size = 0
    for part in parts:
        batch.append(part)
        size += len(part.passages)
        if size >= BATCH_PASSAGES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def collections_of(manifest: dict) -> dict[str, list[str]]:
    """Each collection's document ids, in index order."""
    out: dict[str, list[str]] = {}
    for doc_id, entry in manifest["documents"].items():
        out.setdefault(entry["collection"], []).append(doc_id)
    return out


def held(group: Group, terms: Iterable[str] | set[str]) -> bool:
    """Whether a passage with these terms holds the group: one alternative with all its terms."""
    have = terms if isinstance(terms, set | frozenset) else set(terms)
    return any(have.issuperset(alternative) for alternative in group)


def listing(manifest: dict) -> list[dict]:
    """The documents of an index as `qa list` and `/documents` show them, whichever store holds them."""
    shown = ("collection", "title", "passages", "pages", "date", "indexed_at", "sha256")
    return [
        {"id": doc_id, **{k: entry.get(k) for k in shown}} for doc_id, entry in manifest.get("documents", {}).items()
    ]


def versions() -> dict:
    """The versions of what made an index, for its manifest."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package in ("qa", "sentence-transformers", "faiss-cpu", "torch", "pymilvus"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out
