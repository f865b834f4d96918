"""A loaded index: its passages, documents, vectors, keyword index and the model that made them.

The files are written by qa.build through qa.storage; this is the read side. A loaded index notices
when a writer has committed a newer version (`refreshed`), so a running app answers from it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import numpy as np

from qa.embedding import Embedder, load_embedder
from qa.errors import QAError
from qa.keyword import KeywordIndex
from qa.records import Document, Hit, Passage
from qa.segments import Stacked, read_segment
from qa.settings import INDEX_FORMAT, Settings
from qa.storage import MANIFEST, NAMES, SEGMENTS, read_manifest
from qa.versions import damage

__all__ = ["Index", "MANIFEST"]


class Index:
    """A loaded index: its passages, documents, vectors, keyword index and the model that made them."""

    def __init__(
        self,
        path: Path,
        manifest: dict,
        faiss_index,
        sentence_vectors: np.ndarray,
        keyword: KeywordIndex,
        passages: list[Passage],
        docs: list[Document],
        embedder: Embedder,
        names: frozenset[str] = frozenset(),
    ):
        self.path = path
        self.manifest = manifest
        self.faiss = faiss_index
        self.sentence_vectors = sentence_vectors
        self.keyword = keyword
        self.passages = passages
        self.documents = {d.id: d for d in docs}
        self.embedder = embedder
        self.abbreviations: dict[str, str] = manifest.get("abbreviations", {})
        self.names = names  # proper names learned from the documents (qa.names)
        self.version = os.path.realpath(path)  # the version folder read: a writer publishes a new one
        # A document's passages are consecutive rows: filters take ranges, never a scan per question.
        self._rows: dict[str, range] = {}
        start = 0
        for row in range(1, len(passages) + 1):
            if row == len(passages) or passages[row].doc_id != passages[start].doc_id:
                self._rows[passages[start].doc_id] = range(start, row)
                start = row

    def rows_for(self, doc_ids: Iterable[str]) -> np.ndarray:
        """The rows of the passages of these documents (unknown ids have none)."""
        ranges = [self._rows[d] for d in dict.fromkeys(doc_ids) if d in self._rows]
        return np.concatenate([np.arange(r.start, r.stop) for r in ranges]) if ranges else np.empty(0, np.int64)

    def collections(self) -> dict[str, list[str]]:
        """Each collection's document ids, in index order."""
        out: dict[str, list[str]] = {}
        for doc in self.documents.values():
            out.setdefault(doc.collection, []).append(doc.id)
        return out

    def refreshed(self) -> Index:
        """This index, or the version a writer has committed since it was loaded (read anew)."""
        if os.path.realpath(self.path) == self.version:
            return self
        return Index.load(self.path, embedder=self.embedder)

    @classmethod
    def load(
        cls, path: str | Path, model: str | None = None, batch_size: int = 32, embedder: Embedder | None = None
    ) -> Index:
        """Load the index at `path`. With `model`, refuse an index that another model built."""
        import faiss

        # One question is one query vector: FAISS's threads only contend for the shared cores. Measured
        # on 100,000 passages, 2 cores: a top-50 search takes 8.3 ms on one thread, 15.6 ms on two.
        faiss.omp_set_num_threads(1)

        path = Path(path)
        # Every file from one version folder, even if a writer publishes another meanwhile.
        version = Path(os.path.realpath(path))
        manifest = read_manifest(version)
        rebuild = f"rebuild it with `qa index DOCS_FOLDER --name {path.name}" + (f" --model {model}`" if model else "`")
        if manifest.get("format") != INDEX_FORMAT:
            raise QAError(
                f"the index at {path} has format {manifest.get('format')}, "
                f"this version reads format {INDEX_FORMAT}: {rebuild}"
            )
        built_with = manifest.get("model")
        if model is not None and model != built_with:
            raise QAError(f"the index at {path} was built with model {built_with!r}, not {model!r}: {rebuild}")
        if embedder is None or embedder.name != built_with:
            embedder = load_embedder(built_with, batch_size)
        theirs, ours = manifest.get("weights_sha256"), embedder.weights_sha256
        if theirs and ours and theirs != ours:
            raise QAError(f"the index at {path} was built with other weights of model {built_with!r}: {rebuild}")
        if manifest.get("dim") != embedder.dim:
            raise QAError(
                f"the index at {path} holds vectors of size {manifest.get('dim')}, "
                f"model {built_with!r} makes {embedder.dim}: {rebuild}"
            )
        wrong = damage(version, manifest, MANIFEST)
        if wrong is not None:
            raise QAError(f"index damaged: {wrong}; {rebuild}")
        try:
            passages, docs, vectors, sentence_arrays, postings = [], [], [], [], []
            sentence_base = 0
            for entry in manifest["segments"]:
                segment = read_segment(version / SEGMENTS / entry["id"], set(entry["removed"]))
                # The segment's rows follow the rows before it; removed passages have none.
                where = np.full(len(segment.live), -1, dtype=np.int64)
                where[segment.live] = np.arange(len(passages), len(passages) + len(segment.passages))
                postings.append((segment.postings, where))
                passages += (
                    [replace(p, sentence_row=p.sentence_row + sentence_base) for p in segment.passages]
                    if sentence_base else segment.passages
                )  # fmt: skip
                docs += segment.documents
                vectors.append(segment.vectors)
                sentence_arrays.append(segment.sentences)
                sentence_base += len(segment.sentences)
            faiss_index = faiss.IndexIDMap2(faiss.IndexFlatIP(embedder.dim))
            if passages:
                faiss_index.add_with_ids(np.concatenate(vectors), np.arange(len(passages), dtype=np.int64))
            keyword = KeywordIndex.merge(postings, len(passages))
            sentence_vectors = Stacked(sentence_arrays, embedder.dim)
            names = frozenset(json.loads((version / NAMES).read_text(encoding="utf-8")))
        except (OSError, RuntimeError, ValueError, TypeError, KeyError) as exc:
            raise QAError(f"the index at {path} is unreadable ({exc}): {rebuild}") from exc
        sentences = manifest.get("counts", {}).get("sentences")
        if (
            len(passages) != manifest.get("counts", {}).get("passages")
            or any(v.shape[1] != embedder.dim for v in vectors)
            or sentence_vectors.shape != (sentences, embedder.dim)
        ):
            raise QAError(
                f"the index at {path} is inconsistent ({faiss_index.ntotal} vectors, {len(passages)} passages): {rebuild}"
            )
        index = cls(path, manifest, faiss_index, sentence_vectors, keyword, passages, docs, embedder, names)
        index.version = str(version)
        return index

    def title(self, doc_id: str) -> str:
        return self.documents[doc_id].title

    def search(
        self,
        question: str,
        k: int = 5,
        mode: str | None = None,
        doc_ids: Iterable[str] | None = None,
        settings: Settings = Settings(),
        query: np.ndarray | None = None,
        focus=None,
    ) -> list[Hit]:
        """The top-k passages for `question`, best first, optionally only from some documents.

        `query` (the question's vector) and `focus` (qa.focus.Focus) when the caller has them already.
        """
        from qa.search import search

        return search(self, question, k, mode or settings.mode, doc_ids, settings, query, focus)
