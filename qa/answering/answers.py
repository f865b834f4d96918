"""Answers: search, then pick in each passage the sentence that best answers the question."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from qa.answering.focus import question_focus
from qa.answering.reader import load_reader
from qa.answering.scoring import (
    SENTENCE_FEATURES,
    Scorers,
    add_gaps,
    add_neighbours,
    load_scorers,
    log_words,
    question_features,
)
from qa.answering.search import search
from qa.answering.spans import answer_span, answer_type_match, asked_type, asks_value
from qa.answering.verdict import load_reader_scorers, question_kind, question_row, read_items, read_rows, shortlist
from qa.errors import QAError
from qa.records import Answer, Hit
from qa.settings import Settings
from qa.store.base import Store
from qa.text.abbreviations import expand
from qa.text.names import new_names, new_person
from qa.text.names import words as cased_words
from qa.text.passages import indexed_text
from qa.text.reading import NUMBER, absent_share, content_words, question_names, read_sentence
from qa.text.sentences import code_start

MAX_K = 100


def check_question(question: str, settings: Settings = Settings()) -> str:
    """The question stripped, or a QAError that says what is wrong with it (any value may arrive here:
    the library, the CLI's bytes, /ask's JSON)."""
    if question is not None and not isinstance(question, str):
        raise QAError(f"the question must be text, not {type(question).__name__}: send it as a string")
    if not question or not question.strip():
        raise QAError("the question is empty: type a question about the documents")
    try:
        question.encode("utf-8")
    except UnicodeEncodeError:
        raise QAError("the question is not valid text (it holds bytes that are not UTF-8): retype it") from None
    question = question.strip()
    if len(question) > settings.max_question_chars:
        raise QAError(
            f"the question is {len(question)} characters long, over the limit of {settings.max_question_chars}: "
            "ask something shorter"
        )
    return question


def check_k(k, default: int) -> int:
    """The number of passages to return, or a QAError: a whole number from 1 to MAX_K (2.5 is refused,
    not rounded; so are text, null, NaN and infinity)."""
    if k is None:
        return default
    if isinstance(k, bool) or not isinstance(k, int | float) or not math.isfinite(k) or k != int(k):
        raise QAError(f"k must be a whole number from 1 to {MAX_K}, not {k!r}")
    if not 1 <= k <= MAX_K:
        raise QAError(f"k={int(k)} is out of range: ask for 1 to {MAX_K} passages")
    return int(k)


# Passages whose sentences compete for the answer: the answer is almost always in the top few, and
# deeper passages add candidates that are wrong far more often than right.
POOL = 5


@dataclass
class Candidates:
    """Everything the scorers look at for one question: its hits and a feature row per sentence."""

    question: str
    hits: list[Hit]
    sentences: list[tuple[int, int, int]]  # (hit index, start, end) per row of `features`
    features: np.ndarray  # one row per sentence, columns SENTENCE_FEATURES
    signals: np.ndarray  # QUESTION_SIGNALS


def candidates(
    question: str,
    index: Store,
    k: int,
    mode: str,
    doc_ids: Iterable[str] | None = None,
    settings: Settings = Settings(),
    search_text: str | None = None,
) -> Candidates:
    """Search, then describe every sentence of the hits with the signals the sentence scorer weighs.

    Questions are expanded with the abbreviations learned from the documents ("PCC" also searches
    "Police and Crime Commissioner"); the question's vector is the only model call.
    """
    expanded = expand(question, index.abbreviations)
    query = index.embedder.encode_query(expanded)
    # A follow-up's focus includes its context: "When did he respond?" after a question about Cheshire.
    focus = question_focus(search_text or question, index)
    if search_text and search_text.strip() != question:
        search_text = expand(search_text.strip(), index.abbreviations)
        search_query = index.embedder.encode_query(search_text)
        # "When did he respond?" alone matches any response; with its context it matches his.
        sentence_query = (query + search_query) / 2
    else:
        search_text, search_query, sentence_query = expanded, query, query
    hits = search(
        index, search_text, max(k, POOL), mode=mode, doc_ids=doc_ids, settings=settings, query=search_query, focus=focus
    )
    words = content_words(expanded)
    asked = asked_type(question)
    asked_words = {w.lower() for w in cased_words(question)}
    # "Who is the PCC for Dorset?" already holds the words of "Police and Crime Commissioner".
    expanded_words = {w.lower() for w in cased_words(expanded)}
    hit_rows = np.array([h.row for h in hits], dtype=np.int64)
    held = focus.holds(hit_rows)
    coverage, lacking = focus.coverage(hit_rows, held), focus.heaviest_missing(hit_rows, held)
    rows, where = [], []
    sentence_vectors = index.sentence_vectors_of([h.passage for h in hits])
    for i, hit in enumerate(hits):
        p = hit.passage
        sims = sentence_vectors[i]
        for (a, b), sim in zip(p.sentences, sims @ sentence_query, strict=True):
            sentence = p.text[a - p.start : b - p.start]
            reading = read_sentence(sentence)
            own = reading.words
            named = new_names(reading.cased, asked_words, index.names)
            # A "who" answer is a person the question does not name; a "where" answer, any new name.
            if asked == "person":
                typed = new_person(sentence, expanded_words, index.names)
            else:
                typed = named if asked == "place" else answer_type_match(asked, question, sentence)
            row = {
                "sentence_cosine": float(sim),
                "passage_cosine": hit.similarity,
                "inverse_rank": 1.0 / (i + 1),
                "passage_focus": float(coverage[i]),
                "sentence_focus": focus.sentence_coverage(reading.terms),
                "overlap": len(words & own) / len(words) if words else 0.0,
                "type_match": typed,
                "novelty": len(own - words) / len(own) if own else 0.0,
                "log_words": log_words(reading.length),
                "new_name": named,
                "passage_missing": float(lacking[i]),
            }
            # Neighbours and gaps are filled in below, once every row is known.
            rows.append([row.get(name, 0.0) for name in SENTENCE_FEATURES])
            where.append((i, a, b))
    features = np.array(rows, dtype=np.float64).reshape(-1, len(SENTENCE_FEATURES))
    add_neighbours(features, np.array([i for i, _, _ in where], dtype=np.int64))
    add_gaps(features, np.array([i < POOL for i, _, _ in where], dtype=bool))
    pool_texts = [indexed_text(h.passage, h.title) for h in hits[:POOL]]
    signals = np.array(
        [
            float(asked is not None),
            focus.missing(hit_rows[:POOL], held[:POOL]),
            absent_share(NUMBER.findall(question), pool_texts),
            absent_share(question_names(question, index.names), pool_texts, index.abbreviations),
        ]
    )
    return Candidates(question, hits, where, features, signals)


def _lead_in_end(found: Candidates, row: int) -> int:
    """Where the answer sentence of `row` ends: a lead-in ("Jo Edwards said:") runs on into what it
    introduces, the next sentence of its passage, since the lead-in alone says nothing."""
    i, start, end = found.sentences[row]
    p = found.hits[i].passage
    if p.text[start - p.start : end - p.start].rstrip().endswith(":") and row + 1 < len(found.sentences):
        following = found.sentences[row + 1]
        if following[0] == i:
            return following[2]
    return end


def decide(
    found: Candidates,
    k: int,
    settings: Settings = Settings(),
    scorers: Scorers | None = None,
) -> Answer:
    """The answer from the candidates: each hit's best sentence, the best of all, and whether to abstain.

    With the reader on (settings.reader), the best of all is the reader's verdict (qa.answering.verdict) over the
    sentence scorer's shortlist, and so is the confidence; without it, the scorers' alone. The passage
    that holds the best sentence leads the hits, so the reply's first citation is its answer's.
    """
    scorers = scorers or load_scorers()
    hits = found.hits
    if not hits:
        return Answer(question=found.question, hits=[], abstained=True, confidence=0.0)
    probabilities = scorers.sentence.probability(found.features)
    best_row: dict[int, int] = {}
    for row, (i, _, _) in enumerate(found.sentences):
        if i not in best_row or probabilities[row] > probabilities[best_row[i]]:
            best_row[i] = row
    pool_rows = [r for r, (i, _, _) in enumerate(found.sentences) if i < POOL]
    best, features = question_features(probabilities[pool_rows], found.features[pool_rows], found.signals)
    best = pool_rows[best]
    confidence = float(scorers.answerable.probability(features)[0])
    threshold, reader_name, span_kinds, reader_spans, scores = scorers.threshold, "", (), {}, {}
    high = Answer.high
    reader, verdict = (load_reader(), load_reader_scorers()) if settings.reader != "none" else (None, None)
    if reader is not None and verdict is not None:
        passages = np.array([i for i, _, _ in found.sentences], dtype=np.int64)
        rows = shortlist(probabilities, np.array(pool_rows), verdict.candidates, passages, verdict.each)
        reading = reader.read(found.question, read_items(hits, found.sentences, rows))
        combined = verdict.combiner.probability(
            read_rows(reading.logits, reading.span_scores, probabilities[rows], found.features[rows])
        )
        best = int(rows[int(np.argmax(combined))])
        best_row[found.sentences[best][0]] = best
        row = question_row(reading.logits, reading.span_scores, combined, confidence, found.signals)
        confidence = float(verdict.answerable.probability(row)[0])
        threshold, reader_name, span_kinds, high = verdict.threshold, reader.name, verdict.span_kinds, verdict.high
        reader_spans = {int(r): span for r, span in zip(rows, reading.spans, strict=True) if span[1] > span[0]}
        # A sentence the reader read is scored by its verdict, one probability that it answers as the
        # sentence scorer's is, so a hit's match word (the CLI's and the JSON's) agrees with the confidence.
        scores = {int(r): float(c) for r, c in zip(rows, combined, strict=True)}
    use_reader_span = question_kind(found.question) in span_kinds
    bold_in_code = asks_value(found.question)
    question_words = content_words(found.question)
    picked = []
    for i, hit in enumerate(hits):
        _, start, _ = found.sentences[best_row[i]]
        end = _lead_in_end(found, best_row[i])
        p = hit.passage
        sentence = p.text[start - p.start : end - p.start]
        if use_reader_span and best_row[i] in reader_spans:
            span = reader_spans[best_row[i]]
        else:
            span = answer_span(found.question, sentence, question_words)
        code = code_start(sentence)
        if span and code is not None and span[1] > code and not bold_in_code:
            span = None  # code answers "how do I" whole: a "1" in bold from inside it answers nothing
        span_start, span_end = (start + span[0], start + span[1]) if span else (start, end)
        picked.append(
            replace(
                hit,
                answer_start=start,
                answer_end=end,
                answer_score=scores.get(best_row[i], float(probabilities[best_row[i]])),
                span_start=span_start,
                span_end=span_end,
            )
        )
    picked.insert(0, picked.pop(found.sentences[best][0]))
    picked = [replace(h, rank=rank) for rank, h in enumerate(picked[:k], start=1)]
    abstained = settings.abstain and confidence < threshold
    return Answer(
        question=found.question, hits=picked, abstained=abstained, confidence=confidence, high=high, reader=reader_name
    )


def answer(
    question: str,
    index: Store,
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
    k = check_k(k, settings.k)
    found = candidates(question, index, k, mode or settings.mode, doc_ids, settings, search_text)
    return decide(found, k, settings)


__all__ = ["answer", "candidates", "check_k", "check_question", "decide"]
