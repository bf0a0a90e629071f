# perfpay: `make report` sets everything up and runs the main job; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# perfpay's modules compiled ahead (an editable install is not, and PYTHONDONTWRITEBYTECODE would
# have every run and notebook kernel compile them again: 0.2 s each); only changed files are redone
BYTECODE = @$(BIN)/python -m compileall -q lib >/dev/null
PERIOD ?= 2026Q3

.PHONY: help install system report test check sample lab bench clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --user --name perfpay --display-name "Python (perfpay)" >/dev/null
	touch $(STAMP)

install: $(STAMP)  ## create .venv, install perfpay with its test tools, register the Jupyter kernel

system:  ## Chromium and CJK fonts from apt (as root; otherwise prints what to install)
	bash scripts/system-deps.sh

report: system $(STAMP)  ## data files and HTML reports of the sample company for PERIOD (default 2026Q3) into outputs/
	$(BYTECODE)
	$(BIN)/perfpay check --period $(PERIOD)
	$(BIN)/perfpay run --period $(PERIOD)

test: $(STAMP)  ## run the test suite
	$(BYTECODE)
	$(BIN)/python -m pytest

check: $(STAMP)  ## validate inputs/ and params/ and list every problem
	$(BIN)/perfpay check

lab: $(STAMP)  ## open the notebooks in JupyterLab
	$(BIN)/jupyter lab notebooks/

bench: $(STAMP)  ## measure speed and memory against the targets (bench/; several minutes, not part of test)
	@$(BIN)/python -c "import pyinstrument" 2>/dev/null || $(BIN)/pip install --quiet -e '.[test,bench]'
	$(BYTECODE)
	$(BIN)/python bench/run_all.py

sample: $(STAMP)  ## regenerate the sample company in inputs/ (deterministic)
	$(BIN)/python -m perfpay.sample inputs

clean:  ## remove outputs/ and the environment
	rm -rf outputs $(VENV)
