# The two commands of the course:  make lab  (open the lessons)  and  make test  (run every check).
# Both create the virtual environment in .venv on first use; nothing here needs conda.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(abspath $(VENV))/bin
STAMP  := $(VENV)/.installed
# The instructor's environment: nbgrader and the grader of assignments/ in a virtual environment of
# its own, so that the learner's JupyterLab (make lab, from .venv) never shows nbgrader's menus.
CLASSROOM_VENV ?= .venv-classroom
CLASSROOM_BIN  := $(abspath $(CLASSROOM_VENV))/bin
CLASSROOM_STAMP := $(CLASSROOM_VENV)/.installed
# The course's JupyterLab settings (jupyter/lab-settings.json: no news prompt, the light theme, a
# larger text), installed as defaults for the JupyterLab of this environment only: the user's own
# settings, in ~/.jupyter, are neither read here nor changed, and still win where they differ.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.d/nndl-companion.json
# and its Jupyter server setting: git looks afresh at a lesson JupyterLab has saved, so that a lesson
# run with outputs does not stop `git pull` (see the file)
SERVER_CONFIG := $(VENV)/etc/jupyter/jupyter_server_config.py

# Run the tools of the venv, and let notebook kernels find its python first.
export PATH := $(BIN):$(PATH)
export MPLBACKEND ?= Agg

NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
# Besides outputs and execution counts, what running a notebook adds to it and git should not keep:
# the kernel's version details, and cells folded away in JupyterLab.
STRIP_KEYS := metadata.language_info.codemirror_mode metadata.language_info.file_extension \
	metadata.language_info.mimetype metadata.language_info.nbconvert_exporter \
	metadata.language_info.pygments_lexer metadata.language_info.version cell.metadata.jupyter
# Jupyter refuses to start as root (e.g. in a container) unless told it is on purpose.
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root,)
# More options for `jupyter lab`, e.g. make lab LAB_ARGS="--no-browser --port=8890"
LAB_ARGS ?=

.PHONY: help env classroom student-tree git-filter lab test quick lint notebooks-clean check unit nbval strip bench \
	browser-test html clean test-portability

help:
	@echo "make lab    - create .venv if needed and open JupyterLab on notebooks/"
	@echo "              (options for jupyter lab: make lab LAB_ARGS=\"--no-browser --port=8890\")"
	@echo "make test   - create .venv if needed and run lint, unit tests, every notebook, the grading and the browser tests"
	@echo "make test-portability - run the lessons whose checks compare training runs again under two"
	@echo "                    other OpenBLAS kernels (Haswell, then Sandybridge with 2 BLAS threads)"
	@echo "make quick  - lint and the unit tests not marked slow (under a minute): for the inner loop"
	@echo "make classroom - the instructor's environment (.venv-classroom: nbgrader and the grader);"
	@echo "                 see docs/instructors.md"
	@echo "make student-tree DIR=path - write what students get (lessons, nbhelpers, data, the"
	@echo "                 released assignments; no solutions) into a new folder"
	@echo "make strip  - remove the outputs from the notebooks on disk (git strips what it stores anyway)"
	@echo "make html   - execute every lesson and write the course as a web site to build/html/"
	@echo "make bench  - print the training-speed benchmarks (chapter 6 at full size against PyTorch: ~30 min)"
	@echo "make browser-test - (part of make test) run make lab as a newcomer would, and follow a"
	@echo "                    lesson's trainer in JupyterLab in headless Chromium (skipped without"
	@echo "                    Chromium: apt-get install chromium); screenshots in test-output/browser"

env: $(STAMP) $(LAB_SETTINGS) $(SERVER_CONFIG)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# an older `make test` put nbgrader into the learner's environment: it lives in $(CLASSROOM_VENV) now
	@if $(BIN)/python -c "import nbgrader" 2>/dev/null; then \
	  $(BIN)/python -m pip uninstall --quiet --yes nbgrader; fi
	@touch $(STAMP)

$(LAB_SETTINGS): jupyter/lab-settings.json $(STAMP)
	@mkdir -p $(dir $@)
	cp jupyter/lab-settings.json $@

$(SERVER_CONFIG): jupyter/jupyter_server_config.py $(STAMP)
	@mkdir -p $(dir $@)
	cp jupyter/jupyter_server_config.py $@

classroom: $(CLASSROOM_STAMP)

$(CLASSROOM_STAMP): pyproject.toml
	@test -x $(CLASSROOM_BIN)/python || $(PYTHON) -m venv $(CLASSROOM_VENV)
	$(CLASSROOM_BIN)/python -m pip install --quiet --upgrade pip
	$(CLASSROOM_BIN)/python -m pip install --quiet -e '.[classroom]'
	@touch $(CLASSROOM_STAMP)

# What students get, for a JupyterHub or Binder: the lessons, nbhelpers, the bundled data and the
# assignments as released (run `nbgrader generate_assignment` in assignments/ first), never
# assignments/source/ or the grader. DIR must not exist yet.
student-tree: $(CLASSROOM_STAMP)
	@test -n "$(DIR)" || { echo "usage: make student-tree DIR=path/to/a/new/folder" >&2; exit 2; }
	cd assignments && $(CLASSROOM_BIN)/python -m nndl_grading.student_tree "$(abspath $(DIR))"

