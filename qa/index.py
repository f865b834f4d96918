"""The index on disk: a folder of plain files, built atomically, loaded with its manifest checked.

Layout of `index/NAME/` (a symlink to the version folder `.NAME.<stamp>` beside it, swapped atomically
when a build finishes, so a failed or killed build never touches the index in use):

    manifest.json     format, model and weights hash, vector size, settings, documents, counts
    vectors.faiss     FAISS IndexIDMap2 over IndexFlatIP; id i = line i of passages.jsonl
    sentences.npy     float16 vectors of every sentence, so answer sentences are picked without the model
    names.json        proper names learned from the documents (a signal for "who" and "which" answers)
    keyword/          the BM25 index (bm25s's own folder of .npy and .json files); row i = passage i
    passages.jsonl    one Passage a line
    documents.jsonl   one Document a line (cleaned text, so citations can open the whole document)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from qa.abbreviations import learn as learn_abbreviations
from qa.documents import find_files, read_document
from qa.embedding import Embedder, load_embedder
from qa.errors import QAError
from qa.keyword import KeywordIndex
from qa.names import learn_names
from qa.passages import context_of, indexed_text, split_passages
from qa.records import Document, Hit, Passage
from qa.settings import INDEX_FORMAT, Settings

log = logging.getLogger(__name__)

MANIFEST, VECTORS, PASSAGES, DOCUMENTS = "manifest.json", "vectors.faiss", "passages.jsonl", "documents.jsonl"
SENTENCES, NAMES = "sentences.npy", "names.json"


@dataclass(frozen=True)
class BuildReport:
    path: str
    documents: int
    passages: int
    skipped: dict[str, str]  # path of each file that could not be read -> why, in one line
    seconds: float
    encode_seconds: float
    reused: int = 0  # documents whose vectors were kept from the previous index


def _write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale_builds(root: Path, name: str) -> None:
    """Version folders left by builds that were killed: their process is gone and no link names them."""
    current = os.path.realpath(root / name)
    for path in root.glob(f".{name}.*"):
        pid = path.name.rsplit("-", 1)[-1]
        alive = pid.isdigit() and Path(f"/proc/{pid}").exists() and int(pid) != os.getpid()
        if path.is_dir() and os.path.realpath(path) != current and not alive:
            shutil.rmtree(path, ignore_errors=True)


def _publish(version: Path, target: Path) -> None:
    """Point `target` at `version` in one atomic rename, then drop the version it pointed at before."""
    previous = os.path.realpath(target) if target.is_symlink() else None
    if target.exists() and not target.is_symlink():
        # An index folder not made by this code: move it aside so the link can take its name.
        aside = target.with_name(f".{target.name}.replaced-{os.getpid()}")
        target.rename(aside)
        previous = str(aside)
    link = target.with_name(f".{target.name}.link-{os.getpid()}")
    if link.is_symlink():
        link.unlink()
    link.symlink_to(version.name)
    os.replace(link, target)
    _fsync_dir(target.parent)
    if previous and previous != os.path.realpath(version):
        shutil.rmtree(previous, ignore_errors=True)


def number_sentences(passages: list[Passage]) -> tuple[list[Passage], list[str]]:
    """Give each distinct sentence a row; passages (which overlap) learn the row of their first one."""
    rows: dict[tuple[str, int, int], int] = {}
    texts: list[str] = []
    numbered = []
    for p in passages:
        for a, b in p.sentences:
            key = (p.doc_id, a, b)
            if key not in rows:
                rows[key] = len(texts)
                texts.append(p.text[a - p.start : b - p.start])
        first = rows[(p.doc_id, *p.sentences[0])]
        # A passage's sentences are consecutive in its document, so their rows are too.
        if [rows[(p.doc_id, a, b)] for a, b in p.sentences] != list(range(first, first + len(p.sentences))):
            raise RuntimeError(f"sentence rows of a passage of {p.doc_id} are not consecutive")
        numbered.append(replace(p, sentence_row=first))
    return numbered, texts


@dataclass
class _Part:
    """One document's passages (sentence rows counted from 0 within it) and, once embedded, vectors."""

    sha256: str
    passages: list[Passage]
    vectors: np.ndarray | None = None
    sentence_vectors: np.ndarray | None = None
    sentence_texts: list[str] | None = None  # only for a document still to embed
    title: str = ""


