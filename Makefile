# Two commands do everything (see README.md):
#   make lessons   set up, then open the lessons in JupyterLab
#   make test      set up, then run every test (lint, library, notebooks, browser)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg
# Lessons that need Keras + TensorFlow (the capstone extra); the others run with both blocked.
TF_LESSONS := notebooks/08_fashion_mnist.ipynb
CORE_LESSONS := $(filter-out $(TF_LESSONS),$(wildcard notebooks/[0-9][0-9]_*.ipynb))
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONHASHSEED := 0
export MPLBACKEND := module://matplotlib_inline.backend_inline

.PHONY: setup lessons test lint test-lib test-notebooks test-browser notebooks nav html slides \
	student grade bench bench-fashion

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed: install it, then run make again"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[capstone,test]"
	touch $@

# --allow-root only where make runs as root (containers, CI machines).
lessons: setup
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/00_index.ipynb

test: setup lint test-lib test-notebooks test-browser

lint: setup
	$(BIN)/ruff check .

test-lib: setup
	$(BIN)/python -m pytest tests --ignore=tests/browser -n 2 --dist loadfile

# Lessons 00-07 run where `import tensorflow` / `import keras` fail (tests/no_tensorflow), as on
# a core install; lesson 08 runs where the platform has TensorFlow (not on an Intel Mac).
test-notebooks: setup
	LESSONS_MODE=ci PYTHONPATH=tests/no_tensorflow $(BIN)/python -m pytest $(NBVAL) \
		$(CORE_LESSONS) -n 2 --dist loadfile -p no:cacheprovider
	@if [ "$$CI" = true ] || $(BIN)/python -c "import tensorflow" 2>/dev/null; then \
		LESSONS_MODE=ci $(BIN)/python -m pytest $(NBVAL) $(TF_LESSONS) -p no:cacheprovider; \
	else echo "lesson 08 not run: this platform has no TensorFlow (see README)"; fi

# Re-execute every notebook in place (after changing a lesson), after refreshing navigation;
# then the slide metadata, which depends on the outputs (a cell that draws opens a slide).
notebooks: setup nav
	cd notebooks && ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=900 [0-9]*.ipynb
	$(BIN)/python scripts/slides.py notebooks

nav: setup
	$(BIN)/python scripts/nav.py notebooks

# One JupyterLab and one Chromium, lessons in order: not split across workers.
test-browser: setup
	$(BIN)/python -m pytest tests/browser -p no:cacheprovider

# The collection as a static HTML site in site/, from the stored outputs. MathJax is copied
# into site/assets/ (npm fetches it once), so formulas show with no network.
html: setup
	$(BIN)/python scripts/export_html.py notebooks site

# reveal.js decks of every lesson in slides/, from the stored outputs; reveal.js and MathJax
# are copied into slides/assets/ (npm fetches them once), so the decks work offline.
slides: setup
	$(BIN)/python scripts/slides.py notebooks --build slides

# The student edition (solutions replaced by stubs) in student/.
student: setup
	$(BIN)/python -m lessons_lib.coursework student notebooks student

# Grade notebooks, or a folder of student folders, against the handout (student code runs
# only in a limited child process); CSV=grades.csv writes the gradebook:
#   make grade NB=submissions REF=student JOBS=2 CSV=grades.csv
grade: setup
	$(BIN)/python -m lessons_lib.coursework grade $(or $(NB),notebooks) $(if $(REF),--reference $(REF)) \
		$(if $(JOBS),--jobs $(JOBS)) $(if $(CSV),--csv $(CSV))

bench: setup
	$(BIN)/python benchmarks/bench_momentum_grid.py
	$(BIN)/python benchmarks/keras_deviation.py
	$(BIN)/python benchmarks/bench_sliders.py

# Minutes, not seconds: numpy matmul vs Keras training FLOP/s on Fashion-MNIST.
bench-fashion: setup
	$(BIN)/python benchmarks/bench_fashion.py
