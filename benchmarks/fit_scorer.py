"""Fit the answer-sentence and "not in the documents" scorers (qa/answering/scorer.json), with cross-validation.

    .venv/bin/python benchmarks/fit_scorer.py [--mode hybrid] [--out qa/answering/scorer.json] [--candidates 4 6 12] [--each 0 1]
    .venv/bin/python benchmarks/fit_scorer.py --rows benchmarks/scorer-features.npz   # refit, no model calls

Asks every question of the public sets (squad-dev and the seeds' two question files) in the default
mode, describes each candidate sentence (qa.answering.scoring.SENTENCE_FEATURES), lets the shipped reader
(qa.answering.reader) read the best 16 of each question's, and fits the two scorers and the reader's two
decisions (qa.answering.verdict). Prints and stores the cross-validated figures (5 folds by question), per set
the scorers' figures of a model fitted on the other sets only, and the abstain trade-off curve;
`--candidates` also prints the reader's figures for other shortlist sizes. The rows, the reader's
logits and spans included, are saved to benchmarks/scorer-features.npz so the test suite can check
the stored figures without either model. About 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SQUAD_DOCS, SQUAD_QUESTIONS = (
    ROOT.parent / "shared/bench/squad-dev/docs",
    ROOT.parent / "shared/bench/squad-dev/questions.jsonl",
)
SEED_DOCS = ROOT / "seeds/docs"
# name: (documents, questions, whether the questions are another corpus's, asked here as unanswerable)
SETS = {
    "squad-dev": (SQUAD_DOCS, SQUAD_QUESTIONS, False),
    "seeds": (SEED_DOCS, ROOT / "seeds/questions.jsonl", False),
    "natural": (SEED_DOCS, ROOT / "seeds/natural.jsonl", False),
    # The cross-corpus check: questions about other documents must be declined.
    "seeds-questions-of-squad-dev": (SQUAD_DOCS, ROOT / "seeds/questions.jsonl", True),
    "squad-dev-questions-of-seeds": (SEED_DOCS, SQUAD_QUESTIONS, True),
}
FEATURES = ROOT / "benchmarks" / "scorer-features.npz"


def main() -> int:
    from qa.evaluation.evaluate import prepare_index
    from qa.evaluation.questions import as_unanswerable, load_questions
    from qa.settings import Settings
    from qa.training.fit import Table, collect, concat, cross_validate, fit

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", default=Settings().mode)
    parser.add_argument("--out", default=str(ROOT / "qa" / "answering" / "scorer.json"))
    parser.add_argument("--rows", help="fit from rows saved by an earlier run instead of asking the questions")
    parser.add_argument(
        "--candidates", type=int, nargs="*", help="also print the reader's figures for these shortlists"
    )
    parser.add_argument(
        "--each", type=int, nargs="*", default=[0], help="with --candidates: each passage's best this many first"
    )
    args = parser.parse_args()
    from qa.answering.reader import load_reader
    from qa.training.fit_reader import CANDIDATES, EACH, cross_validate_reader, fit_reader

    reader = load_reader()
    settings = Settings()
    names = list(SETS)
    if args.rows:
        table = Table.load(args.rows)
    else:
        tables, offset = [], 0
        for d, (name, (docs, questions_path, foreign)) in enumerate(SETS.items()):
            index, _ = prepare_index(docs, f"eval-{'squad-dev' if docs == SQUAD_DOCS else 'seeds'}", settings, False)
            questions = load_questions(questions_path)
            if foreign:
                questions = as_unanswerable(questions)
            tables.append(collect(index, questions, args.mode, settings, dataset=d, offset=offset, reader=reader))
            offset += len(questions)
            print(f"{name}: {len(questions)} questions, {len(tables[-1].features)} sentence rows", flush=True)
        table = concat(tables)
    # Saved either way: the rows the shipped scorer.json was fitted from, in today's columns.
    table.save(FEATURES)
    figures = cross_validate(table, names)
    import numpy as np

    everything = np.arange(len(table.answerable))
    sentence, answerable, threshold = fit(table, everything)
    for n in args.candidates or ():
        for each in args.each:
            shortlisted = cross_validate_reader(table, names, n, each)[0]
            print(f"reader, {n} candidates, {each} of each passage first:", json.dumps(shortlisted), flush=True)
    reader_figures, curves = cross_validate_reader(table, names, CANDIDATES, EACH)
    verdict = fit_reader(table, everything, CANDIDATES, EACH)[0]
    out = {
        "about": "fitted by benchmarks/fit_scorer.py; figures are cross-validated (5 folds by question, seed 0)",
        "mode": args.mode,
        "threshold": round(threshold, 6),
        "sentence": sentence.to_dict(),
        "answerable": answerable.to_dict(),
        "figures": figures,
        "reader": {
            **verdict.to_dict(),
            "about": f"the reader's decisions (qa.answering.verdict) for {reader.name}; figures cross-validated as above",
            "figures": reader_figures,
            "curve": curves,
        },
    }
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({"scorers": figures, "reader": reader_figures, "curve": curves}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
