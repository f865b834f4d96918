"""Would int8 embeddings do? ONNX Runtime's dynamic int8 quantisation of the embedding model against the
float32 export the product runs (qa.runtime), on the same questions in one run.

    .venv/bin/python benchmarks/int8.py [--questions FILE ...] [--json OUT.json]

The int8 model is made from the product's own export by onnxruntime.quantization.quantize_dynamic and put
where the product looks for its export in a cache folder of its own (QA_CACHE), so `qa eval` runs
unchanged on it: every index is built and every question encoded by the model under test. The bar (issue
27): answers within 0.01 on every set. Also timed: one encode of a sample of passages by each.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.commands import DEFAULT_QUESTIONS  # noqa: E402
from qa.embedding import load_embedder  # noqa: E402
from qa.runtime import cache_dir  # noqa: E402

QA = Path(sys.executable).parent / "qa"
SQUAD = ROOT.parent / "shared" / "bench" / "squad-dev"
FIGURES = ("hit@1", "answer@1", "abstain", "false_abstain")


def evaluate(cache: Path, questions: list[str], docs: dict[str, Path], root: Path) -> dict:
    out = {}
    for path in questions:
        report = root / f"{Path(path).parent.name}-{Path(path).stem}.json"
        command = [QA, "--index-root", str(root), "eval", "--modes", "hybrid", "-q", "--json", str(report)]
        command += ["--questions", str(path), "--docs", str(docs.get(path, ROOT / "seeds" / "docs"))]
        subprocess.run(command, env={**os.environ, "QA_CACHE": str(cache)}, check=True, capture_output=True)
        out[f"{Path(path).parent.name}/{Path(path).stem}"] = json.loads(report.read_text())
    return out


def figures_of(report: dict) -> dict:
    """hit@1, answer@1, abstain and false_abstain of the hybrid mode from a `qa eval --json` report."""
    hybrid = report["modes"]["hybrid"]
    return {k: hybrid[k] for k in FIGURES if k in hybrid}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", nargs="*")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    questions = args.questions or [str(SQUAD / "questions.jsonl"), *DEFAULT_QUESTIONS.split(",")]
    docs = {str(SQUAD / "questions.jsonl"): SQUAD / "docs"}
    from onnxruntime.quantization import QuantType, quantize_dynamic

    embedder = load_embedder()  # makes the float32 export if this machine has none yet
    fp32 = next(cache_dir().glob(f"embedder-{embedder.weights_sha256[:20]}-v*.onnx"))
    with tempfile.TemporaryDirectory() as tmp:
        int8_cache = Path(tmp) / "cache"
        int8_cache.mkdir()
        quantize_dynamic(str(fp32), str(int8_cache / fp32.name), weight_type=QuantType.QInt8)
        for reader in cache_dir().glob("reader-*.onnx"):
            shutil.copyfile(reader, int8_cache / reader.name)
        results = {}
        for name, cache in (("float32", cache_dir()), ("int8", int8_cache)):
            root = Path(tmp) / name
            root.mkdir()
            results[name] = {k: figures_of(v) for k, v in evaluate(cache, questions, docs, root).items()}
        sample = [line for line in (SQUAD / "docs").glob("*.txt") for line in line.read_text().split("\n") if line][
            :400
        ]
        speed = {}
        from qa.embedding import OnnxEmbedder, plain_shape, resolve_model

        location, digest = resolve_model(embedder.name)
        for name, path in (("float32", fp32), ("int8", int8_cache / fp32.name)):
            model = OnnxEmbedder(embedder.name, location, digest, path, plain_shape(location))
            model.encode(sample[:32])
            started = time.perf_counter()
            model.encode(sample)
            speed[name] = time.perf_counter() - started
    out = {"figures": results, "encode_s": speed, "int8_over_float32_time": round(speed["int8"] / speed["float32"], 3)}
    out["largest_change"] = max(
        abs(results["int8"][s][k] - results["float32"][s][k]) for s in results["float32"] for k in results["float32"][s]
    )
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
