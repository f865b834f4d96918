"""Indexing on Ray (a local Ray on this machine's CPUs): the single-process path's vectors, committed in
batches, and a run killed mid-way resumed by the next without embedding the committed documents again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from qa.indexing.build import build_index
from qa.indexing.ray_index import ray_index
from qa.settings import Settings
from qa.store import open_store
from tests.conftest import ROOT, SEEDS

pytestmark = pytest.mark.slow

EXTRA = {
    "otters.txt": "Otter survey\n\nThe otter survey counted 417 otters along the river Kennet in 2026.",
    "bridges.md": "# Bridges\n\nThe old stone bridge at Marlow was rebuilt in 1832 after a flood.",
    "ferries.txt": "Ferry report\n\nThe Greyhaven ferry carried 48,000 passengers in the year to March.",
}


def _corpus(folder):
    folder.mkdir()
    for path in SEEDS.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    for name, text in EXTRA.items():
        (folder / name).write_text(text)
    (folder / "broken.pdf").write_text("not a pdf")  # skipped, with its reason, as the single-process path does
    return folder


def _vectors(index) -> dict:
    """Each passage's vector and each sentence's, by where the passage is in its document."""
    out = {}
    for row, p in enumerate(index.passages):
        out[(p.doc_id, p.start, p.end)] = (index.vectors.reconstruct([row])[0], index.sentence_vectors_of([p])[0])
    return out


def test_ray_gives_the_single_process_vectors_commits_in_batches_and_resumes(tmp_path, embedder):
    docs = _corpus(tmp_path / "docs")
    settings = Settings(index_root=str(tmp_path / "index"))
    single = build_index(docs, "single", settings, embedder=embedder)
    # A commit every 10 passages: the seeds' 31 passages and three small files take several.
    report = ray_index(docs, "ray", settings, embedder=embedder, commit_passages=10)
    assert sorted(report.added) == sorted(single.added) and list(report.skipped) == list(single.skipped)
    assert "not a PDF file" in next(iter(report.skipped.values()))
    a, b = open_store(settings, "single", embedder=embedder), open_store(settings, "ray", embedder=embedder)
    assert len(b.manifest["segments"]) > 1  # committed in batches, each its own segment
    va, vb = _vectors(a), _vectors(b)
    assert va.keys() == vb.keys()
    for where, (passage, sentences) in va.items():
        np.testing.assert_allclose(vb[where][0], passage, atol=1e-5)
        np.testing.assert_allclose(vb[where][1], sentences, atol=2e-3)  # stored as float16
    assert b.abbreviations == a.abbreviations and b.names == a.names
    # Nothing changed: nothing is embedded again, and Ray is not even started.
    again = ray_index(docs, "ray", settings, embedder=embedder)
    assert again.added == again.updated == [] and len(again.unchanged) == len(report.added)
    # A deleted file and one that can no longer be read leave the index, as in a sync without Ray.
    (docs / "ferries.txt").unlink()
    (docs / "otters.txt").write_bytes(b"\x00\x01\x02 not text")
    later = ray_index(docs, "ray", settings, embedder=embedder)
    assert later.removed == ["ferries.txt", "otters.txt"] and str(docs / "otters.txt") in later.skipped
    assert not {"ferries.txt", "otters.txt"} & set(open_store(settings, "ray", embedder=embedder).documents)


KILLED = """
import os, signal, sys
from qa.indexing import ray_index
from qa.settings import Settings
original, calls = ray_index._commit, []
def killed(*args, **kwargs):
    calls.append(1)
    if len(calls) == 2:  # the driver dies after its first commit, the second batch embedded
        os.kill(os.getpid(), signal.SIGKILL)
    return original(*args, **kwargs)
ray_index._commit = killed
ray_index.ray_index(sys.argv[1], "work", Settings(index_root=sys.argv[2]), commit_passages=10)
"""


def test_a_run_killed_mid_way_is_resumed_without_embedding_the_committed_documents_again(tmp_path, embedder):
    docs = _corpus(tmp_path / "docs")
    settings = Settings(index_root=str(tmp_path / "index"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED), str(docs), settings.index_root], env=env, timeout=300
    )
    assert done.returncode == -signal.SIGKILL
    committed = set(open_store(settings, "work", embedder=embedder).documents)
    assert committed and len(committed) < len(EXTRA) + 5
    resumed = ray_index(docs, "work", settings, embedder=embedder)
    assert set(resumed.unchanged) == committed  # not embedded again
    assert set(resumed.added) == {p.name for p in docs.iterdir() if p.name != "broken.pdf"} - committed
    build_index(docs, "fresh", settings, embedder=embedder)
    a, b = open_store(settings, "fresh", embedder=embedder), open_store(settings, "work", embedder=embedder)
    assert _vectors(a).keys() == _vectors(b).keys()


def test_a_worker_killed_in_the_middle_of_a_batch_loses_no_document(tmp_path, embedder):
    """SIGKILL to the embedding actor while it works on a batch: Ray Data starts another and runs the batch again."""
    import threading
    import time

    docs = _corpus(tmp_path / "docs")
    killed: list[int] = []

    def kill_a_busy_worker():
        deadline = time.monotonic() + 120
        while not killed and time.monotonic() < deadline:
            listing = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
            for line in listing.splitlines():
                # Ray names the process by what it runs: ".submit" while a batch is being worked on.
                if "MapBatches(_SplitAndEmbed)" in line and ".submit" in line:
                    os.kill(int(line.split()[0]), signal.SIGKILL)
                    killed.append(int(line.split()[0]))
                    return
            time.sleep(0.1)

    threading.Thread(target=kill_a_busy_worker, daemon=True).start()
    settings = Settings(index_root=str(tmp_path / "index"))
    report = ray_index(docs, "work", settings, embedder=embedder)
    assert killed, "no busy worker was seen to kill"
    build_index(docs, "single", settings, embedder=embedder)
    assert sorted(report.added) == sorted(open_store(settings, "single", embedder=embedder).documents)
    assert (
        _vectors(open_store(settings, "work", embedder=embedder)).keys()
        == _vectors(open_store(settings, "single", embedder=embedder)).keys()
    )
