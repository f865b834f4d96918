"""Small records shared by every layer: documents, passages, hits and answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Document:
    """A cleaned document. `id` is its path relative to the corpus folder."""

    id: str
    title: str
    text: str
    sha256: str  # of the raw file bytes: tells an index whether the document changed
    path: str = ""  # where it was read from, for opening the source


@dataclass(frozen=True)
class Passage:
    """A span of one document: `document.text[start:end] == text`."""

    doc_id: str
    start: int
    end: int
    text: str
    paragraph: int  # 1-based number of the paragraph the passage starts in
    sentences: tuple[tuple[int, int], ...] = ()  # document offsets of each sentence in the passage
    sentence_row: int = -1  # row of the first sentence's vector in the index (the rest follow it)
    page: int | None = None  # filled by paged formats (PDF) once they are read
    section: str | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["sentences"] = [list(s) for s in self.sentences]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Passage:
        d = dict(d)
        d["sentences"] = tuple(tuple(s) for s in d.get("sentences", ()))
        return cls(**d)


@dataclass(frozen=True)
class Hit:
    """A passage returned for a question, with the sentence in it that best answers."""

    passage: Passage
    score: float  # the retrieval mode's own score: what the hits are ranked by
    title: str
    rank: int = 0
    similarity: float = 0.0  # cosine between question and passage, whatever the mode: the confidence signal
    collection: str = ""  # the index the hit came from, when several are searched together
    answer_start: int = 0  # document offsets of the answer sentence
    answer_end: int = 0
    answer_score: float = 0.0
    span_start: int = 0  # document offsets of the part of the answer sentence that answers;
    span_end: int = 0  # equal to the sentence's when no narrower part is known
    row: int = -1  # the passage's row in its index

    @property
    def answer_text(self) -> str:
        p = self.passage
        return p.text[self.answer_start - p.start : self.answer_end - p.start]

    @property
    def span_text(self) -> str:
        p = self.passage
        return p.text[self.span_start - p.start : self.span_end - p.start]

    @property
    def narrow_span(self) -> bool:
        """Whether a part narrower than the answer sentence is known to answer."""
        return (self.span_start, self.span_end) != (self.answer_start, self.answer_end)

    def to_dict(self) -> dict:
        p = self.passage
        return {
            "rank": self.rank,
            "score": round(self.score, 4),
            "similarity": round(self.similarity, 4),
            "doc_id": p.doc_id,
            "collection": self.collection,
            "title": self.title,
            "paragraph": p.paragraph,
            "page": p.page,
            "start": p.start,
            "end": p.end,
            "text": p.text,
            "answer": {
                "text": self.answer_text,
                "start": self.answer_start,
                "end": self.answer_end,
                "score": round(self.answer_score, 4),
                "span": {"text": self.span_text, "start": self.span_start, "end": self.span_end},
            },
        }


@dataclass(frozen=True)
class Answer:
    """What the product says to a question: the best sentence, and the passages that back it."""

    question: str
    hits: list[Hit] = field(default_factory=list)
    abstained: bool = False  # the documents do not seem to answer: the hits are only the closest passages
    confidence: float = 0.0  # probability, from the fitted scorer, that the documents answer the question

    @property
    def confidence_words(self) -> str:
        """The confidence as a reader takes it: high, medium, or not found."""
        if self.abstained:
            return "not found"
        return "high" if self.confidence >= 0.8 else "medium"

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None  # the answer's passage leads the hits

    @property
    def text(self) -> str:
        return self.best.answer_text if self.best else ""

    def to_dict(self) -> dict:
        best = self.best
        return {
            "question": self.question,
            "answer": None
            if best is None
            else {**best.to_dict()["answer"], "doc_id": best.passage.doc_id, "title": best.title},
            "abstained": self.abstained,
            "confidence": round(self.confidence, 4),
            "confidence_words": self.confidence_words,
            "hits": [h.to_dict() for h in self.hits],
        }
