"""The reader's training data, made from ../shared/train by a fixed recipe.

The recipe, one question at a time (`examples_of`):
- the positive: the sentence of its paragraph (split as the product splits documents) that holds the
  answer text and shares the most words with the question (SQuAD 1.1's offsets can point at the wrong
  occurrence); the answer's place in it is the span target (none for SelQA, whose answers are whole
  sentences);
- negatives from the same paragraph: the other sentence that shares the most words with the question
  (the hardest) and one other at random;
- a negative from elsewhere in the article: the sentence of another paragraph of the same title that
  shares the most words with the question and does not hold the answer;
- SQuAD 2.0's unanswerable questions (written to look answerable from their paragraph): the two
  sentences that share the most words with the question and one other, all negatives.
Every sentence is read with its context as the product gives it: its title and the sentence before it.

Held out for the figure logged at each checkpoint: the articles whose title hashes to 0 mod 40, never
trained on. The public benchmark (../shared/bench/squad-dev) and the seeds' question sets are never read.
"""

from __future__ import annotations

import gzip
import json
import random
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from qa.answering.reader import context_text
from qa.text.reading import content_words
from qa.text.sentences import sentences


@dataclass(frozen=True)
class Example:
    question: str
    sentence: str
    context: str
    label: float
    span: tuple[int, int]  # the answer's characters in `sentence`; (-1, -1): no span target


def held_out(title: str) -> bool:
    return zlib.crc32(title.encode()) % 40 == 0


def rows_of(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def _split(context: str) -> list[str]:
    return [context[a:b] for a, b in sentences(context)]


def _overlap(words: set[str], sentence: str) -> int:
    return len(words & content_words(sentence))


def _with_context(title: str, sents: list[str], i: int) -> str:
    return context_text(title, sents[i - 1] if i > 0 else "")


def examples_of(row: dict, others: list[str], rng: random.Random, spans: bool = True) -> list[Example]:
    """The training pairs one question gives (the recipe in the module's docstring); `others`: other
    paragraphs of the same article."""
    q, title = row["question"].strip(), row["title"].replace("_", " ")
    sents = _split(row["context"])
    if not sents:
        return []
    words = content_words(q)
    ranked = sorted(range(len(sents)), key=lambda i: (-_overlap(words, sents[i]), rng.random()))
    out = []
    if not row["answerable"]:
        picks = ranked[:2] + rng.sample(ranked[2:], min(1, len(ranked[2:])))
        return [Example(q, sents[i], _with_context(title, sents, i), 0.0, (-1, -1)) for i in picks]
    answer = row["answers"][0]["text"].strip()
    holding = [i for i in ranked if answer and answer in sents[i]]
    if not holding:
        return []  # the answer crosses a sentence boundary: no clean positive
    pos = holding[0]
    at = sents[pos].find(answer)
    span = (at, at + len(answer)) if spans else (-1, -1)
    out.append(Example(q, sents[pos], _with_context(title, sents, pos), 1.0, span))
    rest = [i for i in ranked if answer not in sents[i]]
    picks = rest[:1] + rng.sample(rest[1:], min(1, len(rest[1:])))
    out += [Example(q, sents[i], _with_context(title, sents, i), 0.0, (-1, -1)) for i in picks]
    if others:
        other = _split(rng.choice(others))
        candidates = [i for i in range(len(other)) if answer not in other[i]]
        if candidates:
            i = max(candidates, key=lambda i: _overlap(words, other[i]))
            out.append(Example(q, other[i], _with_context(title, other, i), 0.0, (-1, -1)))
    return out


# Questions taken from each file: sized so that one epoch (about 100,000 pairs) fits about an hour on
# 2 cores at MAX_TOKENS and LAYERS (about 30 pairs a second measured here).
RECIPE = {
    "squad11-train.jsonl.gz": 12000,
    "squad2-dev-train.jsonl.gz": None,  # all: the only real unanswerable questions
    "squadshifts-new-wiki.jsonl.gz": 2000,
    "squadshifts-reddit.jsonl.gz": 2000,
    "squadshifts-amazon-reviews.jsonl.gz": 2000,
    "selqa.jsonl.gz": None,
}


def build_examples(data: Path, recipe: dict, seed: int) -> tuple[list[Example], list[Example]]:
    """(training pairs, held-out pairs) from the files of `recipe`, each file's questions sampled by seed."""
    rng = random.Random(seed)
    train, held = [], []
    for name, count in recipe.items():
        rows = list(rows_of(data / name))
        paragraphs = defaultdict(set)
        for r in rows:
            paragraphs[r["title"]].add(r["context"])
        rng.shuffle(rows)
        taken = 0
        for r in rows:
            held_back = held_out(r["title"])
            if not held_back and count is not None and taken >= count:
                continue
            others = [p for p in paragraphs[r["title"]] if p != r["context"]]
            pairs = examples_of(r, others, rng, spans=not name.startswith("selqa"))
            if held_back:
                held += pairs
            elif pairs:
                train += pairs
                taken += 1
    return train, held


def held_questions(held: list[Example], limit: int, seed: int) -> list[Example]:
    """Whole questions (every pair of each) from the held-out pairs, at most about `limit` pairs."""
    groups = defaultdict(list)
    for e in held:
        groups[e.question].append(e)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    out = []
    for k in keys:
        if len(out) >= limit:
            break
        out += groups[k]
    return out
