"""Extractive question answering over a folder of documents: cited passages, highlighted answers."""

from __future__ import annotations

from qa.errors import QAError
from qa.records import Answer, Document, Hit, Passage
from qa.settings import IndexSettings, Settings

__all__ = [
    "Answer", "Document", "Hit", "Index", "IndexSettings", "Passage", "QAError", "Settings", "answer", "build_index",
]  # fmt: skip
__version__ = "0.1.0"


def __getattr__(name: str):
    # The index and answer modules pull in torch and FAISS; importing them lazily keeps
    # `import qa` (and so `qa --help`) instant.
    if name == "Index":
        from qa.store.local.index import Index

        return Index
    if name == "build_index":
        from qa.indexing.build import build_index

        return build_index
    if name == "answer":
        from qa.answering.answers import answer

        return answer
    raise AttributeError(name)
