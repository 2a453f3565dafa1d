# Two commands do everything (see README.md):
#   make lessons   set up, then open the lessons in JupyterLab
#   make test      set up, then run every test (lint, library, notebooks, browser)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONHASHSEED := 0
export MPLBACKEND := module://matplotlib_inline.backend_inline

.PHONY: setup lessons test lint test-lib test-notebooks notebooks nav html student grade bench

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed: install it, then run make again"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

lessons: setup
	$(BIN)/jupyter lab notebooks/00_index.ipynb

test: setup lint test-lib test-notebooks

lint: setup
	$(BIN)/ruff check .

test-lib: setup
	$(BIN)/python -m pytest tests -n 2 --dist loadfile

test-notebooks: setup
	LESSONS_MODE=ci $(BIN)/python -m pytest $(NBVAL) notebooks -n 2 --dist loadfile -p no:cacheprovider

# Re-execute every notebook in place (after changing a lesson), then refresh navigation.
notebooks: setup nav
	cd notebooks && ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=900 [0-9]*.ipynb

nav: setup
	$(BIN)/python scripts/nav.py notebooks

bench: setup
	$(BIN)/python benchmarks/bench_momentum_grid.py
