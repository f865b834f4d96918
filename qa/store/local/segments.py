"""Segments: the documents one change added, with their passages, vectors and keyword postings.

A segment is written once and never changed. Each version of an index lists its segments in order
and, per segment, the documents removed from it since (their rows are skipped when it is read), so a
change writes only what it adds, and keeps the rest by hard links (qa.store.local.storage).

    segments/<id>/documents.jsonl   one Document a line (cleaned text, for citations and re-reading)
    segments/<id>/passages.jsonl    one Passage a line; sentence rows count from the segment's first
    segments/<id>/offsets.npy       where each line of passages.jsonl starts (and the file's end)
    segments/<id>/vectors.npy       float32 passage vectors (normalised), row i = passage line i
    segments/<id>/sentences.npy     float16 vectors of every sentence, for picking answer sentences
    segments/<id>/keyword.npz       the BM25 postings of the passages' indexed text (qa.store.local.keyword)
    segments/<id>/vectors.ivf       in a large segment only: an approximate vector index (qa.store.local.vectors)
"""

from __future__ import annotations

import json
import os
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.records import Document, Passage
from qa.store.base import Stored
from qa.store.local import arrays
from qa.store.local.keyword import FILE as KEYWORD
from qa.store.local.keyword import PostingsBuilder
from qa.store.local.vectors import IVF, write_approximate
from qa.text.passages import indexed_text

DOCUMENTS, PASSAGES, VECTORS, SENTENCES = "documents.jsonl", "passages.jsonl", "vectors.npy", "sentences.npy"
OFFSETS = "offsets.npy"


class SegmentWriter:
    """Writes one segment a batch of documents at a time: what is written goes to disk at once, so
    memory does not grow with the number of documents. `close` returns where each document is: its
    [byte offset, length] in documents.jsonl and its first passage line."""

    def __init__(self, folder: Path, dim: int, approximate_from: int):
        folder.mkdir(parents=True)
        self.folder, self.dim, self.approximate_from = folder, dim, approximate_from
        self.passages = (folder / PASSAGES).open("wb")
        self.documents = (folder / DOCUMENTS).open("wb")
        # Vectors go to raw files first: an .npy header says how many rows, which is known at the end.
        self.vectors = (folder / "vectors.raw").open("wb")
        self.sentences = (folder / "sentences.raw").open("wb")
        self.keyword = PostingsBuilder()
        self.starts: list[int] = []
        self.where: dict[str, dict] = {}
        self.rows = self.sentence_rows = 0

    def add(self, parts: list[Stored]) -> None:
        texts = []
        for part in parts:
            doc = part.document
            line = (json.dumps(doc.to_dict(), ensure_ascii=False) + "\n").encode("utf-8")
            self.where[doc.id] = {"at": [self.documents.tell(), len(line)], "first": self.rows}
            self.documents.write(line)
            for p in part.passages:  # sentence rows become rows of the segment
                self.starts.append(self.passages.tell())
                p = replace(p, sentence_row=p.sentence_row + self.sentence_rows)
                self.passages.write((json.dumps(p.to_dict(), ensure_ascii=False) + "\n").encode("utf-8"))
                texts.append(indexed_text(p, doc.title))
            self.vectors.write(np.ascontiguousarray(part.vectors, dtype=np.float32).tobytes())
            self.sentences.write(np.ascontiguousarray(part.sentence_vectors, dtype=np.float16).tobytes())
            self.rows += len(part.passages)
            self.sentence_rows += len(part.sentence_vectors)
        self.keyword.add(texts)

    def close(self) -> dict[str, dict]:
        self.starts.append(self.passages.tell())
        for f in (self.passages, self.documents, self.vectors, self.sentences):
            f.close()
        np.save(self.folder / OFFSETS, np.array(self.starts, dtype=np.int64))
        self.keyword.finish().save(self.folder / KEYWORD)
        vectors = _to_npy(self.folder / "vectors.raw", self.folder / VECTORS, np.float32, self.dim)
        _to_npy(self.folder / "sentences.raw", self.folder / SENTENCES, np.float16, self.dim)
        if self.rows >= self.approximate_from:
            write_approximate(vectors, self.folder / IVF)
        return self.where


def _to_npy(raw: Path, target: Path, dtype, dim: int) -> np.ndarray:
    """The raw rows in `raw` as an .npy file (copied in blocks), returned memory-mapped; `raw` removed."""
    data = np.memmap(raw, dtype=dtype, mode="r") if raw.stat().st_size else np.zeros(0, dtype)
    rows = data.reshape(-1, dim)
    out = np.lib.format.open_memmap(target, mode="w+", dtype=dtype, shape=rows.shape)
    for start in range(0, len(rows), 65_536):
        out[start : start + 65_536] = rows[start : start + 65_536]
    out.flush()
    del data, rows
    raw.unlink()
    return arrays.load(target, mmap_mode="r")


@dataclass
class Segment:
    """A segment as read for a version: its live documents and passages (the removed ones skipped)."""

    documents: list[Document]
    passages: list[Passage]  # live, sentence rows counted from the segment's first sentence
    vectors: np.ndarray  # of the live passages
    sentences: np.ndarray  # every sentence vector of the segment (memory-mapped)


