# Two commands do all the set-up themselves:
#   make lab    install what is missing, open JupyterLab on the notebooks
#   make test   install what is missing, run every test
# Everything lives in .venv (created from python3 on the first run).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NB     := notebooks
SEEDS  ?= 7 11
# On the course's build machines a CPU-only torch wheel sits in pip's local find-links;
# elsewhere that pin fails fast and plain pip picks the normal torch build.
TORCH_CPU := torch==2.13.0+cpu

.PHONY: help setup lab test test-unit test-notebooks test-seeds test-browser lint format execute slides html clean

help:
	@echo "make lab            open JupyterLab on the notebooks (sets itself up first)"
	@echo "make test           lint + unit tests + notebooks (nbval, strict) + notebook hygiene"
	@echo "make test-seeds     re-run every notebook with COURSE_SEED=$(SEEDS): conclusions must hold"
	@echo "make test-browser   run every notebook in JupyterLab in headless Chromium"
	@echo "make execute        re-execute the notebooks in place (regenerate stored outputs)"
	@echo "make slides / html  export reveal.js slides / static HTML into build/"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet "$(TORCH_CPU)" 2>/dev/null || $(BIN)/python -m pip install --quiet torch
	$(BIN)/python -m pip install --quiet -e ".[test]" jupyterlab-slideshow
	@touch $(STAMP)

setup: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=$(NB)

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format course_utils tests tools

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q tests --ignore=tests/browser

test-notebooks: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --nbval --nbval-current-env \
		--nbval-sanitize-with $(NB)/sanitize.cfg --nbval-cell-timeout 300 $(NB)

test: lint test-unit test-notebooks

test-seeds: $(STAMP)
	$(BIN)/python tools/run_with_seeds.py --seeds $(SEEDS) $(NB)/[0-9]*.ipynb

test-browser: $(STAMP)
	$(BIN)/python -m pytest -q tests/browser

execute: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py $(NB)/[0-9]*.ipynb

clean:
	rm -rf build .pytest_cache
