"""A loaded index: its passages, documents, vectors, keyword index and the model that made them.

The files are written by qa.indexing.build through qa.store.local.storage; this is the read side. A loaded index notices
when a writer has committed a newer version (`refreshed`), so a running app answers from it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from qa.embedding import Embedder, load_embedder
from qa.errors import QAError
from qa.records import Document, Passage
from qa.settings import INDEX_FORMAT
from qa.store.base import Group, collections_of
from qa.store.local import arrays
from qa.store.local.keyword import FILE as KEYWORD
from qa.store.local.keyword import KeywordIndex, Postings
from qa.store.local.segments import SENTENCES, VECTORS, DocumentRecords, PassageRows, Stacked
from qa.store.local.storage import MANIFEST, NAMES, SEGMENTS, read_manifest
from qa.store.local.vectors import Vectors, open_part
from qa.store.local.versions import damage, stat_damage

__all__ = ["Index", "MANIFEST"]

# An index up to this size (all its files) has every checksum checked before it opens: 0.3 s here.
# A larger one is checked by size and time first, and by checksum in the background (Index.check).
VERIFY_BEFORE_OPENING = 512 * 1024 * 1024
# How many versions a load may find replaced under it by writers (each is then read anew) before it gives up.
LOAD_ATTEMPTS = 5


class Index:
    """A loaded index: its passages, documents, vectors, keyword index and the model that made them."""

    def __init__(
        self,
        path: Path,
        manifest: dict,
        vectors: Vectors,
        sentence_vectors,
        keyword: KeywordIndex,
        passages: Sequence[Passage],
        documents: Mapping[str, Document],
        embedder: Embedder,
        names: frozenset[str],
        rows: dict[str, range],
    ):
        self.path = path
        self.name = path.name
        self.manifest = manifest
        self.size = keyword.size
        self.vectors = vectors  # dense search over every segment (qa.store.local.vectors)
        self.sentence_vectors = sentence_vectors
        self.keyword = keyword
        self.passages = passages  # by row; read from disk when asked for (qa.store.local.segments.PassageRows)
        self.documents = documents  # by id; likewise
        self.embedder = embedder
        self.abbreviations: dict[str, str] = manifest.get("abbreviations", {})
        self.names = names  # proper names learned from the documents (qa.text.names)
        self.version = os.path.realpath(path)  # the version folder read: a writer publishes a new one
        # A document's passages are consecutive rows: filters take ranges, never a scan per question.
        self._rows = rows
        self.damaged: str | None = None  # set when the files' checksums are found wrong (`check`)
        self.verified = threading.Event()  # set once every checksum has been checked
        self.rebuild = "rebuild it with `qa index`"

    def rows_for(self, doc_ids: Iterable[str]) -> np.ndarray:
        """The rows of the passages of these documents (unknown ids have none)."""
        ranges = [self._rows[d] for d in dict.fromkeys(doc_ids) if d in self._rows]
        return np.concatenate([np.arange(r.start, r.stop) for r in ranges]) if ranges else np.empty(0, np.int64)

    def collections(self) -> dict[str, list[str]]:
        """Each collection's document ids, in index order."""
        return collections_of(self.manifest)

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
        for attempt in range(LOAD_ATTEMPTS):
            # Every file from one version folder, even if a writer publishes another meanwhile.
            version = Path(os.path.realpath(path))
            try:
                return cls._load(path, version, model, batch_size, embedder)
            except (OSError, QAError):
                # A writer that publishes a new version deletes the one it replaces, perhaps while it is
                # being read here (files "missing", "unreadable"): that is no damage, read the new one.
                # A plain (copied) index folder is moved aside before the link takes its name: for that
                # moment the name holds nothing, and the link comes an instant later.
                replaced = Path(os.path.realpath(path)) != version or not path.exists()
                if attempt + 1 == LOAD_ATTEMPTS or not replaced:
                    raise
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    @classmethod
    def _load(cls, path: Path, version: Path, model: str | None, batch_size: int, embedder: Embedder | None) -> Index:
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
        # Sizes and times first (instant); then every SHA-256, before opening a small index and while a
        # large one opens and answers (hashing gigabytes would hold its first question for seconds).
        size = sum(record.get("size", 0) for record in manifest.get("files", {}).values())
        wrong = stat_damage(version, manifest, MANIFEST)
        if wrong is None and size <= VERIFY_BEFORE_OPENING:
            wrong = damage(version, manifest, MANIFEST)
        if wrong is not None:
            raise QAError(f"index damaged: {wrong}; {rebuild}")
        try:
            folders = [version / SEGMENTS / entry["id"] for entry in manifest["segments"]]
            locals_, postings, parts, sentence_arrays, bases, rows = [], [], [], [], [], {}
            at = 0
            live = _live_documents(manifest)
            for entry, folder in zip(manifest["segments"], folders, strict=True):
                mine = live.get(entry["id"], [])  # (doc_id, first line, lines) of its live documents, in order
                local = np.concatenate([np.empty(0, np.int64), *(np.arange(a, a + n) for _, a, n in mine)])
                # The segment's rows follow the rows before it; removed passages have none.
                where = np.full(entry["passages"], -1, dtype=np.int64)
                where[local] = np.arange(at, at + len(local))
                rows.update({doc_id: range(int(where[a]), int(where[a]) + n) for doc_id, a, n in mine})
                postings.append((Postings.load(folder / KEYWORD), where))
                parts.append(open_part(folder, arrays.load(folder / VECTORS, mmap_mode="r"), where))
                bases.append(sum(len(s) for s in sentence_arrays))
                sentence_arrays.append(arrays.load(folder / SENTENCES, mmap_mode="r"))
                locals_.append(local)
                at += len(local)
            keyword = KeywordIndex(postings, at)
            sentence_vectors = Stacked(sentence_arrays, embedder.dim)
            passages = PassageRows(folders, locals_, bases)
            vectors = Vectors(parts, passages.segment, passages.local)
            by_id = {entry["id"]: folder for entry, folder in zip(manifest["segments"], folders, strict=True)}
            documents = DocumentRecords(manifest["documents"], by_id)
            names = frozenset(json.loads((version / NAMES).read_text(encoding="utf-8")))
        except (OSError, RuntimeError, ValueError, TypeError, KeyError, IndexError) as exc:
            raise QAError(f"the index at {path} is unreadable ({exc}): {rebuild}") from exc
        sentences = manifest.get("counts", {}).get("sentences")
        if at != manifest.get("counts", {}).get("passages") or sentence_vectors.shape != (sentences, embedder.dim):
            raise QAError(f"the index at {path} is inconsistent ({at} passages, {sentences} sentences): {rebuild}")
        index = cls(path, manifest, vectors, sentence_vectors, keyword, passages, documents, embedder, names, rows)
        index.version = str(version)
        index.rebuild = rebuild
        if size > VERIFY_BEFORE_OPENING:
            threading.Thread(target=index._verify, daemon=True, name="qa-verify").start()
        else:
            index.verified.set()
        return index

    def _verify(self) -> None:
        try:
            wrong = damage(Path(self.version), self.manifest, MANIFEST)
        except OSError as exc:
            wrong = f"{exc.filename} could not be read"
        # A version a writer replaced (and deleted) meanwhile is not damaged: the next question reads the new one.
        if wrong is not None and os.path.realpath(self.path) == self.version:
            self.damaged = wrong
        self.verified.set()

    def check(self) -> None:
        """Refuse to answer from an index whose files were found damaged after it opened."""
        if self.damaged is not None:
            raise QAError(f"index damaged: {self.damaged}; {self.rebuild}")

    def title(self, doc_id: str) -> str:
        return self.manifest["documents"][doc_id]["title"]

    def date(self, doc_id: str) -> str:
        """The date the document's file declares (ISO), or "" where it declares none."""
        return self.manifest["documents"][doc_id].get("date") or ""

    # The store interface (qa.store.base), answered from the segments' FAISS indexes and postings.

    def dense_top(self, query: np.ndarray, k: int, doc_ids: Sequence[str] | None, probes: int) -> dict[int, float]:
        rows = None if doc_ids is None else self.rows_for(doc_ids)
        if rows is not None and not len(rows):
            return {}
        return self.vectors.search(query, k, rows, probes)

    def cosines(self, query: np.ndarray, rows: Sequence[int]) -> dict[int, float]:
        return self.vectors.cosines(query, list(rows))

    def keyword_top(self, question: str, k: int, doc_ids: Sequence[str] | None) -> dict[int, float]:
        mask = None
        if doc_ids is not None:
            mask = np.zeros(self.size, dtype=np.float32)
            mask[self.rows_for(doc_ids)] = 1
        return dict(self.keyword.search(question, k, mask))

    def _rows_holding(self, group: Group) -> np.ndarray:
        """The rows holding the group, sorted: the union over its alternatives of their terms' postings' intersection."""
        out = np.empty(0, np.int64)
        for alternative in group:
            every = self.keyword.rows_with(alternative[0])
            for term in alternative[1:]:
                every = np.intersect1d(every, self.keyword.rows_with(term))
            out = every if not len(out) else np.union1d(out, every)
        return out

    def counts(self, groups: Sequence[Group]) -> list[int]:
        return [len(self._rows_holding(g)) for g in groups]

    def holding(self, groups: Sequence[Group], rows: Sequence[int]) -> np.ndarray:
        # The postings are sorted, so a binary search per row and group does it, however long they are.
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros((len(rows), len(groups)), dtype=bool)
        for j, group in enumerate(groups):
            holding = self._rows_holding(group)
            if len(holding) and len(rows):
                at = np.minimum(np.searchsorted(holding, rows), len(holding) - 1)
                out[:, j] = holding[at] == rows
        return out

    def passages_at(self, rows: Sequence[int]) -> list[Passage]:
        return [self.passages[r] for r in rows]

    def sentence_vectors_of(self, passages: Sequence[Passage]) -> list[np.ndarray]:
        return [
            np.asarray(self.sentence_vectors[p.sentence_row : p.sentence_row + len(p.sentences)], np.float32)
            for p in passages
        ]


def _live_documents(manifest: dict) -> dict[str, list[tuple[str, int, int]]]:
    """Per segment, its documents still in the index: (id, first passage line, passage lines), in order."""
    out: dict[str, list[tuple[str, int, int]]] = {}
    for doc_id, entry in manifest["documents"].items():
        out.setdefault(entry["segment"], []).append((doc_id, entry["first"], entry["passages"]))
    for docs in out.values():
        docs.sort(key=lambda d: d[1])
    return out