def split_document(doc: Document, embedder: Embedder, settings: Settings) -> list[Passage]:
    """The document's passages, sized so that each with its context fits the model's window."""
    passages = split_passages(doc, embedder.count_tokens, settings.passage_tokens, settings.overlap_sentences)
    contexts = {context_of(doc.title, p.section) for p in passages}
    room = embedder.max_text_tokens - max(embedder.count_tokens(sorted(contexts)), default=0) - 2
    if room <= settings.passage_tokens:
        return passages  # a context too long to fit whole: the model cuts its tail, never the passage's text
    return split_passages(doc, embedder.count_tokens, settings.passage_tokens, settings.overlap_sentences, room)


def _embed_parts(parts: list[_Part], embedder: Embedder, show_progress: bool) -> None:
    """Embed the passages (with their context) and sentences of `parts` in one call: the model batches by length."""
    texts = [indexed_text(p, part.title) for part in parts for p in part.passages]
    texts += [t for part in parts for t in part.sentence_texts]
    if not texts:
        return
    vectors = embedder.encode(texts, show_progress=show_progress)
    at, sentence_at = 0, sum(len(part.passages) for part in parts)
    for part in parts:
        part.vectors = vectors[at : at + len(part.passages)]
        part.sentence_vectors = vectors[sentence_at : sentence_at + len(part.sentence_texts)]
        at += len(part.passages)
        sentence_at += len(part.sentence_texts)


def _manifest_if_built_with(path: Path, settings: Settings) -> dict | None:
    """The manifest of the index at `path` if it has this format and these index settings, else None."""
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    same = manifest.get("format") == INDEX_FORMAT and manifest.get("settings") == settings.index_params()
    return manifest if same else None


def _reusable_parts(path: Path, settings: Settings, embedder: Embedder) -> dict[str, _Part]:
    """The documents of the index at `path` with their passages and vectors, if it was built the same way."""
    import faiss

    manifest = _manifest_if_built_with(path, settings)
    if manifest is None or (manifest.get("weights_sha256"), manifest.get("dim")) != (
        embedder.weights_sha256,
        embedder.dim,
    ):
        return {}
    try:
        faiss_index = faiss.read_index(str(path / VECTORS))
        passages = [Passage.from_dict(row) for row in _read_jsonl(path / PASSAGES)]
        sentence_vectors = np.load(path / SENTENCES)
    except (OSError, RuntimeError, ValueError, TypeError, KeyError):
        return {}  # nothing usable: embed everything
    rows_of: dict[str, list[int]] = {}
    for row, p in enumerate(passages):
        rows_of.setdefault(p.doc_id, []).append(row)
    parts = {}
    for doc_id, rows in rows_of.items():
        sha256 = manifest.get("documents", {}).get(doc_id, {}).get("sha256")
        if not sha256:
            continue
        doc_passages = [passages[r] for r in rows]
        first = min(p.sentence_row for p in doc_passages)
        last = max(p.sentence_row + len(p.sentences) for p in doc_passages)
        parts[doc_id] = _Part(
            sha256=sha256,
            passages=[replace(p, sentence_row=p.sentence_row - first) for p in doc_passages],
            vectors=faiss_index.reconstruct_batch(np.array(rows, dtype=np.int64)),
            sentence_vectors=sentence_vectors[first:last].astype(np.float32),
        )
    return parts


