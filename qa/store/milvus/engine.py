"""Milvus as a store: the connection, the five collections of an index, and reading them in bulk.

An index NAME is five collections, `qa_NAME_*`; nothing of it lives on a local disk:

    meta       one row: the manifest (format, model and weights hash, vector size, settings, collections,
               the committed generation, next ids, counts). Upserting it is the commit of a change.
    documents  a row per document: its manifest entry and record (title, pages, headings, path)
    texts      documents' text, the learned names and the counts they come from, in chunks (the
               abbreviations learned are in the meta row, as in the local manifest)
    passages   a row per passage: its vector (an approximate index), its keyword terms with Milvus' BM25
               function over them, and every field a citation or a filter needs
    sentences  a row per sentence: its vector, for picking the answer sentence

Every row carries the generation (`gen`) of the change that wrote it and its owner (`doc_key`: the
document id and that generation). Readers see rows of committed generations only, less the owners the
last commit retired and a writer has not yet deleted: a change is all there, or not there.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Sequence
from hashlib import sha1

from qa.errors import QAError

log = logging.getLogger(__name__)

MILVUS_FORMAT = 1  # what the collections hold and how; a store made by another format is refused
KINDS = ("meta", "documents", "texts", "passages", "sentences")
TEXT_CHUNK = 16_000  # characters a texts row holds: VARCHAR(65535) counts bytes, a character is up to 4
MAX_TEXT = 65_535
# BM25 as the local store scores it (qa.store.local.keyword: bm25s's defaults).
BM25_K1, BM25_B = 1.5, 0.75
# The passage vectors' approximate index, chosen by benchmarks/stores.py (recall@10 and time against FLAT).
HNSW = {"M": 16, "efConstruction": 200}
HNSW_EF = 128
DUMMY = 2  # Milvus needs a vector field in every collection: meta, documents and texts carry a tiny one


_CLIENTS: dict[str, object] = {}  # one client per store in a process: opening one costs 0.1-0.2 s


def connect(where: str):
    """A client for a Milvus Lite file or a Milvus server (one per process), or one line that says what is wrong."""
    if where not in _CLIENTS:
        _CLIENTS[where] = _connect(where)
    return _CLIENTS[where]


def close(where: str) -> None:
    """Let the store go (a Milvus Lite file can then be opened by another process)."""
    client = _CLIENTS.pop(where, None)
    if client is not None:
        client.close()
        if not where.startswith("milvus://"):  # Milvus Lite runs in this process until told to stop
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(where)


def _connect(where: str):
    try:
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException
    except ImportError:
        raise QAError("the Milvus store needs the milvus extra: pip install 'qa[milvus]'") from None
    if where.startswith("milvus://"):
        address = where.removeprefix("milvus://").rstrip("/")
        try:
            return MilvusClient(uri=f"http://{address}", timeout=5)
        except MilvusException as exc:
            raise QAError(
                f"cannot reach the Milvus server at {address} ({_reason(exc)}): start it, or check --store"
            ) from None
    from pathlib import Path

    path = Path(where)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Milvus Lite serves pymilvus from a gRPC server in this process, which lacks some calls pymilvus
    # tries first (it then falls back); gRPC logs each as an error with a traceback. Nothing is wrong.
    logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
    try:
        return MilvusClient(str(path))
    except MilvusException as exc:
        raise QAError(
            f"cannot open the Milvus Lite file {path} ({_reason(exc)}): Milvus Lite serves one process at a time, "
            "so stop the other one using it (a `qa serve`?), or run a Milvus server and use --store milvus://HOST:PORT"
        ) from None


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "message", None) or exc).splitlines()[0][:200]


def prefix(name: str) -> str:
    """The collections' common prefix for index `name`: Milvus names are letters, digits and underscores."""
    clean = re.sub(r"\W", "_", name, flags=re.ASCII)
    if clean != name:  # two names that clean alike must not share collections
        clean += "_" + sha1(name.encode()).hexdigest()[:6]
    return f"qa_{clean}"


def quote(value: str) -> str:
    """A string as a Milvus filter literal."""
    return json.dumps(value, ensure_ascii=False)


def in_list(field: str, values: Sequence) -> str:
    return f"{field} in {json.dumps(list(values), ensure_ascii=False)}"


