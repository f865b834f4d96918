"""Changing an index one document at a time: sync a folder, add files, remove documents.

Every change goes through the store's writer (qa.store.open_writer): one writer at a time, and a change
that fails or is killed leaves the last committed state. The local store writes a version folder holding
the change's own segment and swaps the index's link to it (qa.store.local.storage); Milvus commits with
one row (qa.store.milvus.writer). Either way a change costs what it adds, not what the index holds.
Unchanged documents keep their passages, ids and vectors; only new and changed ones are embedded.

An index holds collections: `qa index DIR` syncs the index's own collection (named like the index) with
DIR, and its documents keep their path in DIR as id; files added to another collection ("uploads") get
ids that start with its name ("uploads/otters.txt").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from tqdm.auto import tqdm

from qa.embedding import Embedder, load_embedder
from qa.errors import QAError
from qa.hashing import digest as digest_file
from qa.indexing.parts import embed_parts, split_documents
from qa.records import Document
from qa.settings import Settings
from qa.store import open_writer
from qa.store.base import Stored
from qa.text.documents import find_files, read_document

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildReport:
    path: str
    documents: int
    passages: int
    skipped: dict[str, str]  # path of each file that could not be read -> why, in one line
    seconds: float
    encode_seconds: float
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def reused(self) -> int:
        """Documents whose passages and vectors were kept from the index before."""
        return len(self.unchanged)

    def summary(self) -> str:
        counts = f"added {len(self.added)}, updated {len(self.updated)}, removed {len(self.removed)}, unchanged {len(self.unchanged)}"
        skipped = f", skipped {len(self.skipped)}" if self.skipped else ""
        return f"{counts}{skipped}: {self.documents} documents, {self.passages} passages"


def doc_id_for(collection: str, index_name: str, relative: str) -> str:
    """A document's id: its path in the synced folder for the index's own collection, else prefixed."""
    return relative if collection == index_name else f"{collection}/{relative}"


def _change(
    name: str,
    settings: Settings,
    embedder: Embedder | None,
    collection: str,
    files: Iterable[tuple[Path, Path]],
    sync: bool,
    remove: Iterable[str] = (),
    source: str | None = None,
    show_progress: bool = False,
) -> BuildReport:
    """Apply one change to index `name`: read `files` (path, root) into `collection`; with `sync`, remove
    the collection's documents not among them; remove the documents `remove`. One new version, or none
    when nothing changed."""
    started = time.perf_counter()
    embedder = embedder or load_embedder(settings.index.model, settings.batch_size)
    if settings.index.passage_tokens > embedder.max_text_tokens:
        raise QAError(
            f"passage_tokens={settings.index.passage_tokens} is over the model's window of "
            f"{embedder.max_text_tokens} word pieces: choose {embedder.max_text_tokens} or fewer"
        )
    writer = open_writer(settings, name)
    with writer.lock():
        current = writer.current(settings, embedder)
        if current.damaged:
            if not sync:
                raise QAError(f"index damaged: {current.damaged}; rebuild it with `qa index DOCS_FOLDER --name {name}`")
            log.warning("index damaged (%s): building it anew from %s", current.damaged, source)
        manifest = current.manifest
        entries = current.entries  # doc_id -> manifest entry, in index order
        skipped: dict[str, str] = {}
        fresh: dict[str, Document] = {}
        seen: set[str] = set()
        for path, base in tqdm(list(files), desc="reading", unit="doc", disable=not show_progress):
            doc_id = doc_id_for(collection, name, path.relative_to(base).as_posix())
            seen.add(doc_id)
            old = entries.get(doc_id)
            if old is not None and old["sha256"] == digest_file(path) and old["collection"] == collection:
                continue  # unchanged: not even read
            try:
                doc = read_document(path, base, show_progress)
            except QAError as exc:
                log.warning("%s", exc)
                skipped[str(path)] = str(exc).removeprefix(f"{path}: ")
                seen.discard(doc_id)
                continue
            fresh[doc_id] = replace(doc, id=doc_id, collection=collection)
        missing = [d for d in remove if d not in entries]
        if missing:
            raise QAError(f"no document {missing[0]!r} in index {name!r}: `qa list --index {name}` shows them")
        gone = set(remove)
        if sync:
            gone |= {d for d, entry in entries.items() if entry["collection"] == collection and d not in seen}
        # Documents kept from an index built otherwise (its settings or model changed) are cut anew.
        again = [] if current.reusable else [d for d in entries if d not in fresh and d not in gone]
        added = [d for d in fresh if d not in entries]
        updated = [d for d in fresh if d in entries] + again
        unchanged = [d for d in entries if d not in gone and d not in fresh and d not in again]
        if not unchanged and not fresh and not again:
            if not sync and not skipped:
                raise QAError(f"that would leave index {name!r} empty: delete it ({writer.where}) instead")
            where = f" in {source}" if source else ""
            raise QAError(f"no readable documents{where}: the index would be empty ({_reasons(skipped)})")
        report = dict(added=added, updated=updated, removed=sorted(gone), unchanged=unchanged, skipped=skipped)
        if not (added or updated or gone) and current.reusable:
            counts = manifest["counts"]
            seconds = time.perf_counter() - started
            return BuildReport(writer.where, counts["documents"], counts["passages"], seconds=seconds,
                               encode_seconds=0.0, **report)  # fmt: skip
        # The index's order: documents as they were, then the changed and new ones.
        redo = [*current.documents(again), *(fresh[d] for d in fresh)]
        new_parts, next_id = split_documents(redo, embedder, settings, current.next_id)
        encoding = [0.0]
        # Passages and their sentences are what the model embeds: the bar counts both, and moves every
        # few seconds with an estimate of the time left.
        total = sum(len(p.passages) + len(p.sentence_texts) for p in new_parts)
        progress = tqdm(total=total, desc="embedding passages and sentences", unit="text", disable=not show_progress)

        def embed(batch: list[Stored]) -> None:
            started = time.perf_counter()
            embed_parts(batch, embedder, progress.update)
            encoding[0] += time.perf_counter() - started

        collections = dict(manifest.get("collections", {}))
        collections.setdefault(collection, {})
        if source is not None:
            collections[collection] = {"source": source}
        replaced = gone | {d for d in fresh if d in entries}
        written = writer.write(
            current, new_parts, replaced, embedder, settings, next_id, collections, len(skipped), embed
        )
        progress.close()
        encode_seconds = encoding[0]
    seconds = time.perf_counter() - started
    return BuildReport(writer.where, written.documents, written.passages, seconds=seconds,
                       encode_seconds=encode_seconds, **report)  # fmt: skip


def _reasons(skipped: dict[str, str]) -> str:
    if not skipped:
        return "no files"
    return "; ".join(f"{Path(p).name}: {why}" for p, why in list(skipped.items())[:3])


def build_index(
    docs_dir: str | Path,
    name: str,
    settings: Settings = Settings(),
    show_progress: bool = False,
    embedder: Embedder | None = None,
    collection: str | None = None,
) -> BuildReport:
    """Sync index `name` with the folder `docs_dir`: new and changed files are embedded, the documents of
    deleted files removed, the rest kept as they are. Builds the index when there is none."""
    root = Path(docs_dir)
    files = [(path, root) for path in find_files(root)]
    return _change(
        name, settings, embedder, collection or name, files, sync=True, source=str(root.resolve()),
        show_progress=show_progress,
    )  # fmt: skip


def add_files(
    paths: Iterable[str | Path],
    name: str,
    settings: Settings = Settings(),
    collection: str = "uploads",
    show_progress: bool = False,
    embedder: Embedder | None = None,
) -> BuildReport:
    """Add (or update) single files in `collection` of index `name`; their ids are `collection/file name`."""
    files = []
    for path in map(Path, paths):
        if not path.is_file():
            raise QAError(f"no such file: {path}")
        files.append((path, path.parent))
    settings = open_writer(settings, name).built_settings(settings)
    return _change(name, settings, embedder, collection, files, sync=False, show_progress=show_progress)


def remove_documents(
    doc_ids: Iterable[str], name: str, settings: Settings = Settings(), embedder: Embedder | None = None
) -> BuildReport:
    """Remove documents from index `name` by id (`qa list` shows the ids)."""
    ids = list(doc_ids)
    if not ids:
        raise QAError("no document ids given: `qa list` shows them")
    writer = open_writer(settings, name)
    if not writer.exists():
        raise QAError(f"no index {name!r} at {writer.where}")
    settings = writer.built_settings(settings)
    return _change(name, settings, embedder, name, [], sync=False, remove=ids)


def is_current(name: str, docs_dir: str | Path, settings: Settings) -> bool:
    """Whether index `name` (in settings.store) was built from exactly these files with these settings."""
    try:
        manifest = open_writer(settings, name).manifest()
    except QAError:
        return False
    if manifest.get("settings") != settings.index.to_dict() or manifest.get("model") != settings.index.model:
        return False
    root = Path(docs_dir)
    files = {p.relative_to(root).as_posix(): digest_file(p) for p in find_files(root)}
    built = {doc_id: entry["sha256"] for doc_id, entry in manifest.get("documents", {}).items()}
    # Files skipped as unreadable are not in the manifest; count them as unchanged.
    return all(files.get(doc_id) == digest for doc_id, digest in built.items()) and (
        len(files) - len(built) == manifest.get("counts", {}).get("skipped", 0)
    )
