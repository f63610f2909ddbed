# Quick start:  make book   (set up a virtual environment and build the book)
#               make test   (run the whole test suite)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# nbgrader and jupyter start helper programs (alembic, kernels) by name: use the venv's.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: book test setup lint clean

$(BIN)/jupyter-book: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -r requirements.txt
	touch $@

# The widget JavaScript the book serves itself (no CDN), pinned in package-lock.json.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

setup: $(BIN)/jupyter-book node_modules/.package-lock.json

# jupyter-cache keys a chapter on its own code cells only: when the library code the
# chapters run (the reference, the demos) changes, drop the executed results so that
# every chapter runs again.
LIBRARY := $(shell find autograder book/demos book/diagrams -name '*.py' 2>/dev/null)
_build/.library-stamp: $(LIBRARY)
	rm -rf _build/.jupyter_cache _build/.doctrees _build/jupyter_execute
	mkdir -p _build && touch $@

book: setup _build/.library-stamp
	$(BIN)/jupyter-book build . -W -n --keep-going

test: setup _build/.library-stamp
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf _build _grading
