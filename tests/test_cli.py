"""The command line: clean one-line errors with a non-zero exit, and real runs of `qa` and `python -m qa`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qa.cli import default_index_name, main
from tests.conftest import ROOT, SEEDS

QA = Path(sys.executable).parent / "qa"


def run_main(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ask", "   "], "the question is empty"),
        (["ask", "x" * 1200], "1200 characters long, over the limit of 1000"),
        (["ask", "Who?"], "no index at"),
        (["index", "/nonexistent/folder"], "documents folder not found: /nonexistent/folder"),
        (["ask", "--index", "nope", "Who?"], "build it with `qa index"),
    ],
)
def test_user_errors_are_one_line_and_exit_1(tmp_path, capsys, argv, message):
    code, out, err = run_main(capsys, "--index-root", str(tmp_path), *argv)
    assert code == 1 and out == ""
    assert err.startswith("qa: error: ") and message in err and err.count("\n") == 1
    assert "Traceback" not in err


def test_an_empty_documents_folder_is_an_error(tmp_path, capsys):
    (tmp_path / "docs").mkdir()
    code, _, err = run_main(capsys, "--index-root", str(tmp_path / "ix"), "index", str(tmp_path / "docs"))
    assert code == 1 and "no documents in" in err


def test_an_unreadable_index_is_an_error(seeds_root, tmp_path, capsys):
    shutil.copytree(seeds_root / "seeds", tmp_path / "seeds")
    (tmp_path / "seeds" / "segments" / "s000001" / "passages.jsonl").write_text("{broken\n")
    code, _, err = run_main(capsys, "--index-root", str(tmp_path), "ask", "Who?")
    assert code == 1 and "index damaged: segments/s000001/passages.jsonl" in err and "qa index" in err


def test_default_index_names():
    assert default_index_name(SEEDS) == "seeds"
    assert default_index_name(Path("/data/papers")) == "papers"


def test_index_then_ask_with_the_console_script(tmp_path):
    env = {**os.environ, "QA_INDEX_ROOT": str(tmp_path)}
    built = subprocess.run([QA, "index", str(SEEDS)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    assert (
        built.stdout.startswith("added 5, updated 0, removed 0, unchanged 0: 5 documents") and "seeds" in built.stdout
    )
    assert "reading" in built.stderr  # the progress bar
    asked = subprocess.run(
        [QA, "ask", "What rating did the North West ROCU receive?"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    first, rest = asked.stdout.split("\n", 1)
    assert first.startswith("Answer: “") and "outstanding" in first
    assert "1. [" in rest and "001_3f8c2f727cca616f.txt, paragraph" in rest and "chars " in rest
    as_module = subprocess.run(
        [sys.executable, "-m", "qa", "ask", "--json", "-k", "3", "How many years in prison have TITAN investigations produced?"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert as_module.returncode == 0, as_module.stderr
    data = json.loads(as_module.stdout)
    assert len(data["hits"]) == 3 and "2,000 years" in data["answer"]["text"]
    assert data["hits"][0]["doc_id"] == "000_29b695066cafc06c.txt"
