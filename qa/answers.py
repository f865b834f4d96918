"""Answers: search, then pick in each passage the sentence that best answers the question."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from qa.errors import QAError
from qa.index import Index
from qa.keyword import stem_words
from qa.records import Answer, Hit
from qa.settings import Settings
from qa.spans import answer_span, answer_type_match

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
    """Stemmed words that carry meaning: "supports" and "supported" count as one."""
    return set(stem_words([w for w in _WORD.findall(text.lower()) if w not in _STOP]))


def overlap(question_words: set[str], sentence: str) -> float:
    """Share of the question's content words that the sentence contains."""
    if not question_words:
        return 0.0
    return len(question_words & content_words(sentence)) / len(question_words)


def sentence_score(
    passage_prior: float,
    similarity: float,
    word_overlap: float,
    weights: tuple[float, float, float] = (0.3, 0.4, 0.3),
    type_match: float = 0.0,
    type_weight: float = 0.0,
) -> float:
    """How well a sentence answers: its passage's standing, its own similarity, its word overlap.

    The passage prior (the hit's score over the best hit's score) keeps the answer in the passages
    retrieval trusts most; similarity and overlap choose among sentences.
    """
    w_prior, w_similarity, w_overlap = weights
    return w_prior * passage_prior + w_similarity * similarity + w_overlap * word_overlap + type_weight * type_match


def pick_sentences(
    index: Index, question: str, query: np.ndarray, hits: list[Hit], settings: Settings = Settings()
) -> list[Hit]:
    """Each hit with its best-answering sentence (offsets and score) filled in.

    `query` is the vector the sentences are compared with: the question's, or for a follow-up the
    mean of the question's and its context's.
    """
    if not hits:
        return hits
    words = content_words(question)
    top = max(h.score for h in hits)
    picked = []
    for hit in hits:
        p = hit.passage
        rows = slice(p.sentence_row, p.sentence_row + len(p.sentences))
        similarities = np.asarray(index.sentence_vectors[rows], dtype=np.float32) @ query
        prior = hit.score / top if top > 0 else 0.0
        scored = []
        for (a, b), sim in zip(p.sentences, similarities, strict=True):
            sentence = p.text[a - p.start : b - p.start]
            score = sentence_score(
                prior,
                float(sim),
                overlap(words, sentence),
                settings.sentence_weights,
                answer_type_match(question, sentence),
                settings.answer_type_weight,
            )
            scored.append((score, (a, b)))
        best_score, (start, end) = max(scored)
        span = answer_span(question, p.text[start - p.start : end - p.start], words)
        span_start, span_end = (start + span[0], start + span[1]) if span else (start, end)
        picked.append(
            replace(
                hit,
                answer_start=start,
                answer_end=end,
                answer_score=best_score,
                span_start=span_start,
                span_end=span_end,
            )
        )
    return picked


def answer(
    question: str,
    index: Index,
    k: int | None = None,
    mode: str | None = None,
    doc_ids: Iterable[str] | None = None,
    settings: Settings = Settings(),
    search_text: str | None = None,
) -> Answer:
    """Search `index` for `question` and return the top-k passages with their answer sentences.

    `search_text`, when given, is what retrieval searches for instead (a follow-up question with its
    conversation's context); the answer sentence is still chosen for `question` itself.
    """
    question = check_question(question, settings)
    k = settings.k if k is None else k
    mode = mode or settings.mode
    if not 1 <= k <= 100:
        raise QAError(f"k={k} is out of range: ask for 1 to 100 passages")
    query = index.embedder.encode_query(question)
    if search_text and search_text.strip() != question:
        search_text = search_text.strip()
        search_query = index.embedder.encode_query(search_text)
        # "When did he respond?" alone matches any response; with its context it matches his.
        sentence_query = (query + search_query) / 2
    else:
        search_text, search_query = question, query
        sentence_query = query
    hits = index.search(search_text, k, mode=mode, doc_ids=doc_ids, settings=settings, query=search_query)
    hits = pick_sentences(index, question, sentence_query, hits, settings)
    abstained = not hits or max(h.similarity for h in hits) < settings.min_score
    return Answer(question=question, hits=hits, abstained=abstained)


__all__ = ["answer", "check_question"]
