"""The store contract, run against both stores: the local folder and Milvus (Milvus Lite, a real engine).

Sync equals rebuild, add / remove / list, the document filter, stable ids, an index of another model
refused, the same answers from either store; for Milvus also the one-line errors (server unreachable,
no such index, another version) and what a kill -9 at each step of a change leaves.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from qa.answering.answers import answer
from qa.answering.search import search
from qa.cli import main
from qa.errors import QAError
from qa.indexing.build import add_files, build_index, remove_documents
from qa.settings import Settings
from qa.store import open_store, open_writer, read_manifest, store_kind
from qa.store.base import listing
from tests.conftest import ROOT, SEEDS

POOL = {
    "otters.txt": "Otter survey\n\nThe otter survey counted 417 otters along the river Kennet in 2026.",
    "bridges.md": "# Bridges\n\nThe old stone bridge at Marlow was rebuilt in 1832 after a flood.",
    "ferries.txt": "Ferry report\n\nThe Greyhaven ferry carried 48,000 passengers in the year to March.",
    "lighthouse.md": "# Lighthouse\n\nThe lighthouse keeper retired in 1990 and the light was automated.",
}
QUESTIONS = ["How many otters were counted?", "When was the bridge rebuilt?", "Who retired in 1990?"]


@pytest.fixture(params=["local", "milvus"])
def settings(request, tmp_path) -> Settings:
    store = "" if request.param == "local" else f"milvus:{tmp_path / 'milvus.db'}"
    return Settings(index_root=str(tmp_path / "index"), store=store)


def _docs(folder, names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text(POOL[name])
    return folder


def _snapshot(index) -> dict:
    """What a reader sees: each document's passages and the ranking for each question."""
    passages = {(p.doc_id, p.start, p.end, p.text, p.section) for p in index.passages}
    rankings = {q: [(h.passage.doc_id, h.passage.start) for h in search(index, q, k=3)] for q in QUESTIONS}
    return {
        "passages": passages,
        "rankings": rankings,
        "documents": {d: index.documents[d].sha256 for d in index.documents},
    }


def test_a_sync_equals_a_rebuild_and_unchanged_documents_keep_their_ids(settings, tmp_path, embedder):
    docs = _docs(tmp_path / "docs", ["otters.txt", "bridges.md", "ferries.txt"])
    build_index(docs, "work", settings, embedder=embedder)
    before = open_store(settings, "work", embedder=embedder)
    bridge_ids = {p.id for p in before.passages if p.doc_id == "bridges.md"}
    most = max(p.id for p in before.passages)
    (docs / "ferries.txt").unlink()
    (docs / "otters.txt").write_text(POOL["otters.txt"] + " A second count is planned.")
    _docs(docs, ["lighthouse.md"])
    report = build_index(docs, "work", settings, embedder=embedder)
    assert (report.added, report.updated, report.removed, report.unchanged) == (
        ["lighthouse.md"], ["otters.txt"], ["ferries.txt"], ["bridges.md"]
    )  # fmt: skip
    synced = open_store(settings, "work", embedder=embedder)
    build_index(docs, "fresh", settings, embedder=embedder)
    fresh = open_store(settings, "fresh", embedder=embedder)
    assert _snapshot(synced) == _snapshot(fresh)
    # The unchanged document kept its passage ids; the new ones got ids never used before.
    assert {p.id for p in synced.passages if p.doc_id == "bridges.md"} == bridge_ids
    assert min(p.id for p in synced.passages if p.doc_id in ("otters.txt", "lighthouse.md")) > most
    assert synced.manifest["counts"]["passages"] == len(list(synced.passages)) == synced.size


def test_add_remove_list_and_the_document_filter(settings, tmp_path, embedder):
    build_index(_docs(tmp_path / "docs", ["otters.txt", "bridges.md"]), "work", settings, embedder=embedder)
    extra = _docs(tmp_path / "mine", ["ferries.txt"]) / "ferries.txt"
    add_files([extra], "work", settings, embedder=embedder)
    rows = {r["id"]: r for r in listing(read_manifest(settings, "work"))}
    assert set(rows) == {"otters.txt", "bridges.md", "uploads/ferries.txt"}
    assert rows["uploads/ferries.txt"]["collection"] == "uploads" and rows["otters.txt"]["collection"] == "work"
    index = open_store(settings, "work", embedder=embedder)
    best = answer("How many passengers did the ferry carry?", index, settings=settings)
    assert best.best.passage.doc_id == "uploads/ferries.txt" and "48,000" in best.best.answer_text
    # The filter: only the documents asked for, whatever matches better elsewhere.
    only = search(index, "How many passengers did the ferry carry?", k=5, doc_ids=["otters.txt"])
    assert only and {h.passage.doc_id for h in only} == {"otters.txt"}
    assert search(index, "ferry", k=5, doc_ids=["no-such.txt"]) == []
    assert {c: sorted(d) for c, d in index.collections().items()} == {
        "work": ["bridges.md", "otters.txt"],
        "uploads": ["uploads/ferries.txt"],
    }
    remove_documents(["uploads/ferries.txt"], "work", settings, embedder=embedder)
    assert {r["id"] for r in listing(read_manifest(settings, "work"))} == {"otters.txt", "bridges.md"}
    after = index.refreshed()
    assert after is not index and "uploads/ferries.txt" not in after.documents
    assert all(h.passage.doc_id != "uploads/ferries.txt" for h in search(after, "ferry passengers", k=5))
    with pytest.raises(QAError, match="no document 'nope.txt'"):
        remove_documents(["nope.txt"], "work", settings, embedder=embedder)


