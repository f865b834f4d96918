"""What each document says: the best answer from every document, side by side, and which do not say.

The seeds are five responses to the same inspections; "Compare what each commissioner said about
funding" wants one answer per response, not the single best sentence. One search over a wide pool,
one reader call: each document's best few sentences in the pool are read together, and the reader's
fitted decisions (qa.answering.verdict), applied to each document's own candidates, pick its sentence and say
whether that document answers. Without the reader, the sentence scorers decide alone.

Only when asked: the "By document" switch, or a question that names the documents it compares
("compare", "each document", "across the reports", or "each" with a word the documents' titles share,
"every commissioner" over commissioners' responses). "Each year" is no such question.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np

from qa.answering.answers import candidates, check_question
from qa.answering.reader import load_reader
from qa.answering.scoring import Scorers, load_scorers, question_features
from qa.answering.verdict import load_reader_scorers, question_row, read_items, read_rows, shortlist
from qa.records import Hit
from qa.settings import Settings
from qa.store.base import Store
from qa.text.terms import stem_words, terms

# How many passages the one search looks at: enough that each document's best is among them.
WIDE = 50
# How many sentences the one reader call reads in all: each document gets its share, 2 to the reader's
# usual shortlist, so that a comparison over many documents stays one call of bounded size.
READ_BUDGET = 40
# What any document may be called in a question that compares documents.
_DOCUMENT_WORDS = frozenset(stem_words("document report response file source letter statement paper article".split()))
_COMPARE = re.compile(r"\b(?:compare|comparison|contrast)\b", re.I)
# "each / every / all (of) the / across the" and the word after it. Not "between the" nor "both the":
# they relate two things inside one answer ("uneven between the units", "both the forces").
_EACH = re.compile(r"\b(?:each|every|all(?: of)? the|across the) ([A-Za-z]+)", re.I)
# A word names what the documents are when the titles of at least this many use it.
_TITLES = 2


def asks_across(question: str, titles: Iterable[str] = (), abbreviations: dict[str, str] | None = None) -> str:
    """The words by which the question asks what every document says, or "" when it does not: "compare",
    or "each / every / all the ..." followed by a word for documents ("each report") or by a word
    that the documents' own titles share ("each commissioner" over responses titled "... Commissioner
    for Cheshire", "... Commissioner of Wiltshire"; an abbreviation counts by its expansion, "each
    PCC"). "Each year", "every arrest" name no documents: one answer, not a comparison."""
    found = _COMPARE.search(question)
    if found:
        return found.group()
    titled: dict[str, int] = {}
    for title in titles:
        for stem in set(terms(title)):
            titled[stem] = titled.get(stem, 0) + 1
    for match in _EACH.finditer(question):
        word = match.group(1)
        spelled = (abbreviations or {}).get(word.upper()) if word.isupper() else None
        stems = set(terms(spelled or word)) or set(stem_words([word.lower()]))
        if stems & _DOCUMENT_WORDS or any(titled.get(stem, 0) >= _TITLES for stem in stems):
            return match.group()
    return ""


@dataclass(frozen=True)
class DocumentAnswer:
    """One document's answer: its best sentence (in `hit`), and whether the document seems to answer."""

    doc_id: str
    title: str
    hit: Hit | None  # None: no passage of it came near the question
    confidence: float
    answers: bool
    also_in: list[tuple[str, str]] = field(default_factory=list)  # (doc_id, title) quoting the same sentence
    date: str = ""  # the date the document declares, where it does

    def to_dict(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "date": self.date or None,
            "answers": self.answers,
            "confidence": round(self.confidence, 4),
            "hit": self.hit.to_dict() if self.hit else None,
            "also_in": [{"doc_id": d, "title": t} for d, t in self.also_in],
        }


