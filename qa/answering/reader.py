"""The reader: a cross-encoder that reads the question together with each candidate sentence.

For every candidate it gives (a) a logit that this sentence answers the question and (b) start and end
logits over the sentence's word pieces: the best span's score informs both decisions (qa.answering.verdict), and
the span is the part in bold for the question kinds where it measured right often enough. It is the
bundled all-MiniLM-L6-v2 encoder (all six layers) fine-tuned by `qa.training.recipe` (run
`benchmarks/train_reader.py`) on public QA data, with two linear heads: one on the mean of the pieces
gives the answer logit, one on each piece the span's start and end logits.

What ships (`reader.safetensors` beside this file) is only what training changed: the six transformer
layers as int8 weights with one scale per output row, their biases and layer norms, and the heads. The
word-piece embeddings were frozen in training and come from the bundled base, so the package carries
about 11 MB instead of 90. At answer time it runs on ONNX Runtime from an export of those weights made once
per machine (qa.runtime), so a question never imports torch or transformers.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.runtime import cached_export, export_module, session

WEIGHTS = Path(__file__).with_name("reader.safetensors")
# Question, sentence and its context in word pieces, as in training. The reader runs once per question
# on a handful of candidates, so its cost is pieces x layers: both are cut to what fits the speed target.
MAX_TOKENS = 64
# A new training run's default: the first four of the base's six layers, about 1.5 times faster than
# six (as with the MS MARCO MiniLM cross-encoders, where L-4 is close to L-6). What ships says its own
# in its card: six layers since 2026-12-07, which measured better on the questions people word
# (docs/reader.md); MAX_TOKENS likewise (96 in the card).
LAYERS = 4
# Spans longer than this many pieces are never chosen: answers are short, whole sentences are not spans.
MAX_SPAN = 24
NO_SPAN = -20.0  # the span score of a candidate with no piece of its sentence left after truncation


def pair_text(sentence: str, context: str) -> str:
    """The second segment the reader sees: the candidate first (truncation cuts context, never it)."""
    return f"{sentence} [SEP] {context}" if context else sentence


def context_text(title: str, before: str = "") -> str:
    """What helps read a sentence: its document's title and section, and the sentence before it ("It
    in turn evolved into Modern English." answers through the sentence before it, which names "it")."""
    return " ".join(part for part in (f"{title}." if title else "", before) if part)


def build_model(base: str, layers: int = LAYERS):
    """The reader's network on top of the encoder at `base` (a transformers folder)."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    class ReaderNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = AutoModel.from_pretrained(base, add_pooling_layer=False, num_hidden_layers=layers)
            size = self.encoder.config.hidden_size
            # The answer logit reads the mean of all pieces, as the base model was trained to pool
            # (its [CLS] piece was never trained alone: a head on it measured no better than chance).
            self.answer = torch.nn.Linear(size, 1)
            self.span = torch.nn.Linear(size, 2)

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
            span = self.span(hidden)
            return self.answer(pooled).squeeze(-1), span[..., 0], span[..., 1]

    # Loading fewer layers than the base has (a four-layer card) makes transformers print a report of
    # those it leaves out: expected.
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        return ReaderNet()
    finally:
        hf_logging.set_verbosity(verbosity)


def tokenize(tokenizer, questions: list[str], items: list[tuple[str, str]], max_tokens: int = MAX_TOKENS):
    """Word pieces of (question, sentence [SEP] context) for each (sentence, context), as tensors, each
    piece's character span, and which pieces lie in the sentence (where a span may be)."""
    encoded = tokenizer(
        questions,
        [pair_text(s, c) for s, c in items],
        truncation="longest_first",
        max_length=max_tokens,
        padding=True,
        return_offsets_mapping=True,
        return_tensors="pt",
    )
    offsets = encoded.pop("offset_mapping").numpy()
    in_sentence = np.zeros(offsets.shape[:2], dtype=bool)
    for row, (sentence, _) in enumerate(items):
        ids = encoded.sequence_ids(row)
        for j, seq in enumerate(ids):
            if seq == 1 and offsets[row, j, 1] <= len(sentence) and offsets[row, j, 1] > offsets[row, j, 0]:
                in_sentence[row, j] = True
    return encoded, offsets, in_sentence


def best_span(start: np.ndarray, end: np.ndarray, allowed: np.ndarray) -> tuple[int, int, float]:
    """The (first, last) piece maximising start + end logits among allowed pieces, with its score."""
    idx = np.flatnonzero(allowed)
    if not len(idx):
        return -1, -1, float("-inf")
    s, e = start[idx], end[idx]
    scores = s[:, None] + e[None, :]
    gap = idx[None, :] - idx[:, None]
    scores = np.where((gap >= 0) & (gap < MAX_SPAN), scores, -np.inf)
    i, j = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return int(idx[i]), int(idx[j]), float(scores[i, j])


@dataclass(frozen=True)
class Reading:
    """The reader's verdict on each candidate of one question."""

    logits: np.ndarray  # answer logit per candidate
    spans: list[tuple[int, int]]  # character span of the answer in each candidate sentence ((0, 0): none)
    span_scores: np.ndarray  # start + end logit of each span (NO_SPAN where none)


