"""The ONNX Runtime path (qa.runtime): the same pieces, vectors and readings as torch, exports made once and
atomically, a fallback to torch when an export fails, and a question from the shell without torch."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.embedding import Embedder, OnnxEmbedder, plain_shape, resolve_model
from qa.runtime import cached_export
from qa.settings import BUNDLED_MODEL

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [
    "Who is the Police and Crime Commissioner for Cheshire?",
    "  Surrounding spaces are stripped, as sentence-transformers does.  ",
    "Ünïcödé “quotes” — and 3,600*24 seconds",
    "x" * 500,  # one unknown piece
    "word " * 400,  # past the window: truncated
    "A short one.",
]


@pytest.fixture(scope="module")
def torch_embedder():
    return Embedder()


def test_the_bundled_model_runs_on_onnx_runtime_with_the_vectors_and_counts_of_sentence_transformers(
    embedder, torch_embedder
):
    assert isinstance(embedder, OnnxEmbedder)
    assert (embedder.dim, embedder.window, embedder.weights_sha256) == (
        torch_embedder.dim,
        torch_embedder.window,
        torch_embedder.weights_sha256,
    )
    # Passages are cut by these counts: they must be the same to the piece, or an index would differ.
    assert embedder.count_tokens(TEXTS) == torch_embedder.count_tokens(TEXTS)
    ours, theirs = embedder.encode(TEXTS), torch_embedder.encode(TEXTS)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    assert np.abs(ours - theirs).max() < 1e-5
    assert np.abs(embedder.encode_query(TEXTS[0]) - theirs[0]).max() < 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_only_models_of_the_common_shape_take_the_onnx_path(tmp_path):
    bundled, _ = resolve_model(BUNDLED_MODEL)
    assert plain_shape(bundled) == {"pooling": "mean", "window": 256, "dim": 384}
    copy = tmp_path / "model"
    shutil.copytree(bundled, copy)
    extra = json.loads((copy / "config_sentence_transformers.json").read_text())
    (copy / "config_sentence_transformers.json").write_text(json.dumps({**extra, "default_prompt_name": "query"}))
    assert plain_shape(str(copy)) is None  # a prompt: sentence-transformers adds it, so it runs the model
    (copy / "config_sentence_transformers.json").write_text(json.dumps(extra))
    modules = json.loads((copy / "modules.json").read_text())
    modules.insert(2, {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
    (copy / "modules.json").write_text(json.dumps(modules))
    assert plain_shape(str(copy)) is None
    assert plain_shape(str(tmp_path / "nothing here")) is None


def test_an_export_is_made_once_atomically_and_a_failed_one_falls_back_to_torch(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("QA_CACHE", str(tmp_path))
    calls = []

    def export(path: Path) -> None:
        calls.append(path)
        path.write_bytes(b"graph")

    made = cached_export("thing", "ab" * 32, export)
    assert made is not None and made.read_bytes() == b"graph" and made.parent == tmp_path
    assert cached_export("thing", "ab" * 32, export) == made and len(calls) == 1  # the second call reuses it

    def crash(path: Path) -> None:
        path.write_bytes(b"half a gr")
        raise RuntimeError("exporter crashed")

    with caplog.at_level(logging.WARNING, logger="qa.runtime"):
        assert cached_export("other", "cd" * 32, crash) is None
    assert "using torch" in caplog.text
    assert sorted(p.name for p in tmp_path.iterdir()) == [made.name]  # no half file, no temporary left

    monkeypatch.setenv("QA_RUNTIME", "torch")
    assert cached_export("thing", "ab" * 32, export) is None and len(calls) == 1


def test_the_reader_reads_the_same_on_onnx_runtime_as_on_torch_from_the_same_pieces(monkeypatch):
    from transformers import AutoTokenizer

    from qa.answering.reader import Reader, load_reader, pieces, tokenize

    onnx = load_reader()
    assert onnx.session is not None
    monkeypatch.setenv("QA_RUNTIME", "torch")
    torch_reader = Reader()
    assert torch_reader.session is None
    question = "How many firearms did the NWROCU seize?"
    items = [
        ("The unit seized 41 firearms and 300 kg of drugs in 2018.", "Annual report. It was a busy year."),
        ("RESPONSE OF DAVID KEANE, POLICE & CRIME COMMISSIONER FOR CHESHIRE", ""),
        ("Ünïcödé “quotes” — " + "long context " * 60, "Title. " + "more " * 80),
        ("Closing time: 19:30", "Opening hours."),
    ]
    # The pieces at answer time (tokenizers alone) are the pieces training made (transformers).
    hf = AutoTokenizer.from_pretrained(resolve_model(BUNDLED_MODEL)[0])
    encoded, offsets, in_sentence = tokenize(hf, [question] * len(items), items, onnx.max_tokens)
    arrays, offsets2, in_sentence2 = pieces(onnx.tokenizer, question, items)
    for name, array in arrays.items():
        assert np.array_equal(encoded[name].numpy(), array), name
    assert np.array_equal(offsets, offsets2) and np.array_equal(in_sentence, in_sentence2)
    ours, theirs = onnx.read(question, items), torch_reader.read(question, items)
    assert np.abs(ours.logits - theirs.logits).max() < 1e-3
    assert np.abs(ours.span_scores - theirs.span_scores).max() < 1e-3
    assert ours.spans == theirs.spans
    assert items[0][0][slice(*ours.spans[0])] == "41"


def test_a_question_from_the_shell_never_imports_torch_or_transformers(seeds_root):
    script = (
        "import sys\n"
        "from qa.cli import main\n"
        f"code = main(['--index-root', {str(seeds_root)!r}, 'ask', '--index', 'seeds', 'Who is the PCC for Cheshire?'])\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules)\n"
        "print('heavy:', heavy)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "KEANE" in done.stdout.upper()
    assert "heavy: []" in done.stdout
