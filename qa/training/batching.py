"""The reader's training pairs as batches: a fixed shuffled order of similar lengths, and the tensors of one batch."""

from __future__ import annotations

import random

import numpy as np

from qa.answering.reader import tokenize
from qa.training.pairs import Example


def batches(examples: list[Example], size: int, seed: int) -> list[list[Example]]:
    """Shuffled batches of similar length (less padding), the same for the same seed."""
    rng = random.Random(seed)
    order = list(range(len(examples)))
    rng.shuffle(order)
    chunk = size * 50
    out = []
    for c in range(0, len(order), chunk):
        part = sorted(order[c : c + chunk], key=lambda i: len(examples[i].sentence) + len(examples[i].context))
        out += [[examples[i] for i in part[b : b + size]] for b in range(0, len(part), size)]
    rng.shuffle(out)
    return out


def collate(tokenizer, batch: list[Example], max_tokens: int):
    """Tensors for one batch, pieces as the product makes them (qa.answering.reader.tokenize): answer labels and
    span targets as piece positions (-100: none)."""
    import torch

    encoded, offsets, allowed = tokenize(
        tokenizer, [e.question for e in batch], [(e.sentence, e.context) for e in batch], max_tokens
    )
    starts, ends = [], []
    for row, e in enumerate(batch):
        first = last = -100
        if e.span[0] >= 0:
            for j in np.flatnonzero(allowed[row]):
                a, b = offsets[row, j]
                if first < 0 and b > e.span[0]:
                    first = j
                if a < e.span[1]:
                    last = j
        if first < 0 or last < first:
            first = last = -100
        starts.append(first)
        ends.append(last)
    labels = torch.tensor([e.label for e in batch], dtype=torch.float32)
    return encoded, labels, torch.tensor(starts), torch.tensor(ends), torch.from_numpy(allowed)
