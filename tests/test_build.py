"""An index that changes one document at a time: sync equals rebuild, add, remove, the lock, a running app."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from qa.answering.answers import answer
from qa.answering.search import search
from qa.app.chat import QAApp
from qa.cli import main
from qa.errors import QAError
from qa.indexing.build import add_files, build_index, remove_documents
from qa.settings import Settings
from qa.store.local.index import Index
from qa.store.local.versions import writer_lock
from tests.conftest import ROOT, SEEDS

# Small documents, each about one thing, so that every question has one right passage.
POOL = {
    "otters.txt": "Otter survey\n\nThe otter survey counted 417 otters along the river Kennet in 2026.",
    "bridges.md": "# Bridges\n\nThe old stone bridge at Marlow was rebuilt in 1832 after a flood.",
    "ferries.txt": "Ferry report\n\nThe Greyhaven ferry carried 48,000 passengers in the year to March.",
    "reservoirs.txt": "Water\n\nTwo reservoirs above the town were drained for inspection in the summer.",
    "lighthouse.md": "# Lighthouse\n\nThe lighthouse keeper retired in 1990 and the light was automated.",
}
QUESTIONS = ["How many otters were counted?", "When was the bridge rebuilt?", "Who retired in 1990?"]


def _snapshot(index: Index) -> dict:
    """What a reader of the index sees: each document's passages, and the ranking for each question."""
    passages = {(p.doc_id, p.start, p.end, p.text, p.section) for p in index.passages}
    rankings = {q: [(h.passage.doc_id, h.passage.start) for h in search(index, q, k=3)] for q in QUESTIONS}
    return {"passages": passages, "rankings": rankings, "documents": {d.id: d.sha256 for d in index.documents.values()}}


operations = st.lists(
    st.tuples(st.sampled_from(["write", "change", "delete"]), st.sampled_from(sorted(POOL))), min_size=1, max_size=5
)


@hsettings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_sync_after_any_changes_equals_a_rebuild(tmp_path_factory, embedder, steps):
    work = tmp_path_factory.mktemp("sync")
    docs = work / "docs"
    docs.mkdir()
    for name in ("otters.txt", "bridges.md"):
        (docs / name).write_text(POOL[name])
    synced = Settings(index_root=str(work / "synced"))
    build_index(docs, "corpus", synced, embedder=embedder)
    for action, name in steps:
        path = docs / name
        if action == "write":
            path.write_text(POOL[name])
        elif action == "change" and path.exists():
            path.write_text(path.read_text() + "\n\nA sentence added later about the river.")
        elif action == "delete" and path.exists() and len(list(docs.iterdir())) > 1:
            path.unlink()
        build_index(docs, "corpus", synced, embedder=embedder)
    rebuilt = Settings(index_root=str(work / "rebuilt"))
    build_index(docs, "corpus", rebuilt, embedder=embedder)
    a, b = Index.load(work / "synced" / "corpus"), Index.load(work / "rebuilt" / "corpus")
    assert _snapshot(a) == _snapshot(b)
    # The same passages have the same vectors, wherever their rows are.
    rows_a = {(p.doc_id, p.start): i for i, p in enumerate(a.passages)}
    rows_b = [rows_a[(p.doc_id, p.start)] for p in b.passages]
    np.testing.assert_allclose(a.vectors.reconstruct(rows_b), b.vectors.reconstruct(range(b.vectors.ntotal)), atol=1e-5)
    ids = [p.id for p in a.passages]
    assert len(set(ids)) == len(ids) and max(ids) < a.manifest["next_passage_id"]


