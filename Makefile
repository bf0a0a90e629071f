# perfpay: `make report` sets everything up and runs the main job; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PERIOD ?= 2026Q3

.PHONY: help install report test check sample clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install perfpay with its test tools

report: $(STAMP)  ## score and pay the sample company for PERIOD (default 2026Q3) into outputs/
	$(BIN)/perfpay check --period $(PERIOD)
	$(BIN)/perfpay score --period $(PERIOD)
	$(BIN)/perfpay pay --period $(PERIOD)

test: $(STAMP)  ## run the test suite
	$(BIN)/python -m pytest

check: $(STAMP)  ## validate inputs/ and params/ and list every problem
	$(BIN)/perfpay check

sample: $(STAMP)  ## regenerate the sample company in inputs/ (deterministic)
	$(BIN)/python -m perfpay.sample inputs

clean:  ## remove outputs/ and the environment
	rm -rf outputs $(VENV)
