"""Indexing at scale with Ray: documents read, split and embedded as a Ray Data pipeline, written through
the store in batches.

`qa index DIR --ray [ADDRESS]` runs the pipeline on a Ray cluster (a local one when no address is given):
files are read by Ray tasks, then split and embedded by actors that each load the model once. The driver
takes the embedded documents as they come and commits them through the store (local or Milvus) every
COMMIT_PASSAGES passages, so a run that dies (a lost worker Ray could not replace, a killed driver) loses
at most the batch in flight: run it again and the committed documents are unchanged, not embedded again.
Vectors are the single-process path's (same model, same texts; a test holds them equal).
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from qa.embedding import Embedder, load_embedder
from qa.errors import QAError
from qa.hashing import digest as digest_file
from qa.indexing.build import BuildReport, doc_id_for
from qa.indexing.parts import embed_parts, split_documents
from qa.records import Document, Passage
from qa.settings import IndexSettings, Settings
from qa.store import open_writer
from qa.store.base import Stored
from qa.text.documents import find_files, read_document

log = logging.getLogger(__name__)

# Passages committed at a time: a lost run loses at most these; more commits cost the store more merging.
COMMIT_PASSAGES = 20_000
DOCUMENTS_PER_BATCH = 8  # documents an embedding actor takes at once


def _read(row: dict) -> dict:
    """Ray task: one file read into a Document (or why it cannot be)."""
    try:
        doc = read_document(Path(row["path"]), Path(row["base"]))
    except QAError as exc:
        return {"doc_id": row["doc_id"], "path": row["path"], "record": "", "error": str(exc)}
    doc = replace(doc, id=row["doc_id"], collection=row["collection"])
    return {"doc_id": row["doc_id"], "path": row["path"], "record": json.dumps(doc.to_dict()), "error": ""}


SETTINGS_ENV = "QA_RAY_INDEX_SETTINGS"  # how the actors learn the index settings: in their environment


class _SplitAndEmbed:
    """Ray actor: splits documents into passages and embeds them, with the model loaded once."""

    def __init__(self):
        # Settings come in the actor's environment, not as constructor arguments: Ray keeps those in its
        # object store, where a restarted actor may no longer find them.
        given = json.loads(os.environ[SETTINGS_ENV])
        self.settings = Settings(index=IndexSettings.from_dict(given["index"]), batch_size=given["batch_size"])
        self.embedder = load_embedder(self.settings.index.model, self.settings.batch_size, given["device"])

    def __call__(self, batch: dict) -> dict:
        out = {"doc_id": [], "path": [], "error": [], "record": [], "passages": [], "vectors": [], "sentences": []}
        docs = [Document.from_dict(json.loads(r)) if r else None for r in batch["record"]]
        parts, _ = split_documents([d for d in docs if d is not None], self.embedder, self.settings, 0)
        embed_parts(parts, self.embedder)
        done = iter(parts)
        for doc_id, path, error, doc in zip(batch["doc_id"], batch["path"], batch["error"], docs, strict=True):
            part = next(done) if doc is not None else None
            out["doc_id"].append(doc_id)
            out["path"].append(path)
            out["error"].append(error)
            out["record"].append(json.dumps(doc.to_dict()) if doc else "")
            out["passages"].append(json.dumps([p.to_dict() for p in part.passages]) if part else "[]")
            out["vectors"].append(part.vectors.astype(np.float32).tobytes() if part else b"")
            out["sentences"].append(part.sentence_vectors.astype(np.float32).tobytes() if part else b"")
        return out


def _stored(row: dict, dim: int) -> Stored:
    doc = Document.from_dict(json.loads(row["record"]))
    passages = [Passage.from_dict(p) for p in json.loads(row["passages"])]
    vectors = np.frombuffer(row["vectors"], np.float32).reshape(len(passages), dim)
    sentences = np.frombuffer(row["sentences"], np.float32).reshape(-1, dim)
    return Stored(doc, passages, vectors, sentences)


def _start_ray(address: str | None):
    try:
        import ray
    except ImportError:
        raise QAError("indexing with Ray needs the ray extra: pip install 'qa[ray]'") from None
    if ray.is_initialized():
        return ray, False
    try:
        ray.init(address=address or None, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise QAError(
            f"cannot start or reach Ray at {address or 'this machine'} ({exc}): check --ray ADDRESS"
        ) from None
    # Ours counts documents; Ray Data's bars and per-stage log lines would drown it.
    ray.data.DataContext.get_current().enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    return ray, True


def ray_index(
    docs_dir: str | Path,
    name: str,
    settings: Settings = Settings(),
    address: str | None = None,
    show_progress: bool = False,
    collection: str | None = None,
    embedder: Embedder | None = None,
    commit_passages: int = COMMIT_PASSAGES,
) -> BuildReport:
    """Sync index `name` with `docs_dir` as `build_index` does, reading, splitting and embedding on Ray."""
    started = time.perf_counter()
    root = Path(docs_dir)
    collection = collection or name
    embedder = embedder or load_embedder(settings.index.model, settings.batch_size)
    writer = open_writer(settings, name)
    with writer.lock():
        current = writer.current(settings, embedder)
        entries = current.entries
        if entries and not current.reusable and any(e["collection"] != collection for e in entries.values()):
            raise QAError(
                f"index {name!r} was built with other settings and holds other collections: "
                "sync it once without --ray (which cuts every document anew), then use --ray"
            )
        todo, seen, unchanged = [], set(), []
        for path in find_files(root):
            doc_id = doc_id_for(collection, name, path.relative_to(root).as_posix())
            seen.add(doc_id)
            old = entries.get(doc_id)
            if current.reusable and old and old["sha256"] == digest_file(path) and old["collection"] == collection:
                unchanged.append(doc_id)
            else:
                todo.append({"path": str(path), "base": str(root), "doc_id": doc_id, "collection": collection})
        gone = {d for d, e in entries.items() if e["collection"] == collection and d not in seen}
        skipped: dict[str, str] = {}
        unreadable: set[str] = set()
        added, updated = [], []
        committing = 0.0  # seconds spent committing while the pipeline ran: not embedding
        collections = {**current.manifest.get("collections", {}), collection: {"source": str(root.resolve())}}
        encode = 0.0
        batch: list[Stored] = []
        if todo:
            ray, started_ray = _start_ray(address)
            try:
                # Ray Data replaces a lost actor and runs its batch again (its defaults: restarts and retries
                # without limit); a driver that dies leaves the committed batches, and a rerun goes on.
                # An actor a GPU where the cluster has them (each embeds far faster than a CPU), else an actor
                # a CPU.
                gpus = int(ray.cluster_resources().get("GPU", 0))
                where = (
                    {"num_gpus": 1, "concurrency": gpus}
                    if gpus
                    else {"concurrency": (1, max(1, int(ray.cluster_resources().get("CPU", 1))))}
                )
                given = json.dumps(
                    {
                        "index": settings.index.to_dict(),
                        "batch_size": settings.batch_size,
                        "device": "cuda" if gpus else "cpu",
                    }
                )
                dataset = ray.data.from_items(todo).map(_read).map_batches(
                    _SplitAndEmbed, batch_size=DOCUMENTS_PER_BATCH, runtime_env={"env_vars": {SETTINGS_ENV: given}},
                    **where,
                )  # fmt: skip
                progress = tqdm(total=len(todo), desc="indexing (ray)", unit="doc", disable=not show_progress)
                size = 0
                embedding_started = time.perf_counter()
                for row in _rows(ray, dataset):
                    progress.update(1)
                    if row["error"]:
                        log.warning("%s", row["error"])
                        skipped[row["path"]] = row["error"].removeprefix(f"{row['path']}: ")
                        unreadable.add(row["doc_id"])
                        continue
                    part = _stored(row, embedder.dim)
                    (updated if part.document.id in entries else added).append(part.document.id)
                    batch.append(part)
                    size += len(part.passages)
                    if size >= commit_passages:
                        commit_started = time.perf_counter()
                        current = _commit(writer, current, batch, set(), settings, embedder, collections, skipped)
                        committing += time.perf_counter() - commit_started
                        batch, size = [], 0
                encode = time.perf_counter() - embedding_started - committing
                progress.close()
            finally:
                if started_ray:
                    ray.shutdown()
        # A file that cannot be read is gone from the index, as in a sync without Ray.
        gone |= unreadable & set(entries)
        others = [d for d, e in entries.items() if e["collection"] != collection]
        if not (unchanged or added or updated or others):
            raise QAError(f"no readable documents in {root}: the index would be empty")
        if batch or gone:
            current = _commit(writer, current, batch, gone, settings, embedder, collections, skipped)
        counts = writer.manifest()["counts"]
    return BuildReport(
        writer.where, counts["documents"], counts["passages"], skipped, time.perf_counter() - started, encode,
        added=added, updated=updated, removed=sorted(gone), unchanged=unchanged,
    )  # fmt: skip


def _rows(ray, dataset):
    """The pipeline's rows; a failure Ray could not recover from is one line (what was committed is kept)."""
    try:
        yield from dataset.iter_rows()
    except (ray.exceptions.RayError, ValueError, OSError) as exc:
        reason = str(exc).strip().splitlines()[-1][:300]
        raise QAError(f"indexing on Ray failed ({reason}); what was committed is kept: run it again to go on") from None


def _commit(writer, current, parts: list[Stored], removed: set[str], settings, embedder, collections, skipped):
    """One commit of embedded documents (ids given here: they are the store's to hand out); the index as it is after."""
    next_id = current.next_id
    for part in parts:
        part.passages = [
            replace(p, id=next_id + i, collection=part.document.collection) for i, p in enumerate(part.passages)
        ]
        next_id += len(part.passages)
    replaced = set(removed) | {p.document.id for p in parts if p.document.id in current.entries}
    writer.write(current, parts, replaced, embedder, settings, next_id, collections, len(skipped))
    return writer.current(settings, embedder)