def read_segment(folder: Path, removed: set[str]) -> Segment:
    """A segment read whole, its removed documents left out: what a merge writes again."""
    with (folder / DOCUMENTS).open(encoding="utf-8") as f:
        documents = [Document.from_dict(json.loads(line)) for line in f if line.strip()]
    with (folder / PASSAGES).open(encoding="utf-8") as f:
        passages = [Passage.from_dict(json.loads(line)) for line in f if line.strip()]
    live = np.array([p.doc_id not in removed for p in passages], dtype=bool)
    vectors = arrays.load(folder / VECTORS)
    return Segment(
        documents=[d for d in documents if d.id not in removed],
        passages=[p for p, keep in zip(passages, live, strict=True) if keep],
        vectors=vectors[live] if not live.all() else vectors,
        sentences=arrays.load(folder / SENTENCES, mmap_mode="r"),
    )


def segment_parts(segment: Segment, entries: dict[str, dict]) -> list[Stored]:
    """A segment's live documents as parts, to be written again (when segments are merged)."""
    by_doc: dict[str, list[int]] = {}
    for i, p in enumerate(segment.passages):
        by_doc.setdefault(p.doc_id, []).append(i)
    parts = []
    for doc in segment.documents:
        rows = by_doc.get(doc.id, [])
        passages = [segment.passages[i] for i in rows]
        first = min(p.sentence_row for p in passages)
        last = max(p.sentence_row + len(p.sentences) for p in passages)
        parts.append(
            Stored(
                document=doc,
                passages=[replace(p, sentence_row=p.sentence_row - first) for p in passages],
                vectors=segment.vectors[rows],
                sentence_vectors=np.asarray(segment.sentences[first:last], np.float32),
                indexed_at=entries.get(doc.id, {}).get("indexed_at", ""),
            )
        )
    return parts


class Stacked:
    """The sentence vectors of several segments read as one array of rows (slices within a segment)."""

    def __init__(self, arrays: list[np.ndarray], dim: int):
        self.arrays = arrays
        self.starts = np.cumsum([0, *(len(a) for a in arrays)])
        self.shape = (int(self.starts[-1]), dim)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: slice) -> np.ndarray:
        start, stop = rows.start or 0, rows.stop if rows.stop is not None else self.shape[0]
        i = int(np.searchsorted(self.starts, start, side="right")) - 1
        base = int(self.starts[i])
        if stop > self.starts[i + 1]:
            raise IndexError(f"rows {start}:{stop} cross a segment")  # a passage's sentences never do
        return self.arrays[i][start - base : stop - base]


class Lines:
    """Lines of a segment's JSON-lines file, read when asked for (os.pread on a descriptor held open, so a
    version folder replaced meanwhile is still read whole)."""

    def __init__(self, path: Path):
        self.fd = os.open(path, os.O_RDONLY)
        self._close = weakref.finalize(self, os.close, self.fd)

    def read(self, offset: int, length: int) -> dict:
        return json.loads(os.pread(self.fd, length, offset))


class PassageRows(Sequence):
    """The index's passages by row, read from their segments when asked for: an index of a million
    passages does not hold a million records. Recently read ones are kept."""

    def __init__(self, folders: list[Path], rows: list[np.ndarray], sentence_bases: list[int]):
        self.lines = [Lines(f / PASSAGES) for f in folders]
        self.offsets = [arrays.load(f / OFFSETS) for f in folders]
        self.bases = sentence_bases
        self.segment = np.repeat(np.arange(len(rows), dtype=np.int32), [len(r) for r in rows])
        self.local = np.concatenate([np.empty(0, np.int64), *rows]).astype(np.int64)
        self.get = lru_cache(maxsize=1 << 14)(self._read)

    def __len__(self) -> int:
        return len(self.local)

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self.get(r) for r in range(*row.indices(len(self)))]
        if not -len(self) <= row < len(self):
            raise IndexError(row)
        return self.get(int(row) % len(self))

    def _read(self, row: int) -> Passage:
        s, line = int(self.segment[row]), int(self.local[row])
        a, b = self.offsets[s][line], self.offsets[s][line + 1]
        p = Passage.from_dict(self.lines[s].read(int(a), int(b - a)))
        # Sentence rows count from the segment's first; the index's count across segments.
        return replace(p, sentence_row=p.sentence_row + self.bases[s]) if self.bases[s] else p


class DocumentRecords(Mapping):
    """The index's documents by id, read from their segments when asked for (their text is the bulk of
    an index); the manifest's entries say where each is. Recently read ones are kept."""

    def __init__(self, entries: dict[str, dict], folders: dict[str, Path]):
        self.entries = entries
        self.lines = {sid: Lines(folder / DOCUMENTS) for sid, folder in folders.items()}
        self.get_record = lru_cache(maxsize=64)(self._read)

    def __getitem__(self, doc_id: str) -> Document:
        if doc_id not in self.entries:
            raise KeyError(doc_id)
        return self.get_record(doc_id)

    def _read(self, doc_id: str) -> Document:
        entry = self.entries[doc_id]
        return Document.from_dict(self.lines[entry["segment"]].read(*entry["at"]))

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, doc_id) -> bool:
        return doc_id in self.entries
