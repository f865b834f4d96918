"""Which hand-made signals still pay once the reader decides: each removed in turn, cross-validated.

    .venv/bin/python benchmarks/ablation.py [--rows benchmarks/scorer-features.npz]
    .venv/bin/python benchmarks/ablation.py --without sentence_cosine,neighbour_cosine,sentence_cosine_gap

Reads the rows benchmarks/fit_scorer.py saved (no model call), then for every signal of the sentence
scorer (qa.answering.scoring.SENTENCE_FEATURES), of the question (QUESTION_SIGNALS) and of the reader's
verdict (qa.answering.verdict.READER_QUESTION_FEATURES) refits everything without it, 5 folds by
question as fit_scorer does, and prints what each removal changes: answer@1, hit@1, and abstain at the
fitted threshold, per public set. A signal whose removal costs nothing anywhere is one the reader has
made useless.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SETS = ["squad-dev", "seeds", "natural", "seeds-questions-of-squad-dev", "squad-dev-questions-of-seeds"]
FIGURES = ("answer@1", "hit@1", "abstain", "false_abstain")


def run(table, names, reader_drop: tuple[int, ...] = ()) -> dict:
    import qa.training.fit_reader as fit_reader

    original = fit_reader.question_row

    def without(*args):
        row = original(*args)
        row[list(reader_drop)] = 0.0
        return row

    if reader_drop:
        fit_reader.question_row = without
    try:
        figures, curves = fit_reader.cross_validate_reader(table, names)
    finally:
        fit_reader.question_row = original
    out = {name: {k: figures[name][k] for k in FIGURES if k in figures[name]} for name in names}
    for name, curve in curves.items():
        # Abstain where a tenth of the answerable questions are declined: comparable across removals,
        # where the abstain at each fitted threshold moves with its own false_abstain.
        out[name]["abstain@0.10"] = next(p["abstain"] for p in curve if p["false_abstain"] >= 0.095)
    return out


def main() -> int:
    from qa.answering.scoring import QUESTION_SIGNALS, SENTENCE_FEATURES
    from qa.answering.verdict import READER_QUESTION_FEATURES
    from qa.training.fit import Table

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default=str(ROOT / "benchmarks" / "scorer-features.npz"))
    parser.add_argument("--out", help="write every figure here as JSON")
    parser.add_argument(
        "--without", help="comma-separated signals (sentence or verdict) to remove together, and nothing else"
    )
    args = parser.parse_args()
    table = Table.load(args.rows)
    results = {"all": run(table, SETS)}
    print("all", json.dumps(results["all"]), flush=True)
    group = args.without.split(",") if args.without else []
    if group:
        unknown = set(group) - set(SENTENCE_FEATURES) - set(READER_QUESTION_FEATURES)
        if unknown:
            parser.error(f"no such signal: {', '.join(sorted(unknown))}")
        t = Table.load(args.rows)
        t.features[:, [SENTENCE_FEATURES.index(name) for name in group if name in SENTENCE_FEATURES]] = 0.0
        verdict = tuple(READER_QUESTION_FEATURES.index(name) for name in group if name in READER_QUESTION_FEATURES)
        results[f"without:{'+'.join(group)}"] = run(t, SETS, reader_drop=verdict)
    for c, name in enumerate([] if group else SENTENCE_FEATURES):
        t = Table.load(args.rows)
        t.features[:, c] = 0.0
        results[f"sentence:{name}"] = run(t, SETS)
        print(f"sentence:{name}", json.dumps(results[f"sentence:{name}"]), flush=True)
    for c, name in enumerate([] if group else QUESTION_SIGNALS):
        t = Table.load(args.rows)
        t.signals[:, c] = 0.0
        results[f"signal:{name}"] = run(t, SETS)
        print(f"signal:{name}", json.dumps(results[f"signal:{name}"]), flush=True)
    for c, name in enumerate([] if group else READER_QUESTION_FEATURES[: -len(QUESTION_SIGNALS)]):
        results[f"verdict:{name}"] = run(table, SETS, reader_drop=(c,))
        print(f"verdict:{name}", json.dumps(results[f"verdict:{name}"]), flush=True)
    base = results["all"]
    print("\nchange against all signals (answer@1 / abstain at false_abstain 0.10, else at the threshold):")
    for key, figures in results.items():
        cells = []
        for name in SETS:
            a = figures[name].get("answer@1", np.nan) - base[name].get("answer@1", np.nan)
            key_b = "abstain@0.10" if "abstain@0.10" in base[name] else "abstain"
            b = figures[name].get(key_b, np.nan) - base[name].get(key_b, np.nan)
            cells.append(f"{name[:14]:>14} {a:+.3f}/{b:+.3f}")
        print(f"{key:34} " + " ".join(cells))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
