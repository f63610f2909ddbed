# Quick start:  make book   (set up a virtual environment and build the book)
#               make test   (run the whole test suite)
#               make test-fast (no root, browser, PostgreSQL, npm or book build; parallel)
#               make release (release every assignment: exercises/ and student/)
#               make wheel  (the student package's wheel in dist/)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# nbgrader and jupyter start helper programs (alembic, kernels) by name: use the venv's.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: book test test-fast setup lint clean release wheel

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
# chapters import (the reference, the demos, the diagrams) changes, drop the executed
# results so that every chapter runs again. No chapter imports the checks or the grading,
# so changing them keeps the cache.
LIBRARY := $(shell find autograder/reference book/demos book/diagrams -name '*.py' 2>/dev/null)
_build/.library-stamp: $(LIBRARY)
	rm -rf _build/.jupyter_cache _build/.doctrees _build/jupyter_execute
	mkdir -p _build && touch $@

book: setup _build/.library-stamp
	$(BIN)/jupyter-book build . -W -n --keep-going

test: setup _build/.library-stamp
	$(BIN)/python -m pytest

# The fast tier (CONTRIBUTING.md): everything that needs no root, browser, PostgreSQL,
# npm or book build, on every core. Run it before every commit; `make test` before a merge.
FAST := not book and not browser and not grading and not sandbox and not npm
test-fast: $(BIN)/jupyter-book
	$(BIN)/python -m pytest -m "$(FAST)" -n auto -q

# Source notebooks' test cells and points, exercises/ (nbgrader), student/rnn_checks.
release: setup
	$(BIN)/python -m autograder release --all

# The student package as a wheel (beside exercises/, or for the JupyterLite site).
wheel: setup
	rm -rf dist/rnn_course_checks-*.whl student/build
	$(BIN)/python -m pip wheel ./student --no-deps -w dist/

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf _build _grading
