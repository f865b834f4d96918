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
  sentences that share the most words with the question and one other, all negatives;
- a near-topic question (every answerable one where it has a name, year or number to swap): the
  question with one of them swapped for another of the same kind from its article, paired with the
  sentence that answered the original, as a negative (qa.training.shapes);
- candidates shaped like documents (qa.training.shapes), each labelled by whether it holds the
  answer: a heading made from the article's title (35% of questions), a lead-in line ending in a colon
  (15%), a list item (15%) and a cell of a flattened table row (10%), each made from the answer
  sentence or, as often, from another sentence of the paragraph.
The paragraph with its answer sentence taken out is what every question's same-paragraph negatives
already are: sentence by sentence, the rest of the paragraph does not answer.
Every sentence is read with its context as the product gives it: its title and the sentence before it.

Worded like people's questions (`worded=True`, a second stage from a trained reader): only the
answerable questions that copy no run of three words from their answer sentence (how the issue defines
a question in a person's own words) and find at most half of their content words in it (SQuAD's
questions find 0.62 on average, questions people word about the seeds about a third), with every
unanswerable one; the pairs each makes are the same as above.

Held out for the figure logged at each checkpoint: the articles whose title hashes to 0 mod 40, never
trained on. The public benchmark (../shared/bench/squad-dev) and the seeds' question sets are never read.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from qa.answering.reader import context_text
from qa.text.reading import content_words
from qa.text.sentences import paragraphs, sentences
from qa.training import shapes


@dataclass(frozen=True)
class Example:
    question: str
    sentence: str
    context: str
    label: float
    span: tuple[int, int]  # the answer's characters in `sentence`; (-1, -1): no span target
    kind: str = "prose"  # which rule of the recipe made it: prose, heading, lead-in, list, table, near-topic


def held_out(title: str) -> bool:
    return zlib.crc32(title.encode()) % 40 == 0


