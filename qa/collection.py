"""Several indexes searched as one: the seeds and the user's own documents, answers merged by score."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from qa.answers import answer
from qa.index import Index
from qa.records import Answer, Document
from qa.settings import Settings


class Collection:
    """Named indexes; a document is addressed as (index name, document id)."""

    def __init__(self, indexes: dict[str, Index]):
        self.indexes = dict(indexes)

    def documents(self) -> list[tuple[str, Document]]:
        return [(name, doc) for name, index in self.indexes.items() for doc in index.documents.values()]

    def document(self, name: str, doc_id: str) -> Document:
        return self.indexes[name].documents[doc_id]

    def answer(
        self,
        question: str,
        k: int,
        mode: str | None = None,
        only: Iterable[tuple[str, str]] | None = None,
        settings: Settings = Settings(),
        search_text: str | None = None,
    ) -> Answer:
        """Ask every index, keep the k best hits overall; `only` restricts to (index, document) pairs."""
        wanted = None if only is None else set(only)
        hits = []
        abstained, confidence = True, 0.0
        for name, index in self.indexes.items():
            doc_ids = None if wanted is None else [d for n, d in wanted if n == name]
            if doc_ids == []:
                continue
            result = answer(question, index, k, mode, doc_ids, settings, search_text)
            hits += [replace(h, collection=name) for h in result.hits]
            abstained = abstained and result.abstained
            confidence = max(confidence, result.confidence)
        # The answer scorer's probability is on one scale in every index; retrieval scores are not.
        hits.sort(key=lambda h: -h.answer_score)
        hits = [replace(h, rank=rank) for rank, h in enumerate(hits[:k], start=1)]
        return Answer(question=question.strip(), hits=hits, abstained=abstained or not hits, confidence=confidence)
