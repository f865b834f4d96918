"""An index in Milvus, loaded for questions: the store interface (qa.store.base) answered by the engine.

Dense search is Milvus' approximate index over the passage vectors; keyword search is Milvus' BM25 over
the passages' terms; "how many passages hold this term" and "which of these do" are TEXT_MATCH filters
and a lookup by id. Records are fetched by id in one trip per question step, and kept: a passage id is
never reused, so a kept record is never stale.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from qa.embedding import Embedder, load_embedder
from qa.errors import QAError
from qa.records import Document, Passage
from qa.store.base import Group, collections_of, held
from qa.store.milvus import engine
from qa.store.milvus.engine import HNSW_EF, in_list, prefix, query_ids, quote
from qa.text.terms import query_terms

PASSAGE_FIELDS = ["id", "doc_id", "collection", "start", "end", "page", "section", "paragraph", "sentence_row", "text", "record"]  # fmt: skip
ROW_FIELDS = [*PASSAGE_FIELDS, "terms", "vector"]
KEPT = 1 << 14  # passage records kept in memory


def _passage(row: dict) -> Passage:
    extra = row["record"]
    return Passage(
        doc_id=row["doc_id"], start=row["start"], end=row["end"], text=row["text"], paragraph=row["paragraph"],
        sentences=tuple(tuple(s) for s in extra["sentences"]), sentence_row=row["sentence_row"],
        page=None if row["page"] < 0 else row["page"], last_page=extra.get("last_page"),
        section=row["section"] or None, marks=tuple(tuple(m) for m in extra.get("marks", ())),
        id=row["id"], collection=row["collection"],
    )  # fmt: skip


class _Passages(Sequence):
    """The passages by row (= passage id), fetched from Milvus when asked for and kept with their terms and
    vector: a search hands back all three, so the steps after it (cosines, which rows hold a term, the
    records) cost no further trip."""

    def __init__(self, index: MilvusIndex):
        self.index = index
        self.kept: OrderedDict[int, tuple[Passage, frozenset[str], np.ndarray]] = OrderedDict()
        self.lock = threading.Lock()  # the app answers two questions at once

    def __len__(self) -> int:
        return self.index.size

    def __getitem__(self, row):
        return self.many([int(row)])[0]

    def __iter__(self) -> Iterator[Passage]:
        """Every live passage, by id (rows are passage ids: not 0..n-1, as a change leaves gaps)."""
        rows = engine.query_all(self.index.client, self.index.c["passages"], self.index.live, PASSAGE_FIELDS)
        yield from (_passage(r) for r in sorted(rows, key=lambda r: r["id"]))

    def keep(self, rows: list[dict]) -> None:
        found = {
            r["id"]: (_passage(r), frozenset(r["terms"].split()), np.asarray(r["vector"], np.float32)) for r in rows
        }
        with self.lock:
            self.kept.update(found)
            while len(self.kept) > KEPT:
                self.kept.popitem(last=False)

    def rows(self, rows: Sequence[int]) -> list[tuple[Passage, frozenset[str], np.ndarray]]:
        with self.lock:
            found = {r: self.kept[r] for r in rows if r in self.kept}
        missing = [r for r in dict.fromkeys(rows) if r not in found]
        if missing:
            fetched = query_ids(self.index.client, self.index.c["passages"], "id", missing, ROW_FIELDS)
            self.keep(fetched)
            found.update(
                (r["id"], (_passage(r), frozenset(r["terms"].split()), np.asarray(r["vector"], np.float32)))
                for r in fetched
            )
        try:
            return [found[r] for r in rows]
        except KeyError as exc:
            raise IndexError(f"no passage {exc.args[0]} in the index") from None

    def many(self, rows: Sequence[int]) -> list[Passage]:
        return [passage for passage, _, _ in self.rows(rows)]


class _Documents(Mapping):
    """The documents by id: their entries from the manifest, their text fetched when asked for."""

    def __init__(self, index: MilvusIndex):
        self.index = index
        self.kept: OrderedDict[str, Document] = OrderedDict()
        self.lock = threading.Lock()

    def __getitem__(self, doc_id: str) -> Document:
        entries = self.index.manifest["documents"]
        if doc_id not in entries:
            raise KeyError(doc_id)
        with self.lock:
            document = self.kept.get(doc_id)
        if document is None:
            key = entries[doc_id]["key"]
            rows = self.index.client.query(
                self.index.c["documents"], filter=f"key == {quote(key)}", output_fields=["record"]
            )
            text = engine.read_text(self.index.client, self.index.c["texts"], key)
            if not rows or text is None:
                raise QAError(f"document {doc_id!r} is missing from the Milvus store: rebuild it with `qa index`")
            document = Document.from_dict({**rows[0]["record"], "text": text})
            with self.lock:
                self.kept[doc_id] = document
                while len(self.kept) > 64:
                    self.kept.popitem(last=False)
        return document

    def __iter__(self) -> Iterator[str]:
        return iter(self.index.manifest["documents"])

    def __len__(self) -> int:
        return len(self.index.manifest["documents"])

    def __contains__(self, doc_id) -> bool:
        return doc_id in self.index.manifest["documents"]


def read_manifest(client, name: str, where: str) -> tuple[dict, list[str]]:
    """The committed manifest with its documents (as the local store's manifest has them), and the owners
    a commit retired that are not deleted yet (readers leave them out)."""
    meta = engine.read_meta(client, name)
    if meta is None:
        raise QAError(
            f"no index {name!r} in the Milvus store {where}: build it with `qa index DOCS_FOLDER --name {name} --store ...`"
        )
    if meta.get("format") != engine.MILVUS_FORMAT:
        raise QAError(
            f"the index {name!r} in {where} was made by another version (format {meta.get('format')}, "
            f"this one reads {engine.MILVUS_FORMAT}): rebuild it with `qa index`"
        )
    c = prefix(name)
    missing = [f"{c}_{kind}" for kind in engine.KINDS if not client.has_collection(f"{c}_{kind}")]
    if missing:
        raise QAError(
            f"the index {name!r} in {where} is missing its collection {missing[0]}: rebuild it with `qa index`"
        )
    retired = []
    if meta.get("retired"):
        retired = json.loads(engine.read_text(client, f"{c}_texts", f"retired@{meta['gen']}") or "[]")
    live = f"gen <= {meta['gen']}" + (f" and not ({in_list('doc_key', retired)})" if retired else "")
    rows = list(engine.query_all(client, f"{c}_documents", live, ["key", "doc_id", "entry"]))
    rows.sort(key=lambda r: (r["entry"]["first"], r["doc_id"]))  # index order: as they were added
    documents = {r["doc_id"]: {**r["entry"], "key": r["key"]} for r in rows}
    return {**meta, "documents": documents}, retired


class MilvusIndex:
    """An index in a Milvus collection set, loaded for questions (qa.store.base.Store)."""

    def __init__(self, client, where: str, name: str, manifest: dict, retired: list[str], embedder: Embedder):
        self.client, self.where, self.name = client, where, name
        self.path = where  # shown in reports, as the local store's folder is
        self.c = {kind: f"{prefix(name)}_{kind}" for kind in engine.KINDS}
        self.manifest = manifest
        self.gen = manifest["gen"]
        self.live = f"gen <= {self.gen}" + (f" and not ({in_list('doc_key', retired)})" if retired else "")
        self.embedder = embedder
        self.size = manifest["counts"]["passages"]
        self.passages = _Passages(self)
        self._counts: dict = {}  # group -> passages holding it, in this generation
        self.documents = _Documents(self)
        self.abbreviations: dict[str, str] = manifest.get("abbreviations", {})
        self.names = frozenset(json.loads(engine.read_text(client, self.c["texts"], f"names@{self.gen}") or "[]"))

    @classmethod
    def open(
        cls, where: str, name: str, model: str | None = None, batch_size: int = 32, embedder: Embedder | None = None
    ) -> MilvusIndex:
        client = engine.connect(where)
        manifest, retired = read_manifest(client, name, where)
        rebuild = f"rebuild it with `qa index DOCS_FOLDER --name {name} --store ...`"
        built_with = manifest.get("model")
        if model is not None and model != built_with:
            raise QAError(
                f"the index {name!r} in {where} was built with model {built_with!r}, not {model!r}: {rebuild}"
            )
        if embedder is None or embedder.name != built_with:
            embedder = load_embedder(built_with, batch_size)
        if manifest.get("weights_sha256") and manifest["weights_sha256"] != embedder.weights_sha256:
            raise QAError(
                f"the index {name!r} in {where} was built with other weights of model {built_with!r}: {rebuild}"
            )
        if manifest.get("dim") != embedder.dim:
            raise QAError(f"the index {name!r} in {where} holds vectors of size {manifest.get('dim')}, model {built_with!r} makes {embedder.dim}: {rebuild}")  # fmt: skip
        return cls(client, where, name, manifest, retired, embedder)

    def _where(self, doc_ids: Sequence[str] | None) -> str:
        return self.live if doc_ids is None else f"{self.live} and {in_list('doc_id', doc_ids)}"

    # The store interface (qa.store.base).

    def dense_top(self, query: np.ndarray, k: int, doc_ids: Sequence[str] | None, probes: int) -> dict[int, float]:
        found = self.client.search(
            self.c["passages"], data=[np.asarray(query, np.float32).tolist()], anns_field="vector", limit=k,
            filter=self._where(doc_ids), search_params={"metric_type": "IP", "params": {"ef": max(HNSW_EF, k)}},
            output_fields=ROW_FIELDS,
        )  # fmt: skip
        self.passages.keep([h["entity"] for h in found[0]])
        return {int(h["id"]): float(h["distance"]) for h in found[0]}

    def cosines(self, query: np.ndarray, rows: Sequence[int]) -> dict[int, float]:
        rows = list(rows)
        return {row: float(vector @ query) for row, (_, _, vector) in zip(rows, self.passages.rows(rows), strict=True)}

    def keyword_top(self, question: str, k: int, doc_ids: Sequence[str] | None) -> dict[int, float]:
        wanted = query_terms(question)
        if not wanted:
            return {}
        found = self.client.search(
            self.c["passages"], data=[" ".join(wanted)], anns_field="sparse", limit=k, filter=self._where(doc_ids),
            search_params={"metric_type": "BM25"}, output_fields=ROW_FIELDS,
        )  # fmt: skip
        self.passages.keep([h["entity"] for h in found[0]])
        # Milvus Lite reports BM25 negated (smaller is better); a server reports it as it is.
        return {int(h["id"]): abs(float(h["distance"])) for h in found[0] if h["distance"]}

    @staticmethod
    def _matches(group: Group) -> str:
        return " or ".join(
            "(" + " and ".join(f"TEXT_MATCH(terms, {quote(t)})" for t in alternative) + ")" for alternative in group
        )

    def counts(self, groups: Sequence[Group]) -> list[int]:
        # One count a group (Milvus counts one filter a query); kept for this generation, as words recur.
        for group in groups:
            if group not in self._counts:
                found = self.client.query(
                    self.c["passages"], filter=f"{self.live} and ({self._matches(group)})", output_fields=["count(*)"]
                )
                self._counts[group] = int(found[0]["count(*)"])
        return [self._counts[g] for g in groups]

    def holding(self, groups: Sequence[Group], rows: Sequence[int]) -> np.ndarray:
        out = np.zeros((len(rows), len(groups)), dtype=bool)
        for i, (_, have, _) in enumerate(self.passages.rows(list(rows))):
            out[i] = [held(g, have) for g in groups]
        return out

    def passages_at(self, rows: Sequence[int]) -> list[Passage]:
        return self.passages.many(rows)

    def sentence_vectors_of(self, passages: Sequence[Passage]) -> list[np.ndarray]:
        ids = [p.sentence_row + i for p in passages for i in range(len(p.sentences))]
        found = query_ids(self.client, self.c["sentences"], "id", list(dict.fromkeys(ids)), ["id", "vector"])
        vectors = {r["id"]: r["vector"] for r in found}
        try:
            return [
                np.asarray([vectors[p.sentence_row + i] for i in range(len(p.sentences))], np.float32).reshape(
                    len(p.sentences), self.embedder.dim
                )
                for p in passages
            ]
        except KeyError as exc:
            raise QAError(
                f"sentence {exc.args[0]} is missing from the Milvus store: rebuild it with `qa index`"
            ) from None

    def title(self, doc_id: str) -> str:
        return self.manifest["documents"][doc_id]["title"]

    def date(self, doc_id: str) -> str:
        return self.manifest["documents"][doc_id].get("date") or ""

    def collections(self) -> dict[str, list[str]]:
        """Each collection's document ids, in index order."""
        return collections_of(self.manifest)

    def refreshed(self) -> MilvusIndex:
        meta = engine.read_meta(self.client, self.name)
        if meta is None or meta.get("gen") == self.gen:
            return self
        manifest, retired = read_manifest(self.client, self.name, self.where)
        return MilvusIndex(self.client, self.where, self.name, manifest, retired, self.embedder)

    def check(self) -> None:
        """Milvus keeps its own data whole (its write-ahead log); nothing here to verify."""
