"""Answers: search, then pick in each passage the sentence that best answers the question."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace


from qa.errors import QAError
from qa.index import Index
from qa.records import Answer, Hit
from qa.settings import Settings

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an and are as at be by did do does for from had has have he her his how i in is it its of on or "
    "she that the their them they this to was were what when where which who whom whose why will with "
    "would you your".split()
)


def check_question(question: str, settings: Settings = Settings()) -> str:
    """The question stripped, or a QAError that says what is wrong with it."""
    if not isinstance(question, str) or not question.strip():
        raise QAError("the question is empty: type a question about the documents")
    question = question.strip()
    if len(question) > settings.max_question_chars:
        raise QAError(
            f"the question is {len(question)} characters long, over the limit of {settings.max_question_chars}: "
            "ask something shorter"
        )
    return question


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def overlap(question_words: set[str], sentence: str) -> float:
    """Share of the question's content words that the sentence contains."""
    if not question_words:
        return 0.0
    return len(question_words & content_words(sentence)) / len(question_words)


def sentence_score(passage_score: float, similarity: float, word_overlap: float) -> float:
    # The passage score keeps the answer in the passages retrieval trusts; the sentence's own
    # similarity and word overlap choose among that passage's sentences.
    return 0.4 * passage_score + 0.45 * similarity + 0.15 * word_overlap


def pick_sentences(index: Index, question: str, hits: list[Hit]) -> list[Hit]:
    """Each hit with its best-answering sentence (offsets and score) filled in."""
    spans = [(h_i, s) for h_i, h in enumerate(hits) for s in (h.passage.sentences or ((h.passage.start, h.passage.end),))]
    if not spans:
        return hits
    texts = [hits[h_i].passage.text[a - hits[h_i].passage.start : b - hits[h_i].passage.start] for h_i, (a, b) in spans]
    vectors = index.embedder.encode([question, *texts])
    similarities = vectors[1:] @ vectors[0]
    words = content_words(question)
    best: dict[int, tuple[float, tuple[int, int]]] = {}
    for (h_i, span), text, sim in zip(spans, texts, similarities, strict=True):
        score = sentence_score(hits[h_i].score, float(sim), overlap(words, text))
        if h_i not in best or score > best[h_i][0]:
            best[h_i] = (score, span)
    return [
        replace(h, answer_start=best[i][1][0], answer_end=best[i][1][1], answer_score=best[i][0])
        for i, h in enumerate(hits)
    ]


def answer(
    question: str,
    index: Index,
    k: int | None = None,
    mode: str = "dense",
    doc_ids: Iterable[str] | None = None,
    settings: Settings = Settings(),
) -> Answer:
    """Search `index` for `question` and return the top-k passages with their answer sentences."""
    question = check_question(question, settings)
    k = settings.k if k is None else k
    if not 1 <= k <= 100:
        raise QAError(f"k={k} is out of range: ask for 1 to 100 passages")
    hits = pick_sentences(index, question, index.search(question, k, mode=mode, doc_ids=doc_ids))
    abstained = not hits or max(h.score for h in hits) < settings.min_score
    return Answer(question=question, hits=hits, abstained=abstained)


__all__ = ["answer", "check_question"]
