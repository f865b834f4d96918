"""What the stored sentence vectors buy: the answer scorer cross-validated with and without their signals.

    .venv/bin/python benchmarks/sentence_vectors.py

Reads the rows benchmarks/fit_scorer.py saved (benchmarks/scorer-features.npz), so it needs no model:
the signals that come from sentence vectors (sentence cosine, the neighbours' cosine, the gap to the
best) are set to zero, which a logistic regression fits as if they were absent, and both scorers are
cross-validated as qa/answering/scorer.json's figures are (5 folds by question).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.answering.scoring import SENTENCE_FEATURES  # noqa: E402
from qa.training.fit import Table, cross_validate  # noqa: E402

FROM_SENTENCE_VECTORS = ("sentence_cosine", "neighbour_cosine", "sentence_cosine_gap")
SETS = ["squad-dev", "seeds", "natural", "seeds-questions-of-squad-dev", "squad-dev-questions-of-seeds"]


def main() -> None:
    table = Table.load(ROOT / "benchmarks" / "scorer-features.npz")
    with_them = cross_validate(table, SETS)
    table.features = table.features.copy()
    table.features[:, [SENTENCE_FEATURES.index(c) for c in FROM_SENTENCE_VECTORS]] = 0.0
    without = cross_validate(table, SETS)
    print(f"{'set':<12} {'metric':<14} {'with':>6} {'without':>8}")
    for name in SETS[:3]:
        for metric in ("answer@1", "hit@1", "abstain", "false_abstain"):
            print(f"{name:<12} {metric:<14} {with_them[name][metric]:>6.3f} {without[name][metric]:>8.3f}")


if __name__ == "__main__":
    main()
