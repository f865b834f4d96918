"""The benchmark scripts are run by hand, months apart: a module moved under them must fail here, at once
(benchmarks/ceiling.py imported `qa.fit` for weeks after it had moved to qa/training/fit.py)."""

from __future__ import annotations

import importlib
import subprocess

import pytest

from tests.conftest import ROOT

SCRIPTS = sorted((ROOT / "benchmarks").glob("*.py"))


def test_there_are_benchmark_scripts():
    assert len(SCRIPTS) >= 10


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_each_benchmark_script_imports(script):
    module = importlib.import_module(f"benchmarks.{script.stem}")
    assert module.__doc__, f"{script.name} says nothing of what it measures or how to run it"


@pytest.mark.parametrize("script", sorted((ROOT / "benchmarks").glob("*.sh")), ids=lambda p: p.name)
def test_each_benchmark_shell_script_parses(script):
    subprocess.run(["bash", "-n", str(script)], check=True)