def build_index(
    docs_dir: str | Path,
    name: str,
    settings: Settings = Settings(),
    show_progress: bool = False,
    embedder: Embedder | None = None,
) -> BuildReport:
    """Read, split, embed and store every document under `docs_dir` as index `name`.

    Documents whose content is unchanged since the current index `name` keep their passages and
    vectors; only new and changed ones are embedded. The new index replaces the old atomically.
    """
    import faiss

    started = time.perf_counter()
    root = Path(docs_dir)
    files = find_files(root)
    embedder = embedder or load_embedder(settings.model, settings.batch_size)
    if settings.passage_tokens > embedder.max_text_tokens:
        raise QAError(
            f"passage_tokens={settings.passage_tokens} is over the model's window of "
            f"{embedder.max_text_tokens} word pieces: choose {embedder.max_text_tokens} or fewer"
        )
    index_root = Path(settings.index_root)
    index_root.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(index_root, name)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    version = index_root / f".{name}.{stamp}-{os.getpid()}"
    version.mkdir()
    try:
        docs: list[Document] = []
        skipped: dict[str, str] = {}
        for path in tqdm(files, desc="reading", unit="doc", disable=not show_progress):
            try:
                docs.append(read_document(path, root, show_progress))
            except QAError as exc:
                log.warning("%s", exc)
                skipped[str(path)] = str(exc).removeprefix(f"{path}: ")
        if not docs:
            reasons = "; ".join(f"{Path(p).name}: {why}" for p, why in list(skipped.items())[:3])
            raise QAError(f"no readable documents in {root} ({reasons})")
        # An unchanged document keeps the passages and vectors it has in the current index.
        reusable = _reusable_parts(index_root / name, settings, embedder)
        parts = []
        for doc in docs:
            old = reusable.get(doc.id)
            if old is not None and old.sha256 == doc.sha256:
                parts.append(old)
            else:
                numbered, sentence_texts = number_sentences(split_document(doc, embedder, settings))
                parts.append(_Part(doc.sha256, numbered, sentence_texts=sentence_texts, title=doc.title))
        encode_started = time.perf_counter()
        _embed_parts([part for part in parts if part.vectors is None], embedder, show_progress)
        encode_seconds = time.perf_counter() - encode_started
        passages, offset = [], 0
        for part in parts:  # sentence rows become rows of the whole index
            passages += [replace(p, sentence_row=p.sentence_row + offset) for p in part.passages]
            offset += len(part.sentence_vectors)
        if not passages:
            raise QAError(f"no text to index in {root}")
        vectors = np.concatenate([part.vectors for part in parts])
        sentence_vectors = np.concatenate([part.sentence_vectors for part in parts])
        np.save(version / SENTENCES, sentence_vectors.astype(np.float16))

        faiss_index = faiss.IndexIDMap2(faiss.IndexFlatIP(embedder.dim))
        faiss_index.add_with_ids(vectors, np.arange(len(passages), dtype=np.int64))
        faiss.write_index(faiss_index, str(version / VECTORS))
        titles = {d.id: d.title for d in docs}
        KeywordIndex.build([indexed_text(p, titles[p.doc_id]) for p in passages]).save(version)
        _write_jsonl(version / PASSAGES, (p.to_dict() for p in passages))
        _write_jsonl(version / DOCUMENTS, (d.to_dict() for d in docs))
        (version / NAMES).write_text(
            json.dumps(learn_names(d.text for d in docs), ensure_ascii=False), encoding="utf-8"
        )
        per_doc = {d.id: 0 for d in docs}
        for p in passages:
            per_doc[p.doc_id] += 1
        seconds = time.perf_counter() - started
        manifest = {
            "format": INDEX_FORMAT,
            "model": settings.model,
            "weights_sha256": embedder.weights_sha256,
            "dim": embedder.dim,
            "window": embedder.window,
            "settings": settings.index_params(),
            "source": str(root.resolve()),
            "documents": {d.id: {"sha256": d.sha256, "title": d.title, "passages": per_doc[d.id]} for d in docs},
            # Learned from the documents at each build; questions are expanded with them.
            "abbreviations": learn_abbreviations(d.text for d in docs),
            "counts": {
                "documents": len(docs),
                "passages": len(passages),
                "sentences": len(sentence_vectors),
                "reused_documents": sum(part.sentence_texts is None for part in parts),
                "skipped": len(skipped),
            },
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "build_seconds": round(seconds, 3),
            "versions": _versions(),
        }
        # The manifest goes last: a version folder without one is an unfinished build.
        (version / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        for path in version.rglob("*"):
            if path.is_file():
                with path.open("rb") as f:
                    os.fsync(f.fileno())
        _fsync_dir(version)
        _publish(version, index_root / name)
    except BaseException:
        shutil.rmtree(version, ignore_errors=True)
        raise
    reused = sum(part.sentence_texts is None for part in parts)
    return BuildReport(str(index_root / name), len(docs), len(passages), skipped, seconds, encode_seconds, reused)


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package in ("qa", "sentence-transformers", "faiss-cpu", "torch"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out


def is_current(path: Path, docs_dir: str | Path, settings: Settings) -> bool:
    """Whether the index at `path` was built from exactly these files with these settings."""
    manifest = _manifest_if_built_with(Path(path), settings)
    if manifest is None:
        return False
    root = Path(docs_dir)
    files = {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in find_files(root)}
    built = {doc_id: entry["sha256"] for doc_id, entry in manifest.get("documents", {}).items()}
    # Files skipped as unreadable are not in the manifest; count them as unchanged.
    return all(files.get(doc_id) == digest for doc_id, digest in built.items()) and (
        len(files) - len(built) == manifest.get("counts", {}).get("skipped", 0)
    )


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

    @classmethod
    def load(cls, path: str | Path, model: str | None = None, batch_size: int = 32) -> Index:
        """Load the index at `path`. With `model`, refuse an index that another model built."""
        import faiss

        path = Path(path)
        manifest = read_manifest(path)
        rebuild = f"rebuild it with `qa index DOCS_FOLDER --name {path.name}" + (f" --model {model}`" if model else "`")
        if manifest.get("format") != INDEX_FORMAT:
            raise QAError(
                f"the index at {path} has format {manifest.get('format')}, "
                f"this version reads format {INDEX_FORMAT}: {rebuild}"
            )
        built_with = manifest.get("model")
        if model is not None and model != built_with:
            raise QAError(f"the index at {path} was built with model {built_with!r}, not {model!r}: {rebuild}")
        embedder = load_embedder(built_with, batch_size)
        theirs, ours = manifest.get("weights_sha256"), embedder.weights_sha256
        if theirs and ours and theirs != ours:
            raise QAError(f"the index at {path} was built with other weights of model {built_with!r}: {rebuild}")
        if manifest.get("dim") != embedder.dim:
            raise QAError(
                f"the index at {path} holds vectors of size {manifest.get('dim')}, "
                f"model {built_with!r} makes {embedder.dim}: {rebuild}"
            )
        try:
            faiss_index = faiss.read_index(str(path / VECTORS))
            passages = [Passage.from_dict(row) for row in _read_jsonl(path / PASSAGES)]
            docs = [Document.from_dict(row) for row in _read_jsonl(path / DOCUMENTS)]
            keyword = KeywordIndex.load(path, len(passages))
            sentence_vectors = np.load(path / SENTENCES, mmap_mode="r")
            names = frozenset(json.loads((path / NAMES).read_text(encoding="utf-8")))
        except (OSError, RuntimeError, ValueError, TypeError, KeyError) as exc:
            raise QAError(f"the index at {path} is unreadable ({exc}): {rebuild}") from exc
        sentences = manifest.get("counts", {}).get("sentences")
        if (
            faiss_index.ntotal != len(passages)
            or faiss_index.d != embedder.dim
            or sentence_vectors.shape != (sentences, embedder.dim)
        ):
            raise QAError(
                f"the index at {path} is inconsistent ({faiss_index.ntotal} vectors, {len(passages)} passages): {rebuild}"
            )
        return cls(path, manifest, faiss_index, sentence_vectors, keyword, passages, docs, embedder, names)

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
