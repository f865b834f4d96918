"""The local store and Milvus (Lite) side by side, in one run: quality, speed, opening, memory, indexing.

    .venv/bin/python benchmarks/stores.py [--runs 3] [--docs-for-indexing 300] [--json OUT.json]

- quality: `qa eval` (hybrid, the default reader) on the seeds' two question sets and squad-dev, each
  store building its own index of the same documents: hit@1, MRR@10, answer@1, abstain, and p50/p95 of a
  question (the same questions, one store after the other).
- open: opening the seeds index for questions (the models already loaded), median of --runs fresh
  processes; the resident memory the open store and 20 questions add, and the whole process's.
- indexing: passages a second from scratch, single-process against Ray (local, this machine's CPUs),
  each into both stores, over --docs-for-indexing Wikipedia articles' paragraphs (SQuADShifts' new-wiki
  contexts: used as text only, no questions).
- the approximate index: recall@10 against exact search and the time of a search, for HNSW and
  IVF_FLAT in Milvus Lite, over the same passage vectors (what chose HNSW in qa/store/milvus/engine.py).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from qa.embedding import load_embedder  # noqa: E402
from qa.evaluation.evaluate import evaluate  # noqa: E402
from qa.indexing.build import build_index  # noqa: E402
from qa.settings import Settings  # noqa: E402

SHARED = ROOT.parent / "shared"
SETS = [
    ("seeds", ROOT / "seeds" / "docs", ROOT / "seeds" / "questions.jsonl"),
    ("natural", ROOT / "seeds" / "docs", ROOT / "seeds" / "natural.jsonl"),
    ("squad-dev", SHARED / "bench" / "squad-dev" / "docs", SHARED / "bench" / "squad-dev" / "questions.jsonl"),
]
SHOWN = ("hit@1", "mrr@10", "answer@1", "abstain", "false_abstain", "query_ms_p50", "query_ms_p95")

OPEN = """
import sys, time, json
from qa.settings import Settings
from qa.store import open_store
from qa.answering.answers import answer
from qa.answering.reader import load_reader
from qa.embedding import load_embedder

def rss():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) / 1024

embedder = load_embedder()
load_reader()
before = rss()
started = time.perf_counter()
settings = Settings(index_root=sys.argv[1], store=sys.argv[2])
index = open_store(settings, "seeds", embedder=embedder)
opened = time.perf_counter() - started
questions = [json.loads(l)["question"] for l in open(sys.argv[3])][:20]
for q in questions:
    answer(q, index, settings=settings)