def _same_sentence(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _scored_each(found, probabilities: np.ndarray, rows_of: dict[str, list[int]], scorers: Scorers) -> dict:
    """Each document's answer by the sentence scorers alone: doc_id -> (row, score, confidence)."""
    out = {}
    for doc_id, rows in rows_of.items():
        best, features = question_features(probabilities[rows], found.features[rows], found.signals)
        out[doc_id] = (rows[best], float(probabilities[rows[best]]), float(scorers.answerable.probability(features)[0]))
    return out


def _read_each(found, probabilities: np.ndarray, rows_of: dict[str, list[int]], scored: dict, settings: Settings):
    """Each document's answer by the reader's decisions, from one reader call over every document's
    shortlist: (doc_id -> (row, score, confidence), threshold), or None when the reader is off or not
    fitted. The scorers' confidence (`scored`) is one of the features the decision weighs."""
    reader, verdict = (load_reader(), load_reader_scorers()) if settings.reader != "none" else (None, None)
    if reader is None or verdict is None or not rows_of:
        return None
    each = min(verdict.candidates, max(2, READ_BUDGET // len(rows_of)))
    shortlists = {d: shortlist(probabilities, np.array(rows), each) for d, rows in rows_of.items()}
    reading = reader.read(
        found.question, read_items(found.hits, found.sentences, np.concatenate(list(shortlists.values())))
    )
    out, at = {}, 0
    for doc_id, rows in shortlists.items():
        logits, spans = reading.logits[at : at + len(rows)], reading.span_scores[at : at + len(rows)]
        at += len(rows)
        combined = verdict.combiner.probability(read_rows(logits, spans, probabilities[rows], found.features[rows]))
        best = int(np.argmax(combined))
        features = question_row(logits, spans, combined, scored[doc_id][2], found.signals)
        out[doc_id] = (int(rows[best]), float(combined[best]), float(verdict.answerable.probability(features)[0]))
    return out, verdict.threshold


def by_document(
    question: str,
    index: Store,
    mode: str | None = None,
    doc_ids: Iterable[str] | None = None,
    settings: Settings = Settings(),
    scorers: Scorers | None = None,
) -> list[DocumentAnswer]:
    """Every searched document's best answer, those that answer first (most confident first); a
    sentence several documents quote word for word is shown once, with all its sources."""
    question = check_question(question, settings)
    scorers = scorers or load_scorers()
    wanted = list(index.documents) if doc_ids is None else [d for d in dict.fromkeys(doc_ids) if d in index.documents]
    # No filter when every document is asked: a filter of all of them would only cost a mask per question.
    found = candidates(question, index, WIDE, mode or settings.mode, None if doc_ids is None else wanted, settings)
    probabilities = scorers.sentence.probability(found.features) if len(found.features) else np.empty(0)
    rows_of: dict[str, list[int]] = {}
    for row, (i, _, _) in enumerate(found.sentences):
        rows_of.setdefault(found.hits[i].passage.doc_id, []).append(row)
    decided, threshold = _scored_each(found, probabilities, rows_of, scorers), scorers.threshold
    read = _read_each(found, probabilities, rows_of, decided, settings)
    if read is not None:
        decided, threshold = read
    out = []
    for doc_id in wanted:
        title, date = index.title(doc_id), index.date(doc_id)
        if doc_id not in decided:
            out.append(DocumentAnswer(doc_id, title, None, 0.0, False, date=date))
            continue
        row, score, confidence = decided[doc_id]
        i, start, end = found.sentences[row]
        hit = replace(found.hits[i], answer_start=start, answer_end=end, span_start=start, span_end=end,
                      answer_score=score)  # fmt: skip
        out.append(DocumentAnswer(doc_id, title, hit, confidence, confidence >= threshold, date=date))
    out.sort(key=lambda d: (not d.answers, -d.confidence))
    merged: list[DocumentAnswer] = []
    for item in out:
        same = next(
            (m for m in merged if item.answers and m.answers and _same_sentence(m.hit.answer_text) == _same_sentence(item.hit.answer_text)),
            None,
        )  # fmt: skip
        if same is None:
            merged.append(item)
        else:
            same.also_in.append((item.doc_id, item.title))
    return merged
