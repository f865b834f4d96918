"""The local store's side of a change: the lock file, the version folders (qa.store.local.storage)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qa.errors import QAError
from qa.settings import INDEX_FORMAT, Settings
from qa.store.base import Written
from qa.store.local.storage import Current, built_settings, load_current, read_manifest, write_version
from qa.store.local.versions import remove_stale_builds, writer_lock


class LocalWriter:
    """Changes index `name` under `settings.index_root`: one writer at a time (a lock file beside it)."""

    def __init__(self, settings: Settings, name: str):
        self.root, self.name = Path(settings.index_root), name
        self.path = self.root / name
        self.where = str(self.path)

    @contextmanager
    def lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with writer_lock(self.root, self.name):
            yield

    def exists(self) -> bool:
        return self.path.exists()

    def manifest(self) -> dict:
        manifest = read_manifest(self.path)
        if manifest.get("format") != INDEX_FORMAT:
            raise QAError(
                f"the index at {self.path} has format {manifest.get('format')}, this version reads format "
                f"{INDEX_FORMAT}: rebuild it with `qa index DOCS_FOLDER --name {self.name}`"
            )
        return manifest

    def built_settings(self, settings: Settings) -> Settings:
        return built_settings(self.path, settings)

    def current(self, settings: Settings, embedder) -> Current:
        remove_stale_builds(self.root, self.name)  # what a killed change left
        return load_current(self.path, settings, embedder)

    def write(self, base, parts, removed, embedder, settings, next_id, collections, skipped=0, embed=None) -> Written:
        return write_version(
            self.root, self.name, base, parts, removed, embedder, settings, next_id, collections, skipped, embed
        )