def test_an_index_of_another_model_is_refused_and_a_missing_one_named(settings, tmp_path, embedder):
    build_index(_docs(tmp_path / "docs", ["otters.txt"]), "work", settings, embedder=embedder)
    with pytest.raises(QAError, match="was built with model 'all-MiniLM-L6-v2', not 'other-model'"):
        open_store(settings, "work", model="other-model", embedder=embedder)
    with pytest.raises(QAError, match="no index"):
        open_store(settings, "absent", embedder=embedder)


def test_the_cli_takes_the_store_on_every_command(settings, tmp_path, embedder, capsys):
    docs = _docs(tmp_path / "docs", ["otters.txt", "bridges.md"])
    store = ["--store", settings.store] if settings.store else []
    root = ["--index-root", settings.index_root]
    assert main([*root, "index", str(docs), "--name", "work", "-q", *store]) == 0
    assert main([*root, "add", str(_docs(tmp_path / "mine", ["ferries.txt"]) / "ferries.txt"), "--index", "work", "-q", *store]) == 0  # fmt: skip
    assert main([*root, "remove", "uploads/ferries.txt", "--index", "work", *store]) == 0
    capsys.readouterr()
    assert main([*root, "list", "--index", "work", "--json", *store]) == 0
    assert {r["id"] for r in json.loads(capsys.readouterr().out)} == {"otters.txt", "bridges.md"}
    assert main([*root, "ask", "How many otters were counted?", "--index", "work", "--json", "--reader", "none", *store]) == 0  # fmt: skip
    assert "417" in json.loads(capsys.readouterr().out)["hits"][0]["answer"]["text"]


def test_both_stores_give_the_same_answers_to_the_seeds_questions(tmp_path, seeds_index, embedder):
    """Milvus' BM25 and approximate index against the local store's exact search: the same answer sentence."""
    milvus = Settings(store=f"milvus:{tmp_path / 'seeds.db'}")
    build_index(SEEDS, "seeds", milvus, embedder=embedder)
    index = open_store(milvus, "seeds", embedder=embedder)
    questions = [json.loads(line)["question"] for line in (ROOT / "seeds" / "questions.jsonl").read_text().splitlines()]
    same = 0
    for q in questions:
        a, b = answer(q, seeds_index, settings=Settings()), answer(q, index, settings=milvus)
        same += (a.abstained, a.best and a.best.answer_text) == (b.abstained, b.best and b.best.answer_text)
    assert same >= len(questions) - 1, f"{same} of {len(questions)} the same"


def test_the_store_uri_is_checked():
    assert store_kind("") == ("local", "") and store_kind("milvus:x/qa.db") == ("milvus", "x/qa.db")
    assert store_kind("milvus://db.example:19530") == ("milvus", "milvus://db.example:19530")
    with pytest.raises(QAError, match="ending in .db"):
        store_kind("milvus:folder")
    with pytest.raises(QAError, match="unknown store 'redis://x'"):
        store_kind("redis://x")