def schemas(client, dim: int) -> dict:
    """Each collection's schema and index parameters for vectors of size `dim`."""
    from pymilvus import DataType, Function, FunctionType

    def base(key_type):
        s = client.create_schema(auto_id=False, enable_dynamic_field=False)
        if key_type == "str":
            s.add_field("key", DataType.VARCHAR, is_primary=True, max_length=2048)
        else:
            s.add_field("id", DataType.INT64, is_primary=True)
        s.add_field("gen", DataType.INT64)
        s.add_field("doc_key", DataType.VARCHAR, max_length=2048)
        return s

    def dummy(s):
        s.add_field("v", DataType.FLOAT_VECTOR, dim=DUMMY)
        params = client.prepare_index_params()
        params.add_index("v", index_type="FLAT", metric_type="IP")
        return s, params

    meta = base("str")
    meta.add_field("body", DataType.JSON)
    documents = base("str")
    documents.add_field("doc_id", DataType.VARCHAR, max_length=2048)
    documents.add_field("collection", DataType.VARCHAR, max_length=512)
    documents.add_field("entry", DataType.JSON)
    documents.add_field("record", DataType.JSON)
    texts = base("str")
    texts.add_field("part", DataType.INT64)
    texts.add_field("text", DataType.VARCHAR, max_length=MAX_TEXT)

    passages = base("int")
    passages.add_field("doc_id", DataType.VARCHAR, max_length=2048)
    passages.add_field("collection", DataType.VARCHAR, max_length=512)
    passages.add_field("start", DataType.INT64)
    passages.add_field("end", DataType.INT64)
    passages.add_field("page", DataType.INT64)  # -1: the format has no pages
    passages.add_field("section", DataType.VARCHAR, max_length=MAX_TEXT)
    passages.add_field("paragraph", DataType.INT64)
    passages.add_field("sentence_row", DataType.INT64)
    passages.add_field("text", DataType.VARCHAR, max_length=MAX_TEXT)
    passages.add_field("record", DataType.JSON)  # sentences, marks, last page
    # The passage's terms as the product splits them (qa.text.terms: stemmed, no stop words), with its
    # title and section: Milvus' BM25 then counts the same terms the local store does.
    passages.add_field(
        "terms", DataType.VARCHAR, max_length=MAX_TEXT, enable_analyzer=True, enable_match=True,
        analyzer_params={"tokenizer": "standard"},
    )  # fmt: skip
    passages.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    passages.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    passages.add_function(
        Function(
            name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"], output_field_names=["sparse"]
        )
    )
    passage_index = client.prepare_index_params()
    passage_index.add_index("vector", index_type="HNSW", metric_type="IP", params=HNSW)
    passage_index.add_index(
        "sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params={"bm25_k1": BM25_K1, "bm25_b": BM25_B}
    )
    passage_index.add_index("doc_id", index_type="INVERTED")
    sentences = base("int")
    sentences.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    sentence_index = client.prepare_index_params()
    sentence_index.add_index("vector", index_type="FLAT", metric_type="IP")  # read by id, never searched
    return {
        "meta": dummy(meta), "documents": dummy(documents), "texts": dummy(texts),
        "passages": (passages, passage_index), "sentences": (sentences, sentence_index),
    }  # fmt: skip


def create(client, name: str, dim: int) -> None:
    """The index's collections, made where missing (a change made by a killed first build is finished)."""
    for kind, (schema, params) in schemas(client, dim).items():
        collection = f"{prefix(name)}_{kind}"
        if not client.has_collection(collection):
            client.create_collection(collection, schema=schema, index_params=params, consistency_level="Strong")


QUERY_WINDOW = 16_384  # the most rows one plain query returns


def query_all(client, collection: str, filter: str, fields: list[str], batch: int = 1000) -> Iterator[dict]:
    """Every row matching `filter`: one query while they fit its window, else an iterator, a batch at a time."""
    count = client.query(collection, filter=filter, output_fields=["count(*)"])[0]["count(*)"]
    if count <= QUERY_WINDOW:
        yield from client.query(collection, filter=filter, output_fields=fields, limit=QUERY_WINDOW)
        return
    iterator = client.query_iterator(collection, batch_size=batch, filter=filter, output_fields=fields)
    try:
        while rows := iterator.next():
            yield from rows
    finally:
        iterator.close()


def query_ids(client, collection: str, key: str, values: Sequence, fields: list[str], filter: str = "") -> list[dict]:
    """The rows whose `key` is among `values` (in pieces: a filter has a length limit)."""
    out = []
    values = list(values)
    for at in range(0, len(values), 4096):
        where = in_list(key, values[at : at + 4096]) + (f" and {filter}" if filter else "")
        out += client.query(collection, filter=where, output_fields=fields)
    return out


def text_rows(gen: int, owner: str, text: str) -> list[dict]:
    """`text` as rows of the texts collection, TEXT_CHUNK characters each, under `owner` (`read_text`)."""
    return [
        {"key": f"{owner}#{i}", "gen": gen, "doc_key": owner, "part": i, "text": text[at : at + TEXT_CHUNK], "v": [0.0] * DUMMY}
        for i, at in enumerate(range(0, max(len(text), 1), TEXT_CHUNK))
    ]  # fmt: skip


def read_text(client, collection: str, owner: str) -> str | None:
    rows = client.query(collection, filter=f"doc_key == {quote(owner)}", output_fields=["part", "text"])
    if not rows:
        return None
    return "".join(r["text"] for r in sorted(rows, key=lambda r: r["part"]))


def load(client, name: str) -> None:
    """Load the index's collections (a Milvus that restarted holds them released, not queryable)."""
    for kind in KINDS:
        collection = f"{prefix(name)}_{kind}"
        if client.has_collection(collection) and str(client.get_load_state(collection).get("state")) != "Loaded":
            client.load_collection(collection)


def read_meta(client, name: str) -> dict | None:
    """The committed manifest of index `name`, or None when the store holds no such index."""
    collection = f"{prefix(name)}_meta"
    if not client.has_collection(collection):
        return None
    if str(client.get_load_state(collection).get("state")) != "Loaded":
        load(client, name)
    rows = client.query(collection, filter='key == "manifest"', output_fields=["body"])
    return rows[0]["body"] if rows else None