print(json.dumps({"open_s": opened, "store_mb": rss() - before, "rss_mb": rss()}))
"""


def quality(stores: dict[str, Settings]) -> dict:
    out = {}
    for name, docs, questions in SETS:
        for store, settings in stores.items():
            result = evaluate(docs, questions, ["hybrid"], (1, 3, 5, 10), settings, f"bench-{name}")
            out.setdefault(name, {})[store] = {k: result.modes["hybrid"][k] for k in SHOWN}
            print(name, store, out[name][store], flush=True)
    return out


def opening(stores: dict[str, Settings], runs: int) -> dict:
    out = {}
    for store, settings in stores.items():
        build_index(ROOT / "seeds" / "docs", "seeds", settings)
        if settings.store:
            from qa.store.milvus import engine

            engine.close(settings.store.removeprefix("milvus:"))  # the subprocess opens the Lite file
        found = []
        for _ in range(runs):
            done = subprocess.run(
                [sys.executable, "-c", OPEN, settings.index_root, settings.store, str(ROOT / "seeds" / "natural.jsonl")],
                capture_output=True, text=True, check=True, cwd=ROOT,
            )  # fmt: skip
            found.append(json.loads(done.stdout.strip().splitlines()[-1]))
        out[store] = {k: statistics.median(f[k] for f in found) for k in ("open_s", "store_mb", "rss_mb")}
        print("open", store, out[store], flush=True)
    return out


def corpus(folder: Path, n: int) -> Path:
    """n articles of SQuADShifts' new-wiki paragraphs, one file each."""
    articles: dict[str, list[str]] = {}
    with gzip.open(SHARED / "train" / "squadshifts-new-wiki.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            paragraphs = articles.setdefault(row["title"], [])
            if row["context"] not in paragraphs:
                paragraphs.append(row["context"])
    folder.mkdir(parents=True, exist_ok=True)
    for title in sorted(articles)[:n]:
        (folder / f"{title[:80]}.txt").write_text(title.replace("_", " ") + "\n\n" + "\n\n".join(articles[title]))
    return folder


def indexing(stores: dict[str, Settings], docs: Path) -> dict:
    from qa.indexing.ray_index import ray_index

    embedder = load_embedder()
    out = {}
    for store, settings in stores.items():
        for how, run in (("single", build_index), ("ray", ray_index)):
            name = f"throughput-{how}"
            started = time.perf_counter()
            report = run(docs, name, settings, embedder=embedder)
            seconds = time.perf_counter() - started
            out.setdefault(store, {})[how] = {
                "passages": report.passages,
                "seconds": seconds,
                "passages_per_s": report.passages / seconds,
            }
            print("indexing", store, how, out[store][how], flush=True)
    return out


def approximate(where: Path, n: int = 50_000, queries: int = 100) -> dict:
    """Recall@10 and search time of Milvus Lite's approximate indexes against exact search (FLAT)."""
    from pymilvus import DataType, MilvusClient

    rng = np.random.default_rng(0)
    # Clustered vectors, as text embeddings are: random centres, points near them.
    centres = rng.standard_normal((200, 384)).astype(np.float32)
    vectors = centres[rng.integers(0, 200, n)] + 0.6 * rng.standard_normal((n, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    asked = vectors[rng.integers(0, n, queries)] + 0.3 * rng.standard_normal((queries, 384)).astype(np.float32)
    asked /= np.linalg.norm(asked, axis=1, keepdims=True)
    truth = [set(np.argsort(-(vectors @ q))[:10].tolist()) for q in asked]
    client = MilvusClient(str(where / "ann.db"))
    out = {}
    for kind, params, search in (
        ("FLAT", {}, {}),
        ("HNSW", {"M": 16, "efConstruction": 200}, {"ef": 128}),
        ("IVF_FLAT", {"nlist": 448}, {"nprobe": 32}),
    ):
        schema = client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("v", DataType.FLOAT_VECTOR, dim=384)
        index = client.prepare_index_params()
        index.add_index("v", index_type=kind, metric_type="IP", params=params)
        client.create_collection(kind, schema=schema, index_params=index)
        started = time.perf_counter()
        for at in range(0, n, 5000):
            client.insert(kind, [{"id": i, "v": vectors[i].tolist()} for i in range(at, min(n, at + 5000))])
        client.flush(kind)  # sealed into segments, where the index is built (as a change's writer does)
        inserted = time.perf_counter() - started
        times, recall = [], []
        for q, want in zip(asked, truth, strict=True):
            started = time.perf_counter()
            hits = client.search(
                kind, data=[q.tolist()], anns_field="v", limit=10, search_params={"metric_type": "IP", "params": search}
            )
            times.append(time.perf_counter() - started)
            recall.append(len({h["id"] for h in hits[0]} & want) / 10)
        out[kind] = {
            "recall@10": float(np.mean(recall)),
            "search_ms_p50": 1000 * statistics.median(times),
            "insert_s": inserted,
        }
        print("approximate", kind, out[kind], flush=True)
    client.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--docs-for-indexing", type=int, default=300)
    parser.add_argument("--parts", default="quality,open,indexing,approximate")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    parts = args.parts.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        def stores(tag: str) -> dict[str, Settings]:
            return {
                "local": Settings(index_root=str(tmp / f"local-{tag}")),
                "milvus-lite": Settings(
                    index_root=str(tmp / f"unused-{tag}"), store=f"milvus:{tmp / f'milvus-{tag}.db'}"
                ),
            }

        figures = {}
        if "quality" in parts:
            figures["quality"] = quality(stores("quality"))
        if "open" in parts:
            figures["open"] = opening(stores("open"), args.runs)
        if "indexing" in parts:
            figures["indexing"] = indexing(stores("indexing"), corpus(tmp / "wiki", args.docs_for_indexing))
        if "approximate" in parts:
            figures["approximate"] = approximate(tmp)
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
