"""A file's SHA-256, read a block at a time: what tells a document, a model's weights or an index file
apart from its former self."""

from __future__ import annotations

import hashlib
from pathlib import Path


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()
