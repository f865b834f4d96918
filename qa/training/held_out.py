"""The reader's held-out figures, logged at each checkpoint: AUC overall, against each kind of made negative,
and over the questions worded apart from their answer sentence as people word theirs."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from qa.training.batching import collate
from qa.training.pairs import Example, worded_apart


def evaluate(model, tokenizer, held: list[Example], max_tokens: int, size: int = 64) -> dict:
    """Held-out figures: AUC of answer logits (positives against all negatives), and how often the
    positive outranks every negative of its question (accuracy@1 among that question's pairs)."""
    import torch

    model.eval()
    scores = []
    with torch.inference_mode():
        for b in range(0, len(held), size):
            encoded, *_ = collate(tokenizer, held[b : b + size], max_tokens)
            scores.append(model(**encoded.to(next(model.parameters()).device))[0].float().cpu().numpy())
    model.train()
    scores = np.concatenate(scores) if scores else np.zeros(0)
    labels = np.array([e.label for e in held])
    kinds = np.array([e.kind for e in held])
    # Each kind of made negative against every positive: does the reader rank what answers above it?
    by_kind = {
        f"held_out_auc_{kind}": round(
            auc(labels[(labels == 1) | (kinds == kind)], scores[(labels == 1) | (kinds == kind)]), 4
        )
        for kind in sorted(set(kinds[labels == 0]))
    }
    by_question = defaultdict(list)
    for s, e in zip(scores, held, strict=True):
        by_question[e.question].append((s, e.label))
    answered = [max(v, key=lambda p: p[0])[1] == 1.0 for v in by_question.values() if any(lab for _, lab in v)]
    # The questions worded apart from their answer sentence, as people word theirs (qa.training.pairs).
    worded = {e.question for e in held if e.label == 1 and e.kind == "prose" and worded_apart(e.question, e.sentence)}
    apart = np.array([e.question in worded for e in held], dtype=bool)
    return {
        "held_out_auc": round(auc(labels, scores), 4),
        "held_out_accuracy_at_1": round(float(np.mean(answered)), 4) if answered else 0.0,
        "held_out_pairs": len(held),
        **by_kind,
        "held_out_worded_auc": round(auc(labels[apart], scores[apart]), 4),
        "held_out_worded_questions": len(worded),
    }


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    pos, neg = scores[labels == 1], scores[labels == 0]
    if not len(pos) or not len(neg):
        return 0.0
    ranks = np.argsort(np.argsort(np.r_[pos, neg])) + 1
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))
