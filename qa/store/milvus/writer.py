"""Changing an index in Milvus: all of a change, or none of it, though Milvus has no transactions.

A change with generation G (the committed one + 1):
  1. clears what a killed change left: rows of generations above the committed one, and the owners the
     last commit retired if their deletion was cut short;
  2. inserts the new documents, texts, passages and sentences, every row with gen = G (readers filter
     `gen <= committed`: they do not see them yet), and the learned tables for G;
  3. commits: one upsert of the meta row (gen = G, the owners it retires); from here readers see G;
  4. deletes the retired owners' rows and says so in the meta row.
Milvus makes each insert, upsert and delete durable (its write-ahead log); the product adds the order
above and the filter, so a kill -9 at any step leaves the last committed generation readable.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from qa.errors import QAError
from qa.records import Document
from qa.settings import IndexSettings, Settings
from qa.store.base import Stored, Written, batches, versions
from qa.store.milvus import engine
from qa.store.milvus.engine import DUMMY, in_list, prefix, quote, text_rows
from qa.store.milvus.index import read_manifest
from qa.text.learned import Learned
from qa.text.passages import indexed_text
from qa.text.terms import terms

log = logging.getLogger(__name__)

_LOCKS: dict[tuple[str, str], threading.Lock] = {}


@dataclass
class MilvusCurrent:
    """What the index holds when a change starts (qa.store.base.Current)."""

    manifest: dict
    entries: dict[str, dict]
    next_id: int
    reusable: bool
    damaged: str | None = None
    client: object = None
    c: dict | None = None

    def documents(self, doc_ids: list[str]) -> list[Document]:
        out = []
        for doc_id in doc_ids:
            key = self.entries[doc_id]["key"]
            rows = self.client.query(self.c["documents"], filter=f"key == {quote(key)}", output_fields=["record"])
            text = engine.read_text(self.client, self.c["texts"], key)
            out.append(Document.from_dict({**rows[0]["record"], "text": text or ""}))
        return out


class MilvusWriter:
    """Changes index `name` in the Milvus at `where` (a Lite file or milvus://HOST:PORT)."""

    def __init__(self, where: str, name: str):
        self.uri, self.name = where, name
        self.where = f"{where} (collections {prefix(name)}_*)"
        self.c = {kind: f"{prefix(name)}_{kind}" for kind in engine.KINDS}
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = engine.connect(self.uri)
        return self._client

    @contextmanager
    def lock(self) -> Iterator[None]:
        # Milvus has no lock to take. A Lite file is open in one process only; in this process, one change
        # at a time. Against a server the product relies on one writer at a time (README).
        with _LOCKS.setdefault((self.uri, self.name), threading.Lock()):
            yield

    def exists(self) -> bool:
        return engine.read_meta(self.client, self.name) is not None

    def manifest(self) -> dict:
        return read_manifest(self.client, self.name, self.uri)[0]

    def built_settings(self, settings: Settings) -> Settings:
        meta = engine.read_meta(self.client, self.name)
        if meta is None or meta.get("format") != engine.MILVUS_FORMAT:
            return settings
        built = IndexSettings.from_dict({**meta.get("settings", {}), "model": meta.get("model", settings.index.model)})
        return replace(settings, index=built)

    def current(self, settings: Settings, embedder) -> MilvusCurrent:
        meta = engine.read_meta(self.client, self.name)
        if meta is not None and meta.get("format") != engine.MILVUS_FORMAT:
            log.warning("the index %r in %s was made by another version: building it anew", self.name, self.uri)
            self._drop()
            meta = None
        if meta is None:
            self._drop()  # a first build that was killed before its commit left collections behind
            return MilvusCurrent({}, {}, 0, False)
        missing = [c for c in self.c.values() if not self.client.has_collection(c)]
        if missing:  # a sync builds it anew (write drops the rest first); an add refuses (qa.indexing.build)
            return MilvusCurrent(meta, {}, meta["next_passage_id"], False, f"its collection {missing[0]} is missing")
        gen = meta["gen"]
        for kind in engine.KINDS[1:]:  # a killed change's rows: never committed, never seen
            self.client.delete(self.c[kind], filter=f"gen > {gen}")
        if meta.get("retired"):
            self._retire(gen, meta)
        manifest, _ = read_manifest(self.client, self.name, self.uri)
        same = (
            meta.get("settings") == settings.index.to_dict() and meta.get("model") == settings.index.model
            and (meta.get("weights_sha256"), meta.get("dim")) == (embedder.weights_sha256, embedder.dim)
        )  # fmt: skip
        return MilvusCurrent(
            manifest, dict(manifest["documents"]), meta["next_passage_id"], same, None, self.client, self.c
        )

    def _drop(self) -> None:
        for collection in self.c.values():
            if self.client.has_collection(collection):
                self.client.drop_collection(collection)

    def _retire(self, gen: int, meta: dict) -> None:
        """Delete the rows of the owners the commit of `gen` retired, then say they are gone."""
        owners = json.loads(engine.read_text(self.client, self.c["texts"], f"retired@{gen}") or "[]")
        for at in range(0, len(owners), 1024):
            for kind in engine.KINDS[1:]:
                self.client.delete(self.c[kind], filter=in_list("doc_key", owners[at : at + 1024]))
        self._commit({**meta, "retired": 0})
        self.client.delete(self.c["texts"], filter=f"doc_key == {quote(f'retired@{gen}')}")

    def _commit(self, meta: dict) -> None:
        self.client.upsert(
            self.c["meta"],
            [{"key": "manifest", "gen": meta["gen"], "doc_key": "manifest", "body": meta, "v": [0.0] * DUMMY}],
        )

    def write(self, base, parts, removed, embedder, settings, next_id, collections, skipped=0, embed=None) -> Written:
        reuse = base.reusable
        held = set(base.entries) if reuse else set()
        removed = (set(removed) | {p.document.id for p in parts}) & held
        kept = {d: e for d, e in base.entries.items() if d not in removed} if reuse else {}
        if not kept and not any(p.passages for p in parts):
            raise QAError("no text to index: every document is empty")
        meta = base.manifest or None  # the committed meta row (and documents), as current() read it
        if base.damaged or (meta is not None and meta.get("dim") != embedder.dim):
            log.warning(
                "the index %r in %s is damaged or of another vector size: building it anew", self.name, self.uri
            )
            self._drop()
            meta = None
        engine.create(self.client, self.name, embedder.dim)
        old_gen = meta["gen"] if meta else 0
        gen = old_gen + 1
        next_sentence = meta.get("next_sentence_id", 0) if meta else 0
        # Owners this commit retires: replaced and removed documents (all of them when nothing is kept as
        # it was) and the learned tables of the generation before.
        retired = [base.entries[d]["key"] for d in (removed if reuse else base.entries)]
        if meta:
            retired += [f"learned@{old_gen}", f"names@{old_gen}"]
        if reuse and meta:
            learned = Learned.from_json(engine.read_text(self.client, self.c["texts"], f"learned@{old_gen}") or "{}")
            learned.remove(d.text for d in base.documents(sorted(removed)))
        else:
            learned = Learned()
        entries = dict(kept)
        for batch in batches(parts):
            if embed is not None and any(part.vectors is None for part in batch):
                embed([part for part in batch if part.vectors is None])
            for part in batch:
                entries[part.document.id] = self._insert(part, gen, next_sentence)
                next_sentence += len(part.sentence_vectors)
                learned.add([part.document.text])
                part.vectors = part.sentence_vectors = None  # written: let them go
        self.client.insert(self.c["texts"], text_rows(gen, f"learned@{gen}", learned.to_json()))
        # The names can be many: a texts row; the abbreviations go in the meta row, as in the local manifest.
        names = json.dumps(learned.names(), ensure_ascii=False)
        self.client.insert(self.c["texts"], text_rows(gen, f"names@{gen}", names))
        if retired:
            self.client.insert(
                self.c["texts"], text_rows(gen, f"retired@{gen}", json.dumps(retired, ensure_ascii=False))
            )
        committed = {
            "format": engine.MILVUS_FORMAT, "store": "milvus", "model": settings.index.model,
            "weights_sha256": embedder.weights_sha256, "dim": embedder.dim, "window": embedder.window,
            "settings": settings.index.to_dict(), "collections": collections, "gen": gen,
            "next_passage_id": next_id, "next_sentence_id": next_sentence, "retired": len(retired),
            "abbreviations": learned.abbreviations(),
            "counts": {
                "documents": len(entries), "passages": sum(e["passages"] for e in entries.values()),
                "sentences": sum(e["sentences"] for e in entries.values()), "reused_documents": len(kept),
                "skipped": skipped,
            },
            "created": datetime.now(UTC).isoformat(timespec="seconds"), "versions": versions(),
        }  # fmt: skip
        # Sealed into segments, where Milvus builds their indexes: a search of rows still in the growing
        # segment scans them one by one (Milvus Lite took 1.8 s a search over 50,000 unflushed vectors).
        for kind in ("passages", "sentences", "documents", "texts"):
            self.client.flush(self.c[kind])
        self._commit(committed)  # the commit: from here, readers see generation `gen`
        if retired:
            self._retire(gen, committed)
        return Written(len(entries), committed["counts"]["passages"])

    def _insert(self, part: Stored, gen: int, first_sentence: int) -> dict:
        """One document's rows, all of generation `gen`; its manifest entry."""
        d = part.document
        key = f"{d.id}@{gen}"
        entry = {
            "sha256": d.sha256, "title": d.title, "collection": d.collection, "passages": len(part.passages),
            "pages": len(d.pages) or None, "indexed_at": part.indexed_at, "date": d.date or None,
            "first": part.passages[0].id if part.passages else -1, "sentences": len(part.sentence_vectors),
        }  # fmt: skip
        record = {k: v for k, v in d.to_dict().items() if k != "text"}
        common = {"gen": gen, "doc_key": key}
        self.client.insert(self.c["documents"], [{"key": key, **common, "doc_id": d.id, "collection": d.collection, "entry": entry, "record": record, "v": [0.0] * DUMMY}])  # fmt: skip
        self.client.insert(self.c["texts"], text_rows(gen, key, d.text))
        if not part.passages:
            return {**entry, "key": key}
        rows = []
        for p, vector in zip(part.passages, part.vectors, strict=True):
            rows.append({
                "id": p.id, **common, "doc_id": d.id, "collection": d.collection, "start": p.start, "end": p.end,
                "page": -1 if p.page is None else p.page, "section": p.section or "", "paragraph": p.paragraph,
                "sentence_row": first_sentence + p.sentence_row, "text": p.text,
                "record": {"sentences": [list(s) for s in p.sentences], "marks": [list(m) for m in p.marks], "last_page": p.last_page},
                "terms": " ".join(terms(indexed_text(p, d.title))), "vector": vector.astype("float32").tolist(),
            })  # fmt: skip
        for at in range(0, len(rows), 1024):
            self.client.insert(self.c["passages"], rows[at : at + 1024])
        sentences = [
            {"id": first_sentence + i, **common, "vector": v.astype("float32").tolist()}
            for i, v in enumerate(part.sentence_vectors)
        ]
        for at in range(0, len(sentences), 4096):
            self.client.insert(self.c["sentences"], sentences[at : at + 4096])
        return {**entry, "key": key}
