# The course's two entry points (README.md):
#   make lab    set everything up, then open JupyterLab on the first notebook
#   make test   set everything up, then run the whole test suite against the real engine
# Set-up is idempotent: a venv from requirements.txt, a Docker engine that answers (provisioned
# on a bare Debian machine as root), the base images, the notebooks generated from their text.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.requirements-installed
NOTEBOOK_SOURCES := $(sort $(wildcard notebooks/[0-9]*.py))
PYTEST_ARGS ?=
# make lab LAB_ARGS="--port 9000 --no-browser" (Jupyter's own options too, e.g. --ip=0.0.0.0)
LAB_ARGS ?=

.PHONY: lab test setup venv engine images notebooks browser grade clean-engine help readme classroom

help:
	@echo "make lab     set up, then open JupyterLab on notebooks/00-setup.ipynb"
	@echo "make test    set up, then run the test suite (builds real images)"
	@echo "make setup   venv + engine + base images + notebooks, nothing else"
	@echo "make grade STAGE=N   grade exercises/ up to stage N"
	@echo "make classroom  write the nbgrader course's assignments (classroom/source/)"
	@echo "make readme  regenerate the tables generated from the catalogue (README, docs/instructor.md)"

setup: venv engine images notebooks

venv: $(STAMP)

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "error: Python 3.11 or newer is needed as '$(PYTHON)' (make PYTHON=python3.12 ...)"; exit 2; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || \
	  { echo "error: '$(PYTHON) -m venv' failed: install your Python's venv module (Debian/Ubuntu: apt-get install python3-venv)"; exit 2; }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

engine:
	@bash scripts/ensure-engine.sh

images: venv engine
	@$(PY) -m graders images

notebooks: venv
	@$(VENV)/bin/jupytext --quiet --sync $(NOTEBOOK_SOURCES)

# JupyterLab on the course folder, opening notebooks/00-setup.ipynb, with the settings in jupyter/;
# it prints the URL to open (port and token). tests/test_lab_browser.py starts the same command.
lab: setup
	@$(PY) -m graders.notebook.lab_server $(LAB_ARGS)

test: setup browser
	$(PY) -m pytest $(PYTEST_ARGS)

# Chromium for the browser test (driven by Playwright; never `playwright install`).
browser:
	@bash scripts/ensure-browser.sh

grade: venv engine images
	$(PY) -m graders check $(if $(STAGE),--stage $(STAGE),) exercises

clean-engine: venv
	$(PY) -m graders cleanup

# The tables generated from the catalogue: the README's practices, the instructor guide's schedule
# (tests fail when one is stale).
readme: venv
	$(PY) -m graders.generated_docs

# The nbgrader course: classroom/source/stageN/ generated from the catalogue and the solutions
# (classroom/README.md gives the instructor's whole flow).
classroom: venv
	$(PY) -m graders.nbgrader_course
