"""Where passages, vectors and keywords are kept, behind one interface (`qa.store.base`), chosen by one URI.

    ""                    the local store: a folder of segments under `--index-root` (the default)
    milvus:PATH.db        Milvus Lite, in this process, in one file
    milvus://HOST:PORT    a Milvus server or cluster

Nothing here imports a store's engine until it is asked for: `qa --help` stays instant.
"""

from __future__ import annotations

from qa.errors import QAError
from qa.settings import Settings


def store_kind(uri: str) -> tuple[str, str]:
    """("local", "") or ("milvus", the Lite file or the server's address) for a `--store` URI."""
    uri = (uri or "").strip()
    if not uri or uri == "local":
        return "local", ""
    if uri.startswith("milvus://"):
        if not uri.removeprefix("milvus://").strip("/"):
            raise QAError(f"--store {uri!r} names no server: give milvus://HOST:PORT")
        return "milvus", uri
    if uri.startswith("milvus:"):
        path = uri.removeprefix("milvus:")
        if not path.endswith(".db"):
            raise QAError(f"--store {uri!r}: a Milvus Lite store is a file ending in .db (milvus:PATH.db)")
        return "milvus", path
    raise QAError(
        f"unknown store {uri!r}: leave it out (the local store), or give milvus:PATH.db or milvus://HOST:PORT"
    )


def open_store(settings: Settings, name: str, model: str | None = None, embedder=None):
    """The index `name` in the store `settings.store`, loaded for questions (qa.store.base.Store).

    With `model`, an index another model built is refused."""
    kind, where = store_kind(settings.store)
    if kind == "local":
        from qa.store.local.index import Index

        return Index.load(settings.index_path(name), model=model, batch_size=settings.batch_size, embedder=embedder)
    from qa.store.milvus.index import MilvusIndex

    return MilvusIndex.open(where, name, model=model, batch_size=settings.batch_size, embedder=embedder)


def open_writer(settings: Settings, name: str):
    """What changes index `name` in the store `settings.store` (qa.store.base.Writer)."""
    kind, where = store_kind(settings.store)
    if kind == "local":
        from qa.store.local.writer import LocalWriter

        return LocalWriter(settings, name)
    from qa.store.milvus.writer import MilvusWriter

    return MilvusWriter(where, name)


def read_manifest(settings: Settings, name: str) -> dict:
    """How index `name` was built and what it holds, without loading its model: `qa list` reads this."""
    return open_writer(settings, name).manifest()
