"""The index's version folders: what one holds, how a change reads the current one and writes the next.

Layout of `index/NAME/` (a link to its version folder, qa.store.local.versions):

    manifest.json     format, model and weights hash, vector size, settings, collections, documents (each
                      with its segment), the segments in order with the documents removed from each,
                      abbreviations, counts, and every other file's SHA-256, size and time
    learned.json      the documents' summed counts for abbreviations and names (qa.text.learned)
    names.json        the proper names learned from the documents
    segments/<id>/    the documents one change added (qa.store.local.segments); never rewritten

A change writes a new version folder holding its own new segment (if it adds anything) and hard links
to the files of the segments it keeps: the cost of a change follows what it adds, not the index's size.
When removed passages outweigh the live ones, or segments pile up, the change merges every segment
into one instead.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from qa.embedding import Embedder
from qa.errors import QAError
from qa.records import Document
from qa.settings import INDEX_FORMAT, IndexSettings, Settings
from qa.store.base import Stored, Written, batches, listing, versions  # noqa: F401  (listing: re-exported)
from qa.store.local.segments import DocumentRecords, SegmentWriter, read_segment, segment_parts
from qa.store.local.versions import damage, file_record, fsync_dir, fsync_tree, publish, stat_damage
from qa.text.learned import Learned

MANIFEST, NAMES, SEGMENTS = "manifest.json", "names.json", "segments"
MAX_SEGMENTS = 16  # more, and a change merges them: every question looks into each


@dataclass
class Current:
    """What the index holds now, for a change to start from: its manifest, read, not its files."""

    manifest: dict
    entries: dict[str, dict]  # doc_id -> its manifest entry (sha256, collection, segment...), in index order
    next_id: int  # the next passage id: ids are never reused
    reusable: bool  # same format, settings and model: its segments are kept as they are
    version: Path | None = None  # the version folder read
    damaged: str | None = None  # what is wrong with its files, when something is

    def documents(self, doc_ids: list[str]) -> list[Document]:
        """The stored records of these documents, read from their segments (and nothing else)."""
        segments = {e["segment"] for e in self.entries.values()}
        records = DocumentRecords(self.entries, {sid: self.version / SEGMENTS / sid for sid in segments})
        return [records[d] for d in doc_ids]


def read_manifest(path: Path) -> dict:
    if not path.exists():
        raise QAError(f"no index at {path}: build it with `qa index DOCS_FOLDER --name {path.name}`")
    try:
        return json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise QAError(f"the index at {path} is unreadable ({exc}): rebuild it with `qa index`") from exc


def _manifest(path: Path) -> dict | None:
    try:
        return json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def manifest_if_built_with(path: Path, settings: Settings) -> dict | None:
    """The manifest of the index at `path` if it has this format and these index settings, else None."""
    manifest = _manifest(path)
    same = manifest is not None and manifest.get("format") == INDEX_FORMAT
    return manifest if same and manifest.get("settings") == settings.index.to_dict() else None


def built_settings(path: Path, settings: Settings) -> Settings:
    """`settings` with the index-defining fields the index at `path` was built with, if there is one:
    adding a file to an index must not change how its passages are cut."""
    manifest = _manifest(path)
    if manifest is None:
        return settings
    built = IndexSettings.from_dict(
        {**manifest.get("settings", {}), "model": manifest.get("model", settings.index.model)}
    )
    return replace(settings, index=built)


def is_loadable_format(path: Path) -> bool:
    """Whether there is an index at `path` in the format this version reads (else: build it anew)."""
    return (_manifest(Path(path)) or {}).get("format") == INDEX_FORMAT


def load_current(path: Path, settings: Settings, embedder: Embedder) -> Current:
    """The index at `path` as a change sees it. Its segments are reused when it was built the same way by
    the same model; otherwise its documents are cut and embedded anew (a change of settings must not lose
    another collection's documents); an index in another format, or unreadable, starts empty. Its files
    are checked by size and time (a full checksum is for loading: a change must not read the whole index)."""
    manifest = _manifest(path)
    if manifest is None or manifest.get("format") != INDEX_FORMAT:
        return Current({}, {}, 0, False)
    version = Path(os.path.realpath(path))
    next_id = manifest.get("next_passage_id", 0)
    wrong = stat_damage(version, manifest)
    if wrong is not None:
        return Current(manifest, {}, next_id, False, version, damaged=wrong)
    same = manifest_if_built_with(path, settings) is not None and (
        manifest.get("weights_sha256"), manifest.get("dim")) == (embedder.weights_sha256, embedder.dim)  # fmt: skip
    return Current(manifest, dict(manifest.get("documents", {})), next_id, same, version)


def write_version(
    root: Path,
    name: str,
    base: Current | None,
    parts: list[Stored],
    removed: set[str],
    embedder: Embedder,
    settings: Settings,
    next_id: int,
    collections: dict,
    skipped: int = 0,
    embed: Callable[[list[Stored]], None] | None = None,
) -> Written:
    """Write the next version of index `name` and publish it: `base`'s segments when reusable, less the
    documents `removed` (and those of `parts` it holds, which they replace), plus `parts` as a new
    segment. Without a reusable base, `parts` are the whole index.

    With `embed`, parts still to embed are embedded a batch at a time, written, and their vectors let go:
    memory does not grow with the number of new documents."""
    reuse = base is not None and base.reusable
    old = base.manifest if reuse else {}
    held = set(base.entries) if reuse else set()
    removed = (set(removed) | {p.document.id for p in parts}) & held
    kept = {d: e for d, e in base.entries.items() if d not in removed} if reuse else {}
    if not kept and not any(p.passages for p in parts):
        raise QAError("no text to index: every document is empty")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    version = root / f".{name}.{stamp}-{os.getpid()}"
    version.mkdir()
    try:
        new_parts, reused = parts, len(kept)
        segments = {s["id"]: {**s, "removed": list(s["removed"])} for s in old.get("segments", [])}
        for d in sorted(removed):  # their rows stay in the segment's files, skipped when it is read
            s = segments[base.entries[d]["segment"]]
            s["removed"].append(d)
            s["live"] -= base.entries[d]["passages"]
        segments = {sid: s for sid, s in segments.items() if s["live"] > 0}  # wholly removed: dropped
        dead = sum(s["passages"] - s["live"] for s in segments.values())
        live = sum(e["passages"] for e in kept.values())
        if reuse and (dead > live or len(segments) >= MAX_SEGMENTS):
            # Merge: the kept documents are read back whole (vectors too) and written as one new segment.
            old_parts = []
            for s in segments.values():
                segment = read_segment(base.version / SEGMENTS / s["id"], set(s["removed"]))
                old_parts += segment_parts(segment, kept)
            parts, segments, kept = old_parts + parts, {}, {}
        files, entries = {}, dict(kept)
        for sid in segments:
            prefix = f"{SEGMENTS}/{sid}/"
            for rel, record in old["files"].items():
                if rel.startswith(prefix):
                    (version / rel).parent.mkdir(parents=True, exist_ok=True)
                    os.link(base.version / rel, version / rel)
                    files[rel] = record
        segments = list(segments.values())
        if parts:
            sid = f"s{old.get('next_segment', 1):06d}"
            writer = SegmentWriter(version / SEGMENTS / sid, embedder.dim, settings.index.approximate_from)
            for batch in batches(parts):
                if embed is not None and any(part.vectors is None for part in batch):
                    embed([part for part in batch if part.vectors is None])
                writer.add(batch)
                for part in batch:
                    d = part.document
                    entries[d.id] = {
                        "sha256": d.sha256, "title": d.title, "collection": d.collection,
                        "passages": len(part.passages), "pages": len(d.pages) or None,
                        "indexed_at": part.indexed_at, "date": d.date or None, "segment": sid,
                    }  # fmt: skip
                    part.vectors = part.sentence_vectors = None  # written: let them go
            for doc_id, where in writer.close().items():
                entries[doc_id].update(where)
            count, sentences = writer.rows, writer.sentence_rows
            segments.append({"id": sid, "passages": count, "live": count, "sentences": sentences, "removed": []})
        if reuse:
            learned = Learned.load(base.version)
            learned.remove(d.text for d in base.documents(sorted(removed)))
        else:
            learned = Learned()
        learned.add(p.document.text for p in new_parts)
        learned.save(version)
        (version / NAMES).write_text(json.dumps(learned.names(), ensure_ascii=False), encoding="utf-8")
        fsync_tree(version)
        for path in sorted(version.rglob("*")):
            rel = path.relative_to(version).as_posix()
            if path.is_file() and rel not in files:
                files[rel] = file_record(path)
        manifest = {
            "format": INDEX_FORMAT,
            "model": settings.index.model,
            "weights_sha256": embedder.weights_sha256,
            "dim": embedder.dim,
            "window": embedder.window,
            "settings": settings.index.to_dict(),
            "collections": collections,
            "documents": entries,
            "segments": segments,
            "next_segment": old.get("next_segment", 1) + 1,
            # Learned from the documents (qa.text.learned); questions are expanded with them.
            "abbreviations": learned.abbreviations(),
            "next_passage_id": next_id,
            "counts": {
                "documents": len(entries),
                "passages": sum(e["passages"] for e in entries.values()),
                "sentences": sum(s["sentences"] for s in segments),
                "segments": len(segments),
                "reused_documents": reused,
                "skipped": skipped,
            },
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": versions(),
            # Every other file's SHA-256 (checked on load), size and time (checked by a change).
            "files": files,
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
    return Written(len(entries), manifest["counts"]["passages"])


__all__ = ["MANIFEST", "NAMES", "SEGMENTS", "Current", "Stored", "damage", "load_current", "write_version"]
