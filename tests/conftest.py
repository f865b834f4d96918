"""Shared fixtures: the real bundled model, loaded once, and a real seeds index built once per run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds" / "docs"

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def embedder():
    from qa.embedding import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def seeds_root(tmp_path_factory, embedder) -> Path:
    """An index root holding a freshly built `seeds` index."""
    from qa.indexing.build import build_index
    from qa.settings import Settings

    root = tmp_path_factory.mktemp("index-root")
    build_index(SEEDS, "seeds", Settings(index_root=str(root)), embedder=embedder)
    return root


@pytest.fixture(scope="session")
def seeds_index(seeds_root):
    from qa.store.local.index import Index

    return Index.load(seeds_root / "seeds")