def test_sync_reports_what_changed_and_keeps_ids_of_unchanged_documents(tmp_path, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("otters.txt", "bridges.md", "ferries.txt"):
        (docs / name).write_text(POOL[name])
    settings = Settings(index_root=str(tmp_path / "root"))
    first = build_index(docs, "c", settings, embedder=embedder)
    assert (len(first.added), first.unchanged) == (3, [])
    before = {p.doc_id: p.id for p in Index.load(tmp_path / "root" / "c").passages}
    (docs / "ferries.txt").unlink()
    (docs / "bridges.md").write_text(POOL["bridges.md"] + "\n\nIt is a listed building.")
    (docs / "lighthouse.md").write_text(POOL["lighthouse.md"])
    second = build_index(docs, "c", settings, embedder=embedder)
    assert (second.added, second.updated, second.removed, second.unchanged) == (
        ["lighthouse.md"], ["bridges.md"], ["ferries.txt"], ["otters.txt"],
    )  # fmt: skip
    assert second.summary().startswith("added 1, updated 1, removed 1, unchanged 1: 3 documents")
    after = Index.load(tmp_path / "root" / "c")
    ids = {p.doc_id: p.id for p in after.passages}
    assert ids["otters.txt"] == before["otters.txt"]  # kept
    assert min(ids["bridges.md"], ids["lighthouse.md"]) > max(before.values())  # new ids, never reused
    # Nothing changed: nothing is written, the version stays.
    version = os.readlink(tmp_path / "root" / "c")
    third = build_index(docs, "c", settings, embedder=embedder)
    assert third.summary().startswith("added 0, updated 0, removed 0, unchanged 3") and third.encode_seconds == 0
    assert os.readlink(tmp_path / "root" / "c") == version


def test_add_and_remove_files_as_a_collection_beside_the_synced_folder(tmp_path, embedder, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bridges.md").write_text(POOL["bridges.md"])
    settings = Settings(index_root=str(tmp_path / "root"))
    build_index(docs, "c", settings, embedder=embedder)
    extra = tmp_path / "otters.txt"
    extra.write_text(POOL["otters.txt"])
    report = add_files([extra], "c", settings, collection="notes", embedder=embedder)
    assert report.added == ["notes/otters.txt"]
    index = Index.load(tmp_path / "root" / "c")
    assert index.collections() == {"c": ["bridges.md"], "notes": ["notes/otters.txt"]}
    # A sync of the folder leaves the other collection alone.
    assert build_index(docs, "c", settings, embedder=embedder).unchanged == ["bridges.md", "notes/otters.txt"]
    assert main(["--index-root", str(tmp_path / "root"), "list", "--index", "c", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(d["id"], d["collection"], d["passages"]) for d in listed] == [
        ("bridges.md", "c", 1), ("notes/otters.txt", "notes", 1),
    ]  # fmt: skip
    assert remove_documents(["notes/otters.txt"], "c", settings, embedder=embedder).removed == ["notes/otters.txt"]
    with pytest.raises(QAError, match="would leave index 'c' empty"):
        remove_documents(["bridges.md"], "c", settings, embedder=embedder)
    assert list(Index.load(tmp_path / "root" / "c").documents) == ["bridges.md"]
    assert main(["--index-root", str(tmp_path / "root"), "remove", "--index", "c", "nope.txt"]) == 1
    assert "no document 'nope.txt' in index 'c': `qa list --index c` shows them" in capsys.readouterr().err


def test_a_change_writes_only_its_own_segment_and_merges_when_removed_rows_outweigh_live_ones(tmp_path, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("otters.txt", "bridges.md", "ferries.txt", "reservoirs.txt"):
        (docs / name).write_text(POOL[name])
    settings = Settings(index_root=str(tmp_path / "root"))
    build_index(docs, "c", settings, embedder=embedder)
    first = tmp_path / "root" / "c" / "segments" / "s000001" / "passages.jsonl"
    inode = first.stat().st_ino
    lighthouse = tmp_path / "lighthouse.md"
    lighthouse.write_text(POOL["lighthouse.md"])
    add_files([lighthouse], "c", settings, collection="notes", embedder=embedder)
    index = Index.load(tmp_path / "root" / "c")
    # The first segment is kept as it was (the same file, linked into the new version), the add is a second.
    assert [s["id"] for s in index.manifest["segments"]] == ["s000001", "s000002"]
    assert first.stat().st_ino == inode
    for name in ("otters.txt", "bridges.md", "ferries.txt"):
        (docs / name).unlink()
    build_index(docs, "c", settings, embedder=embedder)  # 3 of the first segment's 4 passages removed
    merged = Index.load(tmp_path / "root" / "c")
    assert [s["id"] for s in merged.manifest["segments"]] == ["s000003"]
    assert set(merged.documents) == {"reservoirs.txt", "notes/lighthouse.md"}
    fresh = Settings(index_root=str(tmp_path / "fresh"))
    build_index(docs, "c", fresh, embedder=embedder)
    add_files([lighthouse], "c", fresh, collection="notes", embedder=embedder)
    rebuilt = Index.load(tmp_path / "fresh" / "c")
    assert _snapshot(merged) == _snapshot(rebuilt)
    assert merged.abbreviations == rebuilt.abbreviations and merged.names == rebuilt.names
    otters = tmp_path / "otters.txt"
    otters.write_text(POOL["otters.txt"])
    add_files([otters], "c", settings, collection="notes", embedder=embedder)  # s000004
    remove_documents(["notes/otters.txt"], "c", settings, embedder=embedder)  # all of s000004: dropped
    assert [s["id"] for s in Index.load(tmp_path / "root" / "c").manifest["segments"]] == ["s000003"]


def test_adding_uses_the_settings_the_index_was_built_with(tmp_path, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ferries.txt").write_text(POOL["ferries.txt"])
    build_index(docs, "c", Settings(index_root=str(tmp_path / "root")).with_(passage_tokens=96), embedder=embedder)
    extra = tmp_path / "otters.txt"
    extra.write_text(POOL["otters.txt"])
    report = add_files([extra], "c", Settings(index_root=str(tmp_path / "root")), embedder=embedder)
    assert report.unchanged == ["ferries.txt"]  # not cut anew with the default 176
    assert Index.load(tmp_path / "root" / "c").manifest["settings"]["passage_tokens"] == 96


def test_one_writer_at_a_time(tmp_path, embedder):
    root = tmp_path / "root"
    root.mkdir()
    extra = tmp_path / "otters.txt"
    extra.write_text(POOL["otters.txt"])
    with writer_lock(root, "c"):
        with pytest.raises(QAError, match=rf"index 'c' is being changed by process {os.getpid()} .*try again"):
            with writer_lock(root, "c", wait=0.3):
                pass
    with writer_lock(root, "c", wait=0.3):  # released when its holder is done
        pass


def test_a_running_app_answers_from_a_change_committed_by_another_writer(seeds_root, tmp_path, embedder):
    root = tmp_path / "index"
    shutil.copytree(seeds_root / "seeds", root / "seeds")
    settings = Settings(index_root=str(root), uploads_dir=str(tmp_path / "uploads"))
    app = QAApp(Index.load(root / "seeds"), settings)
    question = "How many otters did the survey count?"
    assert app.respond(question, [], [], [], 3)[2][-1].abstained
    extra = tmp_path / "otters.txt"
    extra.write_text(POOL["otters.txt"])
    add_files([extra], "seeds", settings, embedder=embedder)  # as `qa add` would, from another process
    result = app.respond(question, [], [], [], 3)[2][-1]
    assert not result.abstained and result.best.passage.doc_id == "uploads/otters.txt"


def test_keyword_mode_answers_from_an_upload_on_the_same_scale_as_the_seeds(seeds_root, tmp_path):
    """Uploads were once a second index whose BM25 scores were compared with the seeds' as if on one
    scale: "How many otters...?" was answered from a seeds passage. One index, one scale."""
    root = tmp_path / "index"
    shutil.copytree(seeds_root / "seeds", root / "seeds")
    app = QAApp(Index.load(root / "seeds"), Settings(index_root=str(root), uploads_dir=str(tmp_path / "uploads")))
    upload = tmp_path / "incoming" / "otters.txt"
    upload.parent.mkdir()
    upload.write_text(POOL["otters.txt"])
    app.add_documents([str(upload)])
    result = answer("How many otters did the survey count?", app.index, 3, "keyword")
    assert not result.abstained and result.best.collection == "uploads" and "417 otters" in result.text


@pytest.mark.slow
@pytest.mark.parametrize(("command", "delay"), [("add", 6.0), ("add", 9.0), ("remove", 5.0), ("remove", 6.5)])
def test_a_change_killed_halfway_leaves_the_index_before_or_after_it(tmp_path, embedder, command, delay):
    """Killed at a few moments (loading the model, embedding, writing): never anything in between."""
    root = tmp_path / "root"
    settings = Settings(index_root=str(root))
    build_index(SEEDS, "seeds", settings, embedder=embedder)
    # A file big enough that embedding it takes seconds, so the kill lands mid-change.
    big = tmp_path / "big.txt"
    big.write_text(
        "\n\n".join(f"Paragraph {i}. " + (SEEDS / "000_29b695066cafc06c.txt").read_text() for i in range(12))
    )
    if command == "remove":
        add_files([big], "seeds", settings, embedder=embedder)
    before = Index.load(root / "seeds")
    argv = ["add", str(big), "--collection", "more", "-q"] if command == "add" else ["remove", "uploads/big.txt"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa", "--index-root", str(root), *argv, "--index", "seeds"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    after = Index.load(root / "seeds")
    counts = after.manifest["counts"]
    assert counts["passages"] == len(after.passages) == after.vectors.ntotal == after.keyword.size
    documents = set(after.documents)
    grown = set(before.documents) | {"more/big.txt"}
    shrunk = set(before.documents) - {"uploads/big.txt"}
    assert documents in (set(before.documents), grown if command == "add" else shrunk)
    # The next change clears what the killed one left, and works.
    build_index(SEEDS, "seeds", settings, embedder=embedder)
    assert len([p for p in root.glob(".seeds.*") if p.is_dir()]) == 1


def test_a_large_segment_is_searched_through_an_approximate_index_that_keeps_removed_rows_out(tmp_path, embedder):
    """approximate_from set low so the seeds' segment gets an IVF index: scanning every list, it ranks as
    exact search does; removed documents never come back; a filter still holds."""
    approximate = Settings(index_root=str(tmp_path / "ivf")).with_(approximate_from=10)
    exact = Settings(index_root=str(tmp_path / "flat"))
    build_index(SEEDS, "seeds", approximate, embedder=embedder)
    build_index(SEEDS, "seeds", exact, embedder=embedder)
    assert (tmp_path / "ivf" / "seeds" / "segments" / "s000001" / "vectors.ivf").exists()
    assert not (tmp_path / "flat" / "seeds" / "segments" / "s000001" / "vectors.ivf").exists()
    every = Settings(approximate_probes=10_000, mode="dense")
    for question in ["Who is the PCC for Cheshire?", "TITAN prison sentences", "How are ROCUs funded?"]:
        a = search(Index.load(tmp_path / "ivf" / "seeds"), question, k=5, settings=every)
        b = search(Index.load(tmp_path / "flat" / "seeds"), question, k=5, settings=every)
        assert [(h.passage.doc_id, h.passage.start) for h in a] == [(h.passage.doc_id, h.passage.start) for h in b]
    cheshire = "002_59c356561a19db13.txt"
    remove_documents([cheshire], "seeds", approximate, embedder=embedder)
    index = Index.load(tmp_path / "ivf" / "seeds")
    assert index.manifest["segments"][0]["removed"] == [cheshire]  # a tombstone in the IVF segment
    hits = search(index, "Who is the PCC for Cheshire?", k=10, settings=every)
    assert hits and cheshire not in {h.passage.doc_id for h in hits}
    only = "001_3f8c2f727cca616f.txt"
    assert {h.passage.doc_id for h in search(index, "crime", k=5, doc_ids=[only], settings=every)} == {only}


def test_embedding_reports_progress_as_it_goes_and_gives_the_vectors_of_one_call(embedder, monkeypatch):
    """The bar moves every PROGRESS_TEXTS texts (an indexing run looked stuck at 0% for minutes when it
    moved once a 2,048-passage batch); chunking by length changes no vector beyond float noise."""
    import qa.indexing.parts as parts
    from qa.records import Document
    from qa.store.base import Stored

    monkeypatch.setattr(parts, "PROGRESS_TEXTS", 8)
    text = " ".join(f"Sentence number {i} says the otters were counted on day {i}." for i in range(30))
    doc = Document(id="otters.txt", title="Otters", text=text, sha256="x")
    passages, sentence_texts = parts.number_sentences(parts.split_document(doc, embedder, Settings()))
    part = Stored(doc, passages, sentence_texts=sentence_texts)
    calls: list[int] = []
    parts.embed_parts([part], embedder, calls.append)
    texts = len(passages) + len(sentence_texts)
    assert sum(calls) == texts and len(calls) == -(-texts // 8) and max(calls) == 8
    whole = embedder.encode([parts.indexed_text(p, "Otters") for p in passages] + sentence_texts)
    assert np.allclose(np.vstack([part.vectors, part.sentence_vectors]), whole, atol=1e-5)
