"""The index's files: what a version folder holds, and how one is read back for a change and written.

Layout of `index/NAME/` (a link to its version folder, qa.versions):

    manifest.json     format, model and weights hash, vector size, settings, documents, collections, counts
    vectors.faiss     FAISS IndexIDMap2 over IndexFlatIP; id i = line i of passages.jsonl
    sentences.npy     float16 vectors of every sentence, so answer sentences are picked without the model
    names.json        proper names learned from the documents (a signal for "who" and "which" answers)
    keyword/          the BM25 index (bm25s's own folder of .npy and .json files); row i = passage i
    passages.jsonl    one Passage a line (each with its stable id, never reused)
    documents.jsonl   one Document a line (cleaned text, so citations can open the whole document)
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from qa.abbreviations import learn as learn_abbreviations
from qa.embedding import Embedder
from qa.errors import QAError
from qa.keyword import KeywordIndex
from qa.names import learn_names
from qa.passages import indexed_text
from qa.records import Document, Passage
from qa.settings import INDEX_FORMAT, Settings
from qa.versions import checksums, damage, fsync_dir, publish

MANIFEST, VECTORS, PASSAGES, DOCUMENTS = "manifest.json", "vectors.faiss", "passages.jsonl", "documents.jsonl"
SENTENCES, NAMES = "sentences.npy", "names.json"


def write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@dataclass
class Stored:
    """One document with its passages (sentence rows counted from 0 within it) and, once embedded, vectors."""

    document: Document
    passages: list[Passage]
    vectors: np.ndarray | None = None
    sentence_vectors: np.ndarray | None = None
    sentence_texts: list[str] | None = None  # only for a document still to embed
    indexed_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


@dataclass
class Current:
    """What the index holds now, for a change to start from."""

    parts: dict[str, Stored]  # doc_id -> its part, in index order
    manifest: dict
    next_id: int  # the next passage id: ids are never reused
    loadable: bool
    damaged: str | None = None  # what is wrong with its files, when something is


def manifest_if_built_with(path: Path, settings: Settings) -> dict | None:
    """The manifest of the index at `path` if it has this format and these index settings, else None."""
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    same = manifest.get("format") == INDEX_FORMAT and manifest.get("settings") == settings.index_params()
    return manifest if same else None


def built_settings(path: Path, settings: Settings) -> Settings:
    """`settings` with the index-defining fields the index at `path` was built with, if there is one:
    adding a file to an index must not change how its passages are cut."""
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return settings
    built = {k: v for k, v in manifest.get("settings", {}).items() if k in settings.INDEX_FIELDS}
    return replace(settings, **{**built, "model": manifest.get("model", settings.model)})


def load_stored(path: Path, settings: Settings, embedder: Embedder) -> Current:
    """The documents of the index at `path`, with their passages and vectors when it was built the same
    way by the same model. Otherwise its documents only (to be cut and embedded anew: a change of
    settings must not lose the documents of another collection), or nothing when it cannot be read."""
    import faiss

    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        documents = [Document.from_dict(row) for row in read_jsonl(path / DOCUMENTS)]
    except (OSError, ValueError, TypeError, KeyError):
        return Current({}, {}, 0, False)
    if manifest.get("format") != INDEX_FORMAT:
        return Current({}, {}, 0, False)  # another version's records: build anew from the folder
    wrong = damage(Path(os.path.realpath(path)), manifest, MANIFEST)
    if wrong is not None:
        return Current({}, manifest, manifest.get("next_passage_id", 0), False, damaged=wrong)
    stale = Current({d.id: Stored(d, []) for d in documents}, manifest, manifest.get("next_passage_id", 0), False)
    same = manifest_if_built_with(path, settings) is not None and (
        manifest.get("weights_sha256"), manifest.get("dim")) == (embedder.weights_sha256, embedder.dim)  # fmt: skip
    if not same:
        return stale
    try:
        faiss_index = faiss.read_index(str(path / VECTORS))
        passages = [Passage.from_dict(row) for row in read_jsonl(path / PASSAGES)]
        sentence_vectors = np.load(path / SENTENCES)
    except (OSError, RuntimeError, ValueError, TypeError, KeyError):
        return stale  # vectors unusable: embed everything again
    rows_of: dict[str, list[int]] = {}
    for row, p in enumerate(passages):
        rows_of.setdefault(p.doc_id, []).append(row)
    entries = manifest.get("documents", {})
    parts = {}
    for doc in documents:
        rows = rows_of.get(doc.id)
        if not rows or doc.id not in entries:
            continue
        doc_passages = [passages[r] for r in rows]
        first = min(p.sentence_row for p in doc_passages)
        last = max(p.sentence_row + len(p.sentences) for p in doc_passages)
        parts[doc.id] = Stored(
            document=doc,
            passages=[replace(p, sentence_row=p.sentence_row - first) for p in doc_passages],
            vectors=faiss_index.reconstruct_batch(np.array(rows, dtype=np.int64)),
            sentence_vectors=sentence_vectors[first:last].astype(np.float32),
            indexed_at=entries[doc.id].get("indexed_at", ""),
        )
    next_id = max(manifest.get("next_passage_id", 0), max((p.id + 1 for p in passages), default=0))
    return Current(parts, manifest, next_id, True)


@dataclass(frozen=True)
class Written:
    documents: int
    passages: int


def write_version(
    root: Path,
    name: str,
    parts: list[Stored],
    embedder: Embedder,
    settings: Settings,
    next_id: int,
    collections: dict,
    skipped: int = 0,
) -> Written:
    """Write `parts` (every document of the index, embedded) as a new version folder and publish it."""
    import faiss

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    version = root / f".{name}.{stamp}-{os.getpid()}"
    version.mkdir()
    try:
        passages, offset = [], 0
        for part in parts:  # sentence rows become rows of the whole index
            passages += [replace(p, sentence_row=p.sentence_row + offset) for p in part.passages]
            offset += len(part.sentence_vectors)
        if not passages:
            raise QAError("no text to index: every document is empty")
        docs = [part.document for part in parts]
        np.save(version / SENTENCES, np.concatenate([part.sentence_vectors for part in parts]).astype(np.float16))
        faiss_index = faiss.IndexIDMap2(faiss.IndexFlatIP(embedder.dim))
        faiss_index.add_with_ids(
            np.concatenate([part.vectors for part in parts]), np.arange(len(passages), dtype=np.int64)
        )
        faiss.write_index(faiss_index, str(version / VECTORS))
        titles = {d.id: d.title for d in docs}
        KeywordIndex.build([indexed_text(p, titles[p.doc_id]) for p in passages]).save(version)
        write_jsonl(version / PASSAGES, (p.to_dict() for p in passages))
        write_jsonl(version / DOCUMENTS, (d.to_dict() for d in docs))
        (version / NAMES).write_text(
            json.dumps(learn_names(d.text for d in docs), ensure_ascii=False), encoding="utf-8"
        )
        per_doc = {d.id: 0 for d in docs}
        for p in passages:
            per_doc[p.doc_id] += 1
        for path in version.rglob("*"):
            if path.is_file():
                with path.open("rb") as f:
                    os.fsync(f.fileno())
        manifest = {
            "format": INDEX_FORMAT,
            "model": settings.model,
            "weights_sha256": embedder.weights_sha256,
            "dim": embedder.dim,
            "window": embedder.window,
            "settings": settings.index_params(),
            "collections": collections,
            "documents": {
                part.document.id: {
                    "sha256": part.document.sha256,
                    "title": part.document.title,
                    "collection": part.document.collection,
                    "passages": per_doc[part.document.id],
                    "pages": len(part.document.pages) or None,
                    "indexed_at": part.indexed_at,
                }
                for part in parts
            },
            # Learned from the documents at each change; questions are expanded with them.
            "abbreviations": learn_abbreviations(d.text for d in docs),
            "next_passage_id": next_id,
            "counts": {
                "documents": len(docs),
                "passages": len(passages),
                "sentences": offset,
                "reused_documents": sum(part.sentence_texts is None for part in parts),
                "skipped": skipped,
            },
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": versions(),
            # Every other file's SHA-256: loading checks them, so a damaged index is refused, never used.
            "files": checksums(version, MANIFEST),
        }
        # The manifest goes last: a version folder without one is an unfinished change.
        with (version / MANIFEST).open("w", encoding="utf-8") as f:
            f.write(json.dumps(manifest, indent=2, ensure_ascii=False))
            f.flush()
            os.fsync(f.fileno())
        fsync_dir(version)
        publish(version, root / name)
    except BaseException:
        shutil.rmtree(version, ignore_errors=True)
        raise
    return Written(len(docs), len(passages))


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package in ("qa", "sentence-transformers", "faiss-cpu", "torch"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out


def is_loadable_format(path: Path) -> bool:
    """Whether there is an index at `path` in the format this version reads (else: build it anew)."""
    try:
        return json.loads((Path(path) / MANIFEST).read_text(encoding="utf-8")).get("format") == INDEX_FORMAT
    except (OSError, ValueError):
        return False


def read_manifest(path: Path) -> dict:
    if not path.exists():
        raise QAError(f"no index at {path}: build it with `qa index DOCS_FOLDER --name {path.name}`")
    try:
        return json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise QAError(f"the index at {path} is unreadable ({exc}): rebuild it with `qa index`") from exc
