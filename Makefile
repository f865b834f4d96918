# `make run` and `make test` set everything up on a fresh machine: the virtual environment,
# torch (CPU build, pinned, installed first), the project with its test extras, the seeds index.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# The tests also need the optional stores and indexers: Milvus (Lite) and Ray.
TEST_INSTALLED := $(VENV)/.installed-test
SEEDS_INDEX := index/seeds/manifest.json
HOST ?= 127.0.0.1
PORT ?= 7860
# The browser tests drive Debian's chromium: Playwright's own browser download cannot work offline.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint index clean

run: $(INSTALLED) $(SEEDS_INDEX)
	$(BIN)/qa serve --host $(HOST) --port $(PORT)

test: $(TEST_INSTALLED) $(CHROMIUM)
	$(BIN)/python -m pytest

lint: $(TEST_INSTALLED)
	$(BIN)/ruff check qa tests benchmarks
	$(BIN)/ruff format --check qa tests benchmarks

index: $(SEEDS_INDEX)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Re-run only when the project's dependencies change; a second `make test` installs nothing.
$(INSTALLED): pyproject.toml | $(VENV)/bin/python
	# An unpinned torch would pull several GB of CUDA packages: pin the CPU build first.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_INSTALLED): $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[test,milvus,ray]'
	touch $@

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null

$(SEEDS_INDEX): $(INSTALLED) $(wildcard seeds/docs/*)
	$(BIN)/qa index seeds/docs --name seeds

clean:
	rm -rf $(VENV) index/seeds index/.seeds.* index/eval-* index/.eval-*