# Notebooks are stored without outputs, yet a working copy may keep them: .gitattributes sends every
# notebook through nbstripout as git stages it (a "clean" filter), so outputs never reach a commit and
# `git diff` does not show them. The filter itself must be named in the clone's own .git/config, which
# git never copies: this target puts it there (outside a git checkout it does nothing). The command
# is relative to the top of the working tree, where git runs filters, so each checkout uses its own
# .venv.
git-filter:
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  git config filter.nbstripout.clean '$(VENV)/bin/nbstripout' && \
	  git config filter.nbstripout.smudge cat && \
	  git config filter.nbstripout.required true && \
	  git config filter.nbstripout.extrakeys '$(STRIP_KEYS)' && \
	  git config diff.ipynb.textconv '$(VENV)/bin/nbstripout -t'; \
	fi

lab: $(STAMP) $(LAB_SETTINGS) $(SERVER_CONFIG) git-filter
	MPLBACKEND= $(BIN)/jupyter lab --notebook-dir=notebooks $(LAB_FLAGS) $(LAB_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check nbhelpers coursebook tests benchmarks browser_tests data notebooks assignments jupyter tools

# What git holds (the staged notebooks), not the working copy, must be free of outputs.
notebooks-clean: $(STAMP) git-filter
	$(BIN)/python -m pytest -q tests/test_notebook_storage.py

# tests/test_assignments*.py grade the assignments with nbgrader in the instructor's environment,
# so the unit tests create it (make classroom); the learner's .venv never gets nbgrader.
# `make test` runs the unit tests (the grading among them), every notebook and the browser tests in
# one pytest run on two workers (pytest-xdist); conftest.py keeps each notebook and test file on one
# worker and starts the longest first, and each worker's BLAS keeps to one thread so the two do not
# fight over the cores. `make unit`, `make nbval` and `make browser-test` run the parts alone.
WORKERS ?= 2
ONE_THREAD := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
# Every lesson cell takes seconds; a cell still running after 5 minutes has hung, so it fails then
# (nbval's own limit is over half an hour).
NBVAL := --nbval-lax --nbval-cell-timeout=300

check: $(STAMP) $(CLASSROOM_STAMP) $(LAB_SETTINGS) $(SERVER_CONFIG) git-filter
	$(ONE_THREAD) CLASSROOM_VENV=$(abspath $(CLASSROOM_VENV)) $(BIN)/python -m pytest -n $(WORKERS) --dist loadfile $(NBVAL) -p no:cacheprovider \
	  tests notebooks browser_tests

# The inner loop: what takes more than a few seconds is marked @pytest.mark.slow and left out (the
# notebooks, the grading, the lessons re-run with a broken engine, the site build, ...).
quick: lint
	$(BIN)/python -m pytest -q -m "not slow" -p no:cacheprovider tests

# A check about a training run must hold on every computer, yet the last bits of a matrix product
# depend on the BLAS kernel OpenBLAS picks for the CPU and on its thread count, and a chaotic run
# turns those bits into a different trajectory. So the lessons whose checks compare training runs
# run again under two other kernels, one of them with two BLAS threads per worker; each run first
# makes sure the kernel was really taken. `tests/portability.py` measures how far apart the checked
# quantities land under each setting (see its docstring).
PORTABILITY_LESSONS := $(filter $(addprefix notebooks/,00-% 02-% 03-% 05-% 06-% 07-% 09-% 10-% 11-% 12-% 13-%), \
	$(NOTEBOOKS))

test-portability: $(STAMP)
	OPENBLAS_CORETYPE=Haswell $(BIN)/python tests/portability.py --expect-kernel Haswell
	OPENBLAS_CORETYPE=Haswell $(ONE_THREAD) $(BIN)/python -m pytest -n $(WORKERS) --dist loadfile \
	  $(NBVAL) -p no:cacheprovider $(PORTABILITY_LESSONS)
	OPENBLAS_CORETYPE=Sandybridge $(BIN)/python tests/portability.py --expect-kernel Sandybridge
	OPENBLAS_CORETYPE=Sandybridge OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2 \
	  $(BIN)/python -m pytest -n $(WORKERS) --dist loadfile $(NBVAL) -p no:cacheprovider \
	  $(PORTABILITY_LESSONS)

unit: $(STAMP) $(CLASSROOM_STAMP) $(LAB_SETTINGS) $(SERVER_CONFIG) git-filter
	CLASSROOM_VENV=$(abspath $(CLASSROOM_VENV)) $(BIN)/python -m pytest tests

nbval: $(STAMP)
	$(BIN)/python -m pytest $(NBVAL) -p no:cacheprovider notebooks

test: lint check

strip: $(STAMP)
	$(BIN)/nbstripout --extra-keys '$(STRIP_KEYS)' $(NOTEBOOKS)

# Every lesson executed and rendered with nbconvert; build/html/index.html is the table of contents.
# The site works opened from disk with no network (it carries MathJax), and its sliders over a few
# values move through pictures drawn at build time (docs/site.md).
html: $(STAMP)
	$(BIN)/python -m coursebook --notebooks notebooks --out build/html

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_training.py
	$(BIN)/python benchmarks/bench_ch6.py

# `make lab` started as a newcomer would, and a lesson's trainer followed in headless Chromium. The
# second needs Debian's chromium (apt-get install chromium) and is skipped, with one line saying so,
# where it is missing; playwright (a dev dependency) drives it and never downloads a browser.
browser-test: $(STAMP) $(LAB_SETTINGS) $(SERVER_CONFIG)
	$(BIN)/python -m pytest -p no:cacheprovider -s browser_tests

clean:
	rm -rf $(VENV) $(CLASSROOM_VENV) .pytest_cache