def pieces(tokenizer, question: str, items: list[tuple[str, str]]):
    """`tokenize` for one question at answer time, with the `tokenizers` library alone (no transformers):
    the same pieces (tests/test_runtime.py) as NumPy arrays, each piece's character span, and which pieces
    lie in the sentence. `tokenizer`: a tokenizers.Tokenizer with truncation at `max_tokens` and padding on."""
    encoded = tokenizer.encode_batch([(question, pair_text(s, c)) for s, c in items])
    arrays = {
        "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
    }
    offsets = np.array([e.offsets for e in encoded], dtype=np.int64).reshape(len(items), -1, 2)
    in_sentence = np.zeros(offsets.shape[:2], dtype=bool)
    for row, (sentence, _) in enumerate(items):
        for j, seq in enumerate(encoded[row].sequence_ids):
            if seq == 1 and offsets[row, j, 1] <= len(sentence) and offsets[row, j, 1] > offsets[row, j, 0]:
                in_sentence[row, j] = True
    return arrays, offsets, in_sentence


def export_reader(weights: Path, base: str, layers: int, path: Path) -> None:
    """The reader's network with the shipped weights as ONNX (qa.runtime)."""
    import torch
    from safetensors.torch import load_file

    model = build_model(base, layers)
    model.load_state_dict(dequantize(load_file(str(weights))), strict=False)
    ids = torch.tensor([[101, 2054, 102, 2023, 102], [101, 2054, 102, 2023, 102]])
    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "token_type_ids": torch.zeros_like(ids)}
    export_module(model.eval(), inputs, {"answer": 1, "start": 2, "end": 2}, path)


class Reader:
    """The shipped reader, loaded once per process; `read` is safe to call from many threads. It runs on
    ONNX Runtime from an export of the shipped weights (qa.runtime), or on torch where there is none."""

    def __init__(self, weights: Path = WEIGHTS):
        from tokenizers import Tokenizer

        from qa.embedding import resolve_model
        from qa.hashing import digest
        from qa.settings import BUNDLED_MODEL

        base, _ = resolve_model(BUNDLED_MODEL)
        card = weights.with_suffix(".json")  # written beside the weights by qa.training.recipe
        self.card = json.loads(card.read_text(encoding="utf-8")) if card.is_file() else {}
        self.name = self.card.get("name", "reader")
        self.max_tokens = int(self.card.get("max_tokens", MAX_TOKENS))
        layers = int(self.card.get("layers", LAYERS))
        self.tokenizer = Tokenizer.from_file(str(Path(base) / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_tokens, strategy="longest_first")
        self.tokenizer.enable_padding()
        onnx = cached_export("reader", digest(weights), lambda path: export_reader(weights, base, layers, path))
        self.session = session(onnx) if onnx else None
        if self.session is None:
            import torch
            from safetensors.torch import load_file

            self._torch = torch
            self.model = build_model(base, layers)
            self.model.load_state_dict(dequantize(load_file(str(weights))), strict=False)
            self.model.eval()
        # A tokenizer with truncation set is shared state; the ONNX session and torch under inference_mode are not.
        self._lock = threading.Lock()

    def _run(self, arrays: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.session is not None:
            return tuple(self.session.run(None, arrays))
        with self._torch.inference_mode():
            out = self.model(**{k: self._torch.from_numpy(v) for k, v in arrays.items()})
        return tuple(o.float().numpy() for o in out)

    def read(self, question: str, items: list[tuple[str, str]]) -> Reading:
        """One batched call: the answer logit and the best span of each (sentence, context)."""
        if not items:
            return Reading(np.zeros(0, np.float32), [], np.zeros(0, np.float32))
        with self._lock:
            arrays, offsets, in_sentence = pieces(self.tokenizer, question, items)
        logits, start, end = self._run(arrays)
        spans, scores = [], []
        for row in range(len(items)):
            i, j, score = best_span(start[row], end[row], in_sentence[row])
            spans.append((int(offsets[row, i, 0]), int(offsets[row, j, 1])) if i >= 0 else (0, 0))
            scores.append(score if i >= 0 else NO_SPAN)
        return Reading(np.asarray(logits, dtype=np.float32), spans, np.array(scores, dtype=np.float32))


def quantize(state: dict) -> dict:
    """int8 weights with a float scale per output row for every 2-D layer weight; the rest as float16."""
    import torch

    out = {}
    for name, tensor in state.items():
        tensor = tensor.detach().float()
        if tensor.ndim == 2 and name.startswith("encoder.encoder.layer."):
            scale = tensor.abs().amax(dim=1, keepdim=True).clamp(min=1e-8) / 127.0
            out[name] = torch.round(tensor / scale).to(torch.int8)
            out[name + ".scale"] = scale.squeeze(1)
        else:
            out[name] = tensor.half()
    return out


def dequantize(state: dict) -> dict:
    out = {}
    for name, tensor in state.items():
        if name.endswith(".scale"):
            continue
        scale = state.get(name + ".scale")
        out[name] = tensor.float() * scale[:, None].float() if scale is not None else tensor.float()
    return out


def trainable_state(model) -> dict:
    """What training changes and what ships: everything but the frozen word-piece embeddings."""
    return {k: v for k, v in model.state_dict().items() if not k.startswith("encoder.embeddings.")}


@lru_cache(maxsize=1)
def load_reader() -> Reader | None:
    """The shipped reader, or None when the package carries none (answers then use the scorers alone)."""
    return Reader() if WEIGHTS.is_file() else None
