"""Small records shared by every layer: documents, passages, hits and answers."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class Document:
    """A cleaned document. `id` is its path relative to the corpus folder."""

    id: str
    title: str
    text: str
    sha256: str  # of the raw file bytes: tells an index whether the document changed
    path: str = ""  # where it was read from, for opening the source
    headings: tuple[tuple[int, int, str], ...] = ()  # (offset, level, text): the sections' openings
    pages: tuple[tuple[int, int], ...] = ()  # (offset, page number) where each page's text starts (PDF)
    encoding: str = ""  # of a text file, as detected
    collection: str = ""  # the part of the index it belongs to: the synced folder's, or "uploads"
    date: str = ""  # the date the file declares (ISO), where it declares one

    def to_dict(self) -> dict:
        return _fields(self)

    @classmethod
    def from_dict(cls, d: dict) -> Document:
        d = dict(d)
        d["headings"] = tuple(tuple(h) for h in d.get("headings", ()))
        d["pages"] = tuple(tuple(p) for p in d.get("pages", ()))
        return cls(**d)


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
    page: int | None = None  # the page it starts on, in paged formats (PDF)
    last_page: int | None = None  # the page it ends on: a passage across a page break knows both
    section: str | None = None  # the path of headings above it: "Plans for 2026 > Reservoirs"
    # (offset, page, section) where a page or a section begins inside the passage, so that a sentence
    # in it is cited where it is, not where the passage starts.
    marks: tuple[tuple[int, int | None, str | None], ...] = ()
    id: int = -1  # stable within its index: kept while the document is unchanged, never reused
    collection: str = ""

    @property
    def pages_label(self) -> str:
        """ "p. 3", "pp. 3–4", or "" where the format has no pages."""
        return _pages_label(self.page, self.last_page)

    @property
    def location(self) -> str:
        """Where a reader finds the passage: "pp. 3–4, Plans for 2026 > Reservoirs", or "paragraph 12"."""
        return _location(self.pages_label, self.paragraph, self.section)

    def place(self, start: int, end: int) -> tuple[int | None, int | None, str | None]:
        """(first page, last page, section) of the span start:end of the passage (an answer sentence)."""
        first, last, section = self.page, self.page, self.section
        for offset, page, heading in self.marks:
            if offset <= start:
                first, last, section = page, page, heading
            elif offset < end:
                last = page
        return first, last, section

    def location_of(self, start: int, end: int) -> str:
        """Where a reader finds the span start:end: its page and section, else the passage's paragraph."""
        first, last, section = self.place(start, end)
        paragraph = self.paragraph + self.text.count("\n\n", 0, max(start - self.start, 0))
        return _location(_pages_label(first, last), paragraph, section)

    def to_dict(self) -> dict:
        d = _fields(self)
        d["sentences"] = [list(s) for s in self.sentences]
        d["marks"] = [list(m) for m in self.marks]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Passage:
        d = dict(d)
        d["sentences"] = tuple(tuple(s) for s in d.get("sentences", ()))
        d["marks"] = tuple(tuple(m) for m in d.get("marks", ()))
        return cls(**d)


def _fields(record) -> dict:
    """A record's fields as a dict: `dataclasses.asdict` copies every value recursively, which made
    writing 30,000 passages take 3.7 s."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


def _pages_label(first: int | None, last: int | None) -> str:
    if first is None:
        return ""
    return f"p. {first}" if last is None or last == first else f"pp. {first}–{last}"


def _location(pages: str, paragraph: int, section: str | None) -> str:
    return ", ".join(part for part in (pages or f"paragraph {paragraph}", section) if part)


@dataclass(frozen=True)
class Hit:
    """A passage returned for a question, with the sentence in it that best answers."""

    passage: Passage
    score: float  # the retrieval mode's own score: what the hits are ranked by
    title: str
    rank: int = 0
    similarity: float = 0.0  # cosine between question and passage, whatever the mode: the confidence signal
    collection: str = ""  # the collection of the passage's document
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
    def location(self) -> str:
        """Where the answer sentence is: "p. 3, Plans for 2026", or "paragraph 12" without pages or sections."""
        return self.passage.location_of(self.answer_start, self.answer_end)

    @property
    def match_words(self) -> str:
        """How well the passage's best sentence answers, as a reader takes it, from `answer_score` (the
        fitted sentence scorer's output). Measured on the public question sets (scorer-features.npz):
        a question's best sentence scored 0.4 or more held the answer 89% of the time, one scored 0.1 to
        0.4 62%; a sentence scored under 0.1 held it 1% of the time."""
        return "strong" if self.answer_score >= 0.4 else "partial" if self.answer_score >= 0.1 else "weak"

    def holds(self, doc_id: str, start: int, end: int) -> bool:
        """Whether this hit's passage holds the text of `doc_id` from `start` to `end`."""
        p = self.passage
        return p.doc_id == doc_id and p.start <= start and end <= p.end

    @property
    def narrow_span(self) -> bool:
        """Whether a part narrower than the answer sentence is known to answer."""
        return self.span_end > self.span_start and (self.span_start, self.span_end) != (
            self.answer_start,
            self.answer_end,
        )

    def to_dict(self) -> dict:
        p = self.passage
        answer_page, _, answer_section = p.place(self.answer_start, self.answer_end)
        return {
            "rank": self.rank,
            "score": round(self.score, 4),
            "similarity": round(self.similarity, 4),
            "doc_id": p.doc_id,
            "collection": self.collection,
            "title": self.title,
            "paragraph": p.paragraph,
            "page": p.page,
            "last_page": p.last_page,
            "section": p.section,
            "start": p.start,
            "end": p.end,
            "text": p.text,
            "answer": {
                "text": self.answer_text,
                "start": self.answer_start,
                "end": self.answer_end,
                "page": answer_page,
                "section": answer_section,
                "score": round(self.answer_score, 4),
                "match": self.match_words,
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
    high: float = 0.8  # the confidence from which the answer is called high (qa.answering.verdict)
    reader: str = ""  # the reader model that read the candidates (qa.answering.reader); "" when none did

    @property
    def confidence_words(self) -> str:
        """The confidence as a reader takes it: high, medium, or not found."""
        if self.abstained:
            return "not found"
        return "high" if self.confidence >= self.high else "medium"

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None  # the answer's passage leads the hits

    @property
    def text(self) -> str:
        return self.best.answer_text if self.best else ""

    @property
    def citations(self) -> list[int]:
        """The ranks of the hits whose passage holds the answer sentence (overlapping passages can)."""
        best = self.best
        if best is None:
            return []
        return [h.rank for h in self.hits if h.holds(best.passage.doc_id, best.answer_start, best.answer_end)]

    def to_dict(self) -> dict:
        best = self.best
        return {
            "question": self.question,
            "answer": None
            if best is None
            else {
                **best.to_dict()["answer"],
                "doc_id": best.passage.doc_id,
                "title": best.title,
                "citations": self.citations,
            },
            "abstained": self.abstained,
            "confidence": round(self.confidence, 4),
            "confidence_words": self.confidence_words,
            "reader": self.reader or None,
            "hits": [h.to_dict() for h in self.hits],
        }
