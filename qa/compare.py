"""What each document says: the best answer from every document, side by side, and which do not say.

The seeds are five responses to the same inspections; "What did each commissioner say about funding?"
wants one answer per response, not the single best sentence. One search over a wide pool, one model
call: each document's passages in the pool compete among themselves, and the fitted answerability
scorer, applied to each document's own candidates, says whether that document answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np

from qa.answers import candidates, check_question
from qa.index import Index
from qa.records import Hit
from qa.scoring import Scorers, load_scorers, question_features
from qa.settings import Settings

# How many passages the one search looks at: enough that each document's best is among them.
WIDE = 50
# Questions that ask across documents.
ACROSS = re.compile(r"\b(each|every|compare|comparison|across|differ|difference|all (?:the|of the) \w+s|both)\b", re.I)


def asks_across(question: str) -> bool:
    """Whether the question asks what every document says ("each", "every", "compare", "all the PCCs")."""
    return bool(ACROSS.search(question))


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


def by_document(
    question: str,
    index: Index,
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
    out = []
    for doc_id in wanted:
        title, date = index.title(doc_id), index.date(doc_id)
        rows = rows_of.get(doc_id)
        if not rows:
            out.append(DocumentAnswer(doc_id, title, None, 0.0, False, date=date))
            continue
        best, features = question_features(probabilities[rows], found.features[rows], found.signals)
        i, start, end = found.sentences[rows[best]]
        confidence = float(scorers.answerable.probability(features)[0])
        hit = replace(found.hits[i], answer_start=start, answer_end=end, span_start=start, span_end=end,
                      answer_score=float(probabilities[rows[best]]))  # fmt: skip
        out.append(DocumentAnswer(doc_id, title, hit, confidence, confidence >= scorers.threshold, date=date))
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
