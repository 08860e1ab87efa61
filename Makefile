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

.PHONY: help setup lab test test-unit test-notebooks test-seeds test-browser chromium meta lint format execute slides html clean

help:
	@echo "make lab            open JupyterLab on the notebooks (sets itself up first)"
	@echo "make test           lint + unit tests + notebooks (nbval, strict) + notebook hygiene"
	@echo "make test-seeds     re-run every notebook with COURSE_SEED=$(SEEDS): conclusions must hold"
	@echo "make test-browser   run every notebook in JupyterLab in headless Chromium"
	@echo "make execute        re-execute the notebooks in place (regenerate stored outputs)"
	@echo "make slides / html  export reveal.js slides / static HTML into build/ (offline)"
	@echo "make meta           regenerate launch badges, Colab install line and slide types"

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

# The browser test needs Debian's chromium: installed here when we are root with apt-get
# (as on CI); anywhere else the test skips and says why. Playwright comes from pip.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core) \
	      || echo "chromium could not be installed: the browser tests will skip"; \
	  else echo "no chromium and no root apt-get to install it: the browser tests will skip"; fi; }

test-browser: $(STAMP) chromium
	@$(BIN)/python -c "import playwright" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[browser]" \
	  || echo "playwright could not be installed: the browser tests will skip"
	$(BIN)/python -m pytest -q -p no:xdist tests/browser

# Regenerate the launch links (README badges, Colab badge + install line) and default slide types.
meta: $(STAMP)
	$(BIN)/python tools/launch.py
	$(BIN)/python tools/slides.py

# Static reveal.js decks and HTML pages from the stored outputs; they work offline (build/vendor).
slides: $(STAMP)
	$(BIN)/python tools/export.py slides

html: $(STAMP)
	$(BIN)/python tools/export.py html

execute: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py $(NB)/[0-9]*.ipynb

clean:
	rm -rf build .pytest_cache