def rows_of(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def _split(context: str) -> list[str]:
    """The context's sentences as the product reads prose: a line break inside a paragraph is a space
    (a reader collapses it; only a code block keeps its lines, and sentences() then keeps it whole)."""
    flat = list(context)
    for a, b in paragraphs(context):
        for i in range(a, b):
            if flat[i] == "\n":
                flat[i] = " "
    context = "".join(flat)
    return [context[a:b] for a, b in sentences(context)]


def _overlap(words: set[str], sentence: str) -> int:
    return len(words & content_words(sentence))


def _with_context(title: str, sents: list[str], i: int) -> str:
    return context_text(title, sents[i - 1] if i > 0 else "")


def examples_of(
    row: dict, others: list[str], rng: random.Random, spans: bool = True, article: shapes.Article | None = None
) -> list[Example]:
    """The training pairs one question gives (the recipe in the module's docstring); `others`: other
    paragraphs of the same article; `article`: what it offers to swap (found from them when not given)."""
    article = article or shapes.Article.of([row["context"], *others])
    q, title = row["question"].strip(), row["title"].replace("_", " ")
    sents = _split(row["context"])
    if not sents:
        return []
    words = content_words(q)
    ranked = sorted(range(len(sents)), key=lambda i: (-_overlap(words, sents[i]), rng.random()))
    article_names = list(article.names)
    out = []
    if not row["answerable"]:
        picks = ranked[:2] + rng.sample(ranked[2:], min(1, len(ranked[2:])))
        out = [Example(q, sents[i], _with_context(title, sents, i), 0.0, (-1, -1)) for i in picks]
        return out + _shaped(q, title, sents, ranked[0], (-1, -1), "", article_names, rng)
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
    if rng.random() < NEAR_TOPIC:
        context = _with_context(title, sents, pos)
        swapped = shapes.swapped_question(q, f"{sents[pos]} {context}", article, rng)
        if swapped:
            out.append(Example(swapped, sents[pos], context, 0.0, (-1, -1), "near-topic"))
    return out + _shaped(q, title, sents, pos, span, answer, article_names, rng)


# Shares of questions that also meet each made candidate (module docstring; qa.training.shapes).
NEAR_TOPIC = 1.0
HEADING, LEAD_IN, LIST_ITEM, TABLE_ROW = 0.35, 0.15, 0.15, 0.1


def _shaped(q, title, sents, pos, span, answer, article_names, rng) -> list[Example]:
    """Candidates shaped like what documents hold beside prose, each labelled by whether it holds the
    answer; `pos`: the sentence that answers (or the closest, for an unanswerable question)."""
    out = []

    def labelled(text: str, context: str, kind: str, moved=(-1, -1)) -> Example:
        # A heading or a lead-in made here says nothing: one that happens to hold the answer's words
        # ("England" in "John, King of England") still does not answer.
        holds = bool(answer) and answer in text and kind not in ("heading", "lead-in")
        if holds and moved[0] < 0:
            at = text.find(answer)
            moved = (at, at + len(answer)) if span[0] >= 0 else (-1, -1)
        return Example(q, text, context, float(holds), moved if holds else (-1, -1), kind)

    if rng.random() < HEADING:
        out.append(labelled(rng.choice(shapes.headings(title, rng)), context_text(title), "heading"))
    if rng.random() < LEAD_IN:
        out.append(labelled(shapes.lead_in(article_names, rng), _with_context(title, sents, pos), "lead-in"))
    # A list item or a table cell answers as often as it does not, as in documents: one made only from
    # answer sentences taught the reader that the shape itself answers (held-out AUC 0.15 against them).
    without = [i for i in range(len(sents)) if i != pos and not (answer and answer in sents[i])]
    if rng.random() < LIST_ITEM:
        i = pos if not without or rng.random() < 0.5 else rng.choice(without)
        item, moved = shapes.as_list_item(sents[i], span if i == pos else (-1, -1))
        out.append(labelled(item, context_text(title), "list", moved))
    if rng.random() < TABLE_ROW and without:
        i = pos if rng.random() < 0.5 else rng.choice(without)
        other = rng.choice([j for j in without if j != i] or without)
        cell, moved = shapes.as_table_row(sents[i], span if i == pos else (-1, -1), sents[other], rng)
        out.append(labelled(cell, context_text(title), "table", moved))
    return out


# Questions taken from each file (None: all). The first reader took 12,000 + 4 x 2,000 of them for an
# hour's epoch; its learning curve was still rising when the rate reached zero, so training now runs
# over all of them (about 125,000 questions, 650,000 pairs: hours on 2 cores, resumable).
RECIPE = {
    "squad11-train.jsonl.gz": None,
    "squad2-dev-train.jsonl.gz": None,  # the only real unanswerable questions
    "squadshifts-new-wiki.jsonl.gz": None,
    "squadshifts-reddit.jsonl.gz": None,
    "squadshifts-amazon-reviews.jsonl.gz": None,
    "selqa.jsonl.gz": None,
}


_WORD = re.compile(r"\w+")


def _runs(text: str) -> set[tuple[str, ...]]:
    w = _WORD.findall(text.lower())
    return {tuple(w[i : i + 3]) for i in range(len(w) - 2)}


def is_worded(row: dict) -> bool:
    """Whether an answerable question is worded apart from its answer sentence (module docstring):
    no run of three words copied from it, and at most WORDED_OVERLAP of its content words in it."""
    answer = row["answers"][0]["text"].strip() if row["answers"] else ""
    holding = [s for s in _split(row["context"]) if answer and answer in s]
    if not holding:
        return False
    words = content_words(row["question"])
    return worded_apart(row["question"], max(holding, key=lambda s: _overlap(words, s)))


def worded_apart(question: str, sentence: str) -> bool:
    """No run of three words of `sentence` in `question`, and at most WORDED_OVERLAP of its content words."""
    words = content_words(question)
    return not (_runs(question) & _runs(sentence)) and _overlap(words, sentence) <= WORDED_OVERLAP * len(words)


WORDED_OVERLAP = 0.5
# The worded stage's questions per file: about 2,000 steps of 32 pairs, unanswerable ones all taken.
WORDED_RECIPE = {
    "squad11-train.jsonl.gz": 7000,
    "squad2-dev-train.jsonl.gz": None,
    "squadshifts-new-wiki.jsonl.gz": 1200,
    "squadshifts-reddit.jsonl.gz": 1200,
    "squadshifts-amazon-reviews.jsonl.gz": 1200,
    "selqa.jsonl.gz": 400,
}


def build_examples(data: Path, recipe: dict, seed: int, worded: bool = False) -> tuple[list[Example], list[Example]]:
    """(training pairs, held-out pairs) from the files of `recipe`, each file's questions sampled by seed;
    `worded`: only the training questions worded like people's (module docstring)."""
    rng = random.Random(seed)
    train, held = [], []
    for name, count in recipe.items():
        rows = list(rows_of(data / name))
        paragraphs = defaultdict(set)
        for r in rows:
            paragraphs[r["title"]].add(r["context"])
        # Sorted: a set's order changes with each process's string hashing, and a resumed run must
        # rebuild exactly the pairs it was trained on.
        paragraphs = {title: sorted(texts) for title, texts in paragraphs.items()}
        articles = {}
        rng.shuffle(rows)
        taken = 0
        for r in rows:
            held_back = held_out(r["title"])
            if not held_back and count is not None and taken >= count:
                continue
            if worded and not held_back and r["answerable"] and not is_worded(r):
                continue
            others = [p for p in paragraphs[r["title"]] if p != r["context"]]
            if r["title"] not in articles:
                articles[r["title"]] = shapes.Article.of(paragraphs[r["title"]])
            pairs = examples_of(r, others, rng, spans=not name.startswith("selqa"), article=articles[r["title"]])
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
