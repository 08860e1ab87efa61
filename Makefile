# Two commands do all the set-up themselves:
#   make lab    install what is missing, open JupyterLab on the notebooks
#   make test   install what is missing, run every test
# Everything lives in .venv (created from python3 on the first run). `make help` lists every
# target: it reads the `## ` comment after each target's name.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NB     := notebooks
# `make test-seeds` (and CI) re-run every notebook under these seeds; one definition, here.
SEEDS  ?= 7
# The claims ledger's seeds, chosen afresh for each ledger run (`make claims SEEDS="…"` to
# give others); never picked to make a claim pass.
LEDGER_SEEDS := 5971 7216 11307 11634 12237 19435 22559 23279 34010 37759 38542 38969 \
                42458 66311 71350 76904 85205 97164 97359 98456
CLAIM_SEEDS = $(if $(filter command line environment,$(origin SEEDS)),$(SEEDS),$(LEDGER_SEEDS))
# ONLY=06 (or ONLY="02 06") limits execute / test-notebooks / test-seeds / claims to those.
ONLY   ?=
NOTEBOOKS = $(if $(ONLY),$(foreach n,$(ONLY),$(wildcard $(NB)/$(n)_*.ipynb)),$(wildcard $(NB)/[0-9]*.ipynb))
# On the course's build machines a CPU-only torch wheel sits in pip's local find-links;
# elsewhere that pin fails fast and plain pip picks the normal torch build.
TORCH_CPU := torch==2.13.0+cpu
# Tests, executions and ledger runs record progress here, never in the learner's home folder.
TEST_PROGRESS := $(CURDIR)/build/test-progress.json
# $(call extra,MODULE,EXTRA): install the optional dependencies EXTRA unless MODULE imports.
extra = @$(BIN)/python -c "import $(1)" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[$(2)]"

.PHONY: help setup lab test test-unit test-notebooks test-seeds test-browser claims-check \
        claims chromium meta lint format execute slides html data data-check data-check-quick \
        progress progress-reset site student assignment test-teacher clean

help: ## list every target
	@echo "usage: make TARGET   (ONLY=06 limits a notebook target to notebook 06)"
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet "$(TORCH_CPU)" 2>/dev/null || $(BIN)/python -m pip install --quiet torch
	$(BIN)/python -m pip install --quiet -e ".[test]" jupyterlab-slideshow
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install the course (done by every other target)

# As root (containers, cloud machines) JupyterLab needs --allow-root; with no display (ssh,
# containers) it opens no browser and the printed URL with its token is the way in.
# LAB_ARGS="--ip=0.0.0.0 --port=8890" passes more options. Stop it with Ctrl-C twice.
lab: $(STAMP) ## open JupyterLab on the notebooks (prints its URL with the token; Ctrl-C twice stops it)
	@flags=""; \
	if [ "$$(id -u)" = 0 ]; then flags="$$flags --allow-root"; fi; \
	if [ "$$(uname -s)" != Darwin ] && [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
	  flags="$$flags --no-browser"; fi; \
	echo "Starting JupyterLab on $(NB)/$$flags. Open the URL with the token printed below;"; \
	echo "stop it with Ctrl-C twice (or: $(BIN)/jupyter lab stop)."; \
	exec $(BIN)/jupyter lab --notebook-dir=$(NB) $$flags $(LAB_ARGS)

lint: $(STAMP) ## ruff check (notebooks included, 100 columns) + ruff format --check (notebooks excluded)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## ruff format the package, the tests and the tools
	$(BIN)/ruff format course_utils tests tools benchmarks

test-unit: $(STAMP) ## unit tests of course_utils (no notebooks)
	COURSE_PROGRESS_FILE=$(TEST_PROGRESS) $(BIN)/python -m pytest -q tests --ignore=tests/browser \
		--ignore=tests/test_teacher.py

test-notebooks: $(STAMP) ## every notebook under strict nbval (ONLY=06 for one)
	@test -n "$(NOTEBOOKS)" || { echo "no notebook matches ONLY=$(ONLY)"; exit 2; }
	COURSE_PROGRESS_FILE=$(TEST_PROGRESS) $(BIN)/python -m pytest -q -n 2 --dist loadfile \
		--nbval --nbval-current-env --nbval-sanitize-with $(NB)/sanitize.cfg \
		--nbval-cell-timeout 300 $(NOTEBOOKS)

claims-check: $(STAMP) ## the claim ids in the notebooks equal those in docs/claims.md
	@if [ -f docs/claims.md ]; then $(BIN)/python tools/claims.py --check; \
	else echo "docs/claims.md does not exist yet: skipping the ledger check (make claims makes it)"; fi

test: lint test-unit test-notebooks claims-check ## lint + unit tests + notebooks (nbval, strict) + ledger check

test-seeds: $(STAMP) ## re-run the notebooks under SEEDS (default 7; SEEDS="7 11"): conclusions must hold
	@test -n "$(NOTEBOOKS)" || { echo "no notebook matches ONLY=$(ONLY)"; exit 2; }
	COURSE_PROGRESS_FILE=$(TEST_PROGRESS) $(BIN)/python tools/run_with_seeds.py --seeds $(SEEDS) $(NOTEBOOKS)

claims: $(STAMP) ## the claims ledger: every notebook under 20 seeds -> docs/claims.md + .png (SEEDS="…", ONLY=06)
	@echo "seeds: $(CLAIM_SEEDS)"
	COURSE_PROGRESS_FILE=$(TEST_PROGRESS) $(BIN)/python tools/claims.py run --jobs 2 \
		--seeds $(CLAIM_SEEDS) $(if $(ONLY),--only $(ONLY)); status=$$?; \
	$(BIN)/python tools/claims.py report --seeds $(CLAIM_SEEDS) && exit $$status

# The browser test needs Debian's chromium: installed here when we are root with apt-get
# (as on CI); anywhere else the test skips and says why. Playwright comes from pip.
chromium: ## install Debian's chromium for the browser test (root with apt-get only)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core) \
	      || echo "chromium could not be installed: the browser tests will skip"; \
	  else echo "no chromium and no root apt-get to install it: the browser tests will skip"; fi; }

