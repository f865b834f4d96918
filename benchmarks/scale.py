"""Scale: a synthetic index of N passages, then opening it, searching it, adding and removing a document.

    .venv/bin/python benchmarks/scale.py [--passages 100000] [--runs 20] [--changes 3] [--json OUT.json]

The index is written through the product's own storage (qa.store.local.storage.write_version). Its text is
recombined from the benchmark documents' sentences (10 passages a document, 3 sentences a passage).
Embedding N passages would take hours here, so a passage's vector is the normalised sum of the real
model vectors of its three sentences: real embeddings recombined, with the clusters real text has (a
fair test for an approximate index, which random vectors are not). Sentence vectors are random.

Opening and searching run in a fresh process (`--open`), so its resident memory is the index's own:
the questions are the benchmarks' real questions; dense search is also run exactly over the same
vectors, for the approximate index's recall@10. Adding a real 2-page document runs the real model on
it; the baseline, in the same run, is embedding that document's texts alone.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.answering.search import search  # noqa: E402
from qa.embedding import load_embedder  # noqa: E402
from qa.evaluation.questions import load_questions  # noqa: E402
from qa.indexing.build import add_files, remove_documents  # noqa: E402
from qa.indexing.parts import number_sentences, split_document  # noqa: E402
from qa.records import Document, Passage  # noqa: E402
from qa.settings import IndexSettings, Settings  # noqa: E402
from qa.store.local.index import Index  # noqa: E402
from qa.store.local.segments import Stored  # noqa: E402
from qa.store.local.storage import write_version  # noqa: E402
from qa.text.documents import read_document, read_folder  # noqa: E402
from qa.text.passages import indexed_text  # noqa: E402
from qa.text.sentences import sentences  # noqa: E402

SQUAD = ROOT.parent / "shared" / "bench" / "squad-dev"
PER_DOC, PER_PASSAGE = 10, 3
PROBES = (8, 16, 32, 64, 128)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_parts(n_passages: int, embedder, seed: int = 0) -> list[Stored]:
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    pool = []
    for doc in [*read_folder(SQUAD / "docs"), *read_folder(ROOT / "seeds" / "docs")]:
        pool += [doc.text[a:b] for a, b in sentences(doc.text)]
    pool_vectors = embedder.encode(pool)
    parts, next_id = [], 0
    for d in range(n_passages // PER_DOC):
        chosen = [[pick.randrange(len(pool)) for _ in range(PER_PASSAGE)] for _ in range(PER_DOC)]
        chunks = [" ".join(pool[i] for i in c) for c in chosen]
        text = "\n\n".join(chunks)
        doc = Document(id=f"synthetic/{d:07d}.txt", title=f"Synthetic document {d}", text=text, sha256=f"{d:064x}",
                       collection="synthetic")  # fmt: skip
        passages, at = [], 0
        for i, chunk in enumerate(chunks):
            spans = tuple((at + a, at + b) for a, b in sentences(chunk))
            passages.append(Passage(doc.id, at, at + len(chunk), chunk, i + 1, spans, id=next_id,
                                    collection="synthetic"))  # fmt: skip
            next_id += 1
            at += len(chunk) + 2
        numbered, sentence_texts = number_sentences(passages)
        vectors = pool_vectors[np.array(chosen)].sum(axis=1)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        sentence_vectors = rng.standard_normal((len(sentence_texts), embedder.dim), dtype=np.float32)
        sentence_vectors /= np.linalg.norm(sentence_vectors, axis=1, keepdims=True)
        parts.append(Stored(doc, numbered, vectors, sentence_vectors.astype(np.float16)))
    return parts


def two_page_document(folder: Path) -> Path:
    """About two pages of real text: the first 6,000 characters of a benchmark article."""
    text = (SQUAD / "docs" / "Rhine.txt").read_text(encoding="utf-8")[:6000]
    path = folder / "two-pages.txt"
    path.write_text(text, encoding="utf-8")
    return path


def open_and_search(path: Path, runs: int) -> dict:
    """In a fresh process: open the index, search it, and measure the approximate index's recall@10."""
    import faiss

    from qa.store.local.vectors import Vectors

    embedder = load_embedder()
    questions = [q.question for q in load_questions(SQUAD / "questions.jsonl")][:300]
    questions += [q.question for q in load_questions(ROOT / "seeds" / "natural.jsonl")]
    queries = embedder.encode([q for q in questions], show_progress=False)
    before = _rss_mb()
    started = time.perf_counter()
    index = Index.load(path, embedder=embedder)
    out = {"open_s": round(time.perf_counter() - started, 2), "open_rss_mb": round(_rss_mb() - before)}
    out["process_rss_mb"] = round(_rss_mb())  # the model and the libraries included
    # A large index's checksums are checked in the background: searches are timed once that is done.
    index.verified.wait()
    out["checksums_checked_s"] = round(time.perf_counter() - started, 2)
    sample = questions[:: max(1, len(questions) // 30)][:30]
    for mode in ("dense", "keyword", "hybrid"):
        times = []
        for _ in range(runs):
            for q in sample:
                vector = queries[questions.index(q)]
                started = time.perf_counter()
                search(index, q, k=5, mode=mode, query=vector)
                times.append((time.perf_counter() - started) * 1000)
        out[f"{mode}_search_ms_p50"] = round(statistics.median(times), 1)
    approximate = any(not isinstance(p.index, faiss.IndexIDMap2) for p in index.vectors.parts)
    out["approximate"] = approximate
    if approximate:
        # Exact search over the same vectors, part by part, as the reference.
        flat = []
        for part in index.vectors.parts:
            exact = faiss.IndexIDMap2(faiss.IndexFlatIP(embedder.dim))
            rows = np.flatnonzero(part.where >= 0)
            for start in range(0, len(rows), 100_000):
                block = rows[start : start + 100_000]
                exact.add_with_ids(np.asarray(part.vectors[block], np.float32), block.astype(np.int64))
            flat.append(part.__class__(exact, part.where, part.vectors, None))
        reference = Vectors(flat, index.vectors.segment_of, index.vectors.local_of)
        truth = [set(reference.search(v, 10)) for v in queries]
        for probes in PROBES:
            times, recall = [], []
            for v, want in zip(queries, truth, strict=True):
                started = time.perf_counter()
                got = index.vectors.search(v, 10, probes=probes)
                times.append((time.perf_counter() - started) * 1000)
                recall.append(len(want & set(got)) / len(want))
            out[f"recall@10_probes_{probes}"] = round(float(np.mean(recall)), 3)
            out[f"dense_ms_p50_probes_{probes}"] = round(statistics.median(times), 2)
    out["rss_after_search_mb"] = round(_rss_mb() - before)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--changes", type=int, default=3, help="rounds of add and remove (medians reported)")
    parser.add_argument("--approximate-from", type=int, default=IndexSettings().approximate_from)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--open", type=Path, help=argparse.SUPPRESS)  # the fresh process's part
    args = parser.parse_args()
    if args.open:
        print(json.dumps(open_and_search(args.open, args.runs)))
        return
    embedder = load_embedder()
    out: dict = {
        "passages": args.passages,
        "approximate_from": args.approximate_from,
        "vectors": "real sentence vectors, recombined (see the docstring)",
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "index"
        root.mkdir()
        settings = Settings(index_root=str(root)).with_(approximate_from=args.approximate_from)
        started = time.perf_counter()
        parts = synthetic_parts(args.passages, embedder)
        out["make_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        write_version(root, "scale", None, parts, set(), embedder, settings, args.passages, {"synthetic": {}})
        out["write_s"] = round(time.perf_counter() - started, 1)
        del parts
        fresh = subprocess.run(
            [sys.executable, __file__, "--open", str(root / "scale"), "--runs", str(args.runs)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        out.update(json.loads(fresh.stdout.strip().splitlines()[-1]))
        doc_path = two_page_document(Path(tmp))
        doc = read_document(doc_path, doc_path.parent)
        passages, sentence_texts = number_sentences(split_document(doc, embedder, settings))
        texts = [indexed_text(p, doc.title) for p in passages] + sentence_texts
        # Medians of --changes rounds: embed the document alone, add it, remove it, remove a synthetic one.
        embed, add, remove, remove_old = [], [], [], []
        for r in range(args.changes):
            started = time.perf_counter()
            embedder.encode(texts)
            embed.append(time.perf_counter() - started)
            started = time.perf_counter()
            add_files([doc_path], "scale", settings, embedder=embedder)
            add.append(time.perf_counter() - started)
            started = time.perf_counter()
            remove_documents(["uploads/two-pages.txt"], "scale", settings, embedder=embedder)
            remove.append(time.perf_counter() - started)
            started = time.perf_counter()
            remove_documents([f"synthetic/{r * 97:07d}.txt"], "scale", settings, embedder=embedder)
            remove_old.append(time.perf_counter() - started)
        out["embed_two_pages_alone_s"] = round(statistics.median(embed), 2)
        out["add_two_pages_s"] = round(statistics.median(add), 2)
        out["add_over_embed_s"] = round(statistics.median(a - e for a, e in zip(add, embed, strict=True)), 2)
        out["remove_it_s"] = round(statistics.median(remove), 2)
        out["remove_a_first_segment_document_s"] = round(statistics.median(remove_old), 2)
        again = Index.load(root / "scale", embedder=embedder)
        out["documents_after"] = len(again.documents)
        out["segments_after"] = again.manifest["counts"]["segments"]
    out["writer_peak_rss_mb"] = round(_peak_mb(), 0)
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
