"""ONNX Runtime for the two networks a question runs: the embedding model and the reader.

Each is exported once, with torch, from the very weights it would otherwise run from, into a cache
folder keyed by those weights' SHA-256; every later process loads the export with onnxruntime and
the `tokenizers` library alone. Why: importing sentence-transformers (torch, transformers, scikit-learn)
takes about 3.5 s here before any model is loaded, while onnxruntime and tokenizers import in a fifth of a
second, so `qa ask` from the shell is bound by that import, not by answering. The vectors agree with
torch's to about 1e-7 (tests/test_runtime.py) and a question's vector comes several times faster.

`QA_RUNTIME=torch` turns the exports off (benchmarks/speed.py times `qa ask` both ways); a failed export
falls back to torch with a warning, never to a failed question.
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

# Bump when the exported graphs change shape, so old exports in the cache are not used.
EXPORT_VERSION = 1


def enabled() -> bool:
    return os.environ.get("QA_RUNTIME", "onnx").lower() != "torch"


def cache_dir() -> Path:
    """Where exports live: $QA_CACHE, else the user's cache folder (XDG), never the project tree."""
    if os.environ.get("QA_CACHE"):
        return Path(os.environ["QA_CACHE"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qa"


def cached_export(kind: str, digest: str, export: Callable[[Path], None]) -> Path | None:
    """The path of `kind`'s export for weights `digest`, made by `export(path)` when missing; None when the
    runtime is off or the export fails (the caller then runs torch)."""
    if not enabled():
        return None
    path = cache_dir() / f"{kind}-{digest[:20]}-v{EXPORT_VERSION}.onnx"
    if path.is_file():
        return path
    log.info("preparing %s for ONNX Runtime (once per machine): %s", kind, path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside, then renamed: a crash or a second process never leaves half a file under the name.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        try:
            export(Path(tmp))
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
    except Exception as exc:  # torch's exporter raises many kinds; any of them means: use torch instead
        log.warning("could not export %s for ONNX Runtime (%s); using torch", kind, exc)
        return None
    return path


def export_module(module, inputs: dict, outputs: dict[str, int], path: Path) -> None:
    """`module(**inputs)` as an ONNX graph at `path`; `outputs`: each output's name and rank. Every input
    and output is dynamic in batch (axis 0) and, where it has one, length (axis 1)."""
    import torch

    names = list(inputs)

    class ByPosition(torch.nn.Module):  # the exporter passes inputs by position; models take keywords
        def __init__(self):
            super().__init__()
            self.inner = module

        def forward(self, *args):
            return self.inner(**dict(zip(names, args, strict=True)))

    axes = {name: {0: "batch", 1: "pieces"} for name in names}
    axes.update({name: {0: "batch", 1: "pieces"} if rank > 1 else {0: "batch"} for name, rank in outputs.items()})
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # the tracer's notes on Python branches in transformers' code
        torch.onnx.export(
            ByPosition().eval(),
            tuple(inputs.values()),
            str(path),
            input_names=names,
            output_names=list(outputs),
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,  # the TorchScript exporter: no onnxscript, and BERT-like models trace cleanly
        )


def session(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3  # warnings about unused initialisers are noise to a user
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