def test_an_unreachable_milvus_server_is_one_line(tmp_path, capsys):
    # Port 9 on loopback: nothing listens there.
    code = main(["list", "--store", "milvus://127.0.0.1:9"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1
    assert err.startswith("qa: error: cannot reach the Milvus server at 127.0.0.1:9")


def test_an_index_of_another_version_or_missing_a_collection_is_refused_and_a_sync_rebuilds_it(tmp_path, embedder):
    settings = Settings(store=f"milvus:{tmp_path / 'qa.db'}")
    build_index(_docs(tmp_path / "docs", ["otters.txt"]), "work", settings, embedder=embedder)
    writer = open_writer(settings, "work")
    meta = json.loads(json.dumps(writer.manifest()))
    meta.pop("documents")
    writer._commit({**meta, "format": 0})
    with pytest.raises(QAError, match="made by another version .*rebuild it with `qa index`"):
        open_store(settings, "work", embedder=embedder)
    build_index(tmp_path / "docs", "work", settings, embedder=embedder)  # a sync builds it anew
    assert open_store(settings, "work", embedder=embedder).manifest["counts"]["documents"] == 1
    writer.client.drop_collection("qa_work_sentences")  # dropped by hand, say
    with pytest.raises(QAError, match="is missing its collection qa_work_sentences: rebuild it"):
        open_store(settings, "work", embedder=embedder)
    with pytest.raises(QAError, match="index damaged: its collection qa_work_sentences is missing"):
        add_files([_docs(tmp_path / "mine", ["ferries.txt"]) / "ferries.txt"], "work", settings, embedder=embedder)
    build_index(tmp_path / "docs", "work", settings, embedder=embedder)  # a sync builds it anew
    assert open_store(settings, "work", embedder=embedder).manifest["counts"]["documents"] == 1


# A change killed (SIGKILL, as kill -9) at a step of qa.store.milvus.writer: the step is replaced by one
# that kills the process before it runs.
KILLED = """
import os, signal, sys
from qa.store.milvus import writer
from qa.indexing.build import build_index
from qa.settings import Settings
step = sys.argv[3]
original = getattr(writer.MilvusWriter, step)
calls = []
def killed(self, *args, **kwargs):
    calls.append(1)
    if step != "_commit" or len(calls) == int(sys.argv[4]):
        os.kill(os.getpid(), signal.SIGKILL)
    return original(self, *args, **kwargs)
setattr(writer.MilvusWriter, step, killed)
build_index(sys.argv[2], "work", Settings(store="milvus:" + sys.argv[1]))
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("step", "call", "seen"),
    [
        ("_insert", 0, "old"),  # while the change's rows go in
        ("_commit", 1, "old"),  # just before the meta row is upserted
        ("_retire", 0, "new"),  # committed; the replaced rows not yet deleted
    ],
)
def test_a_change_killed_at_any_step_leaves_the_last_committed_index(tmp_path, embedder, step, call, seen):
    db = tmp_path / "qa.db"
    settings = Settings(store=f"milvus:{db}")
    docs = _docs(tmp_path / "docs", ["otters.txt", "bridges.md"])
    build_index(docs, "work", settings, embedder=embedder)
    old = _snapshot(open_store(settings, "work", embedder=embedder))
    from qa.store.milvus import engine

    engine.close(str(db))  # Milvus Lite serves one process at a time: the killed one must open it
    (docs / "otters.txt").write_text(POOL["otters.txt"] + " A second count is planned.")
    _docs(docs, ["lighthouse.md"])
    (docs / "bridges.md").unlink()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED), str(db), str(docs), step, str(call)], env=env, timeout=300
    )
    assert done.returncode == -signal.SIGKILL
    now = _snapshot(open_store(settings, "work", embedder=embedder))
    if seen == "old":
        assert now == old
    else:
        assert set(now["documents"]) == {"otters.txt", "lighthouse.md"}
        assert {p[0] for p in now["passages"]} == {"otters.txt", "lighthouse.md"}  # nothing retired shows
    # The next change clears what the killed one left and gives what a build from scratch gives.
    build_index(docs, "work", settings, embedder=embedder)
    build_index(docs, "fresh", settings, embedder=embedder)
    assert _snapshot(open_store(settings, "work", embedder=embedder)) == _snapshot(
        open_store(settings, "fresh", embedder=embedder)
    )


def test_the_app_serves_a_milvus_index_builds_it_and_takes_uploads(tmp_path, embedder):
    from qa.app.chat import QAApp
    from qa.app.serve import load_index

    settings = Settings(
        store=f"milvus:{tmp_path / 'qa.db'}", index_root=str(tmp_path / "index"), uploads_dir=str(tmp_path / "uploads")
    )
    app = QAApp(load_index("seeds", settings, docs=str(SEEDS), show_progress=False), settings)  # built: none was there
    *_, answers, _ = app.respond("What rating did the North West ROCU receive?", [], [], [])
    assert "outstanding" in answers[-1].text
    new = _docs(tmp_path / "incoming", ["otters.txt"]) / "otters.txt"
    status, _ = app.add_documents([str(new)])
    assert status.startswith("Added otters&#46;txt")
    *_, answers, _ = app.respond("How many otters were counted?", [], [], [])
    assert answers[-1].hits[0].collection == "uploads" and "417" in answers[-1].text
    status, *_ = app.remove_uploads(["uploads/otters.txt"])
    assert status.startswith("Removed uploads/otters&#46;txt") and not (tmp_path / "uploads" / "otters.txt").exists()
    assert "uploads/otters.txt" not in app.index.documents
