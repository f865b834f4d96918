"""How far the fitted scorers' signals can go: the ceiling of "not in the documents" and of the answer sentence.

    .venv/bin/python benchmarks/ceiling.py [--rows benchmarks/scorer-features.npz] [--trees]

Reads the sentence rows `benchmarks/fit_scorer.py` saved. For each public set it prints, from the
cross-validated answerability confidence (5 folds by question, as the product's figures):
- its AUC (answerable against unanswerable questions), and
- the share of unanswerable questions declined by the best threshold chosen *on that set's own
  answers* (an oracle: no real threshold does better) at false_abstain 0.05, 0.10 and 0.20.
With --trees, the sentence scorer is also refitted as gradient-boosted trees (a far more flexible
model over the same signals) and its cross-validated answer@1 printed beside the logistic one: when
the flexible model does no better, the signals, not the model, are the limit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import qa.training.fit as F  # noqa: E402
from benchmarks.fit_scorer import FEATURES, SETS  # noqa: E402
from qa.answering.scoring import SENTENCE_FEATURES  # noqa: E402

ANSWERED_SETS = ["squad-dev", "seeds", "natural"]  # sets with both answerable and unanswerable questions


def confidences(t: F.Table) -> np.ndarray:
    """Each question's answerability confidence from the fold that did not see it."""
    fold = np.random.default_rng(F.SEED).permutation(np.arange(len(t.answerable)) % F.FOLDS)
    out = np.zeros(len(t.answerable))
    for f in range(F.FOLDS):
        test, train = np.flatnonzero(fold == f), np.flatnonzero(fold != f)
        sentence, answerable, _ = F.fit(t, train)
        features, _, _ = F._question_rows(t, test, sentence)
        out[test] = answerable.probability(features)
    return out


class Trees:
    """Gradient-boosted trees with the `probability` of qa.answering.scoring.Logistic."""

    def __init__(self, x, y, weights):
        from sklearn.ensemble import HistGradientBoostingClassifier

        self.model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15,
                                                    min_samples_leaf=40, random_state=0)  # fmt: skip
        self.model.fit(x, y, sample_weight=weights)

    def probability(self, x):
        return self.model.predict_proba(np.atleast_2d(x))[:, 1]


def main() -> int:
    from sklearn.metrics import roc_auc_score

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default=str(FEATURES))
    parser.add_argument("--trees", action="store_true", help="also fit the sentence scorer as boosted trees")
    args = parser.parse_args()
    t = F.Table.load(args.rows)
    names = list(SETS)
    conf = confidences(t)
    print("set        AUC    declined at false_abstain <= 0.05 / 0.10 / 0.20 (oracle threshold)")
    for name in ANSWERED_SETS:
        mask = t.dataset == names.index(name)
        yes, c = t.answerable[mask], conf[mask]
        ordered = np.sort(c[yes])
        declined = [(c[~yes] < ordered[int(np.floor(fa * len(ordered)))]).mean() for fa in (0.05, 0.10, 0.20)]
        print(f"{name:10} {roc_auc_score(yes, c):.3f}  " + " / ".join(f"{d:.3f}" for d in declined))
    if args.trees:
        logistic = F.cross_validate(t, names)
        plain = F._logistic

        def trees_for_sentences(x, y, features, groups):
            if tuple(features) == SENTENCE_FEATURES:
                return Trees(x, y, F._balanced(groups))
            return plain(x, y, features, groups)

        F._logistic = trees_for_sentences
        try:
            trees = F.cross_validate(t, names)
        finally:
            F._logistic = plain
        print("\nanswer@1 (cross-validated)  logistic  trees")
        for name in ANSWERED_SETS:
            print(f"{name:27} {logistic[name]['answer@1']:.3f}     {trees[name]['answer@1']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
