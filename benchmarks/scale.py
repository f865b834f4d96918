"""Scale: a synthetic index of N passages, then opening it, searching it, adding and removing a document.

    .venv/bin/python benchmarks/scale.py [--passages 100000] [--runs 20] [--json OUT.json]

The index is written through the product's own storage (qa.storage.write_version), in today's format.
Its text is recombined from the benchmark documents' sentences (10 passages a document, 3 sentences a
passage); its passage and sentence vectors are random unit vectors (embedding N passages would take
hours here), so search timings are real and rankings are not. Adding a real 2-page document runs the
real model on it; the baseline, in the same run, is embedding that document's texts alone.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.build import add_files, number_sentences, remove_documents, split_document  # noqa: E402
from qa.documents import read_document, read_folder  # noqa: E402
from qa.embedding import load_embedder  # noqa: E402
from qa.index import Index  # noqa: E402
from qa.passages import indexed_text  # noqa: E402
from qa.records import Document, Passage  # noqa: E402
from qa.segments import Stored  # noqa: E402
from qa.sentences import sentences  # noqa: E402
from qa.settings import Settings  # noqa: E402
from qa.storage import write_version  # noqa: E402

SQUAD = ROOT.parent / "shared" / "bench" / "squad-dev"
PER_DOC, PER_PASSAGE = 10, 3


def _rss_mb() -> float:
    """Resident memory now (not the peak: writing the index came before)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_parts(n_passages: int, dim: int, seed: int = 0) -> list[Stored]:
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    pool = []
    for doc in [*read_folder(SQUAD / "docs"), *read_folder(ROOT / "seeds" / "docs")]:
        pool += [doc.text[a:b] for a, b in sentences(doc.text)]
    parts, next_id = [], 0
    for d in range(n_passages // PER_DOC):
        chunks = [" ".join(pick.choice(pool) for _ in range(PER_PASSAGE)) for _ in range(PER_DOC)]
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
        vectors = rng.standard_normal((len(numbered), dim), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        sentence_vectors = rng.standard_normal((len(sentence_texts), dim), dtype=np.float32)
        sentence_vectors /= np.linalg.norm(sentence_vectors, axis=1, keepdims=True)
        parts.append(Stored(doc, numbered, vectors, sentence_vectors))
    return parts


def two_page_document(folder: Path) -> Path:
    """About two pages of real text: the first 6,000 characters of a benchmark article."""
    text = (SQUAD / "docs" / "Rhine.txt").read_text(encoding="utf-8")[:6000]
    path = folder / "two-pages.txt"
    path.write_text(text, encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--changes", type=int, default=3, help="rounds of add and remove (medians reported)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    embedder = load_embedder()
    settings = Settings()
    out: dict = {"passages": args.passages, "vectors": "random unit vectors (text recombined from the benchmarks)"}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "index"
        root.mkdir()
        settings = Settings(index_root=str(root))
        started = time.perf_counter()
        parts = synthetic_parts(args.passages, embedder.dim)
        out["make_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        write_version(root, "scale", None, parts, set(), embedder, settings, args.passages, {"synthetic": {}})
        out["write_s"] = round(time.perf_counter() - started, 1)
        del parts
        import gc

        gc.collect()
        before = _rss_mb()
        started = time.perf_counter()
        index = Index.load(root / "scale", embedder=embedder)
        out["open_s"] = round(time.perf_counter() - started, 2)
        out["open_rss_growth_mb"] = round(_rss_mb() - before, 0)
        questions = ["Where does the Rhine empty?", "Who ruled the Normans in 1066?", "What rating did the unit get?"]
        vectors = {q: embedder.encode_query(q) for q in questions}
        for mode in ("dense", "keyword", "hybrid"):
            times = []
            for _ in range(args.runs):
                for q in questions:
                    started = time.perf_counter()
                    index.search(q, k=5, mode=mode, query=vectors[q])
                    times.append((time.perf_counter() - started) * 1000)
            out[f"{mode}_search_ms_p50"] = round(statistics.median(times), 1)
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
    out["peak_rss_mb"] = round(_peak_mb(), 0)
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