test-browser: $(STAMP) chromium ## every notebook in JupyterLab in headless Chromium; site, slides, HTML offline
	@$(BIN)/python -c "import playwright, myst_nb" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[browser,site]" \
	  || echo "playwright could not be installed: the browser tests will skip"
	COURSE_PROGRESS_FILE=$(TEST_PROGRESS) $(BIN)/python -m pytest -q -p no:xdist tests/browser

meta: $(STAMP) ## regenerate launch badges, the Colab install line and slide types
	$(BIN)/python tools/launch.py
	$(BIN)/python tools/slides.py

# Static reveal.js decks and HTML pages from the stored outputs; they work offline (build/vendor).
slides: $(STAMP) ## export reveal.js slides into build/ (offline)
	$(BIN)/python tools/export.py slides

html: $(STAMP) ## export static HTML pages into build/ (offline)
	$(BIN)/python tools/export.py html

site: $(STAMP) ## the course website from the stored notebooks -> build/site/index.html (offline)
	$(call extra,myst_nb,site)
	$(BIN)/python tools/site.py

student: $(STAMP) ## the eight notebooks without their worked solutions -> build/student/
	$(BIN)/python tools/teacher.py student

assignment: $(STAMP) ## an otter-grader assignment per notebook, graded by the course's checkers -> build/assignment/
	$(call extra,otter,teacher)
	$(BIN)/python tools/teacher.py assignment

test-teacher: $(STAMP) ## the teacher's edition: student notebooks, and the assignments' grading round trip
	$(call extra,otter,teacher)
	COURSE_PROGRESS_FILE=$(TEST_PROGRESS) $(BIN)/python -m pytest -q -p no:xdist tests/test_teacher.py

execute: $(STAMP) ## re-execute the notebooks in place, regenerating stored outputs (ONLY=06 for one)
	@test -n "$(NOTEBOOKS)" || { echo "no notebook matches ONLY=$(ONLY)"; exit 2; }
	COURSE_PROGRESS_FILE=$(TEST_PROGRESS) $(BIN)/python tools/execute_notebooks.py $(NOTEBOOKS)

data: $(STAMP) ## regenerate the shipped corpus and BERT checkpoint (course_utils/data/, minutes)
	$(BIN)/python -m course_utils.corpus
	$(BIN)/python tools/make_bert_checkpoint.py

# The corpus is regenerated into a temporary folder and compared with the shipped files.
define CORPUS_CHECK
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/python -m course_utils.corpus --out "$$tmp" >/dev/null && \
	for f in corpus.txt topics.tsv; do \
	  cmp -s "$$tmp/$$f" course_utils/data/$$f \
	    || { echo "course_utils/data/$$f differs from what course_utils.corpus makes: run make data"; exit 1; }; \
	done && echo "corpus.txt and topics.tsv: identical to a fresh run"
endef

data-check: $(STAMP) ## verify the shipped corpus and BERT checkpoint byte for byte (about 2 min)
	$(CORPUS_CHECK)
	$(BIN)/python tools/make_bert_checkpoint.py --check

data-check-quick: $(STAMP) ## the corpus byte for byte, the checkpoint recipe's first 100 steps (seconds; CI)
	$(CORPUS_CHECK)
	$(BIN)/python tools/make_bert_checkpoint.py --quick-check

progress: $(STAMP) ## your course map: exercises passed, predictions made and right, per notebook
	@$(BIN)/python -m course_utils.progress show

progress-reset: $(STAMP) ## clear your progress record (the old file is kept beside it)
	@$(BIN)/python -m course_utils.progress reset

clean: ## remove build/ and caches
	rm -rf build .pytest_cache
