# The two commands of the README: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# pywb pins library versions that clash with the crawler's (redis < 3), so replay tests get their own venv.
PYWB_VENV := .venv-pywb
PYWB_STAMP := $(PYWB_VENV)/.installed
DEMO_ARTICLES ?= 300

.PHONY: demo test lint typecheck pytest bench bench-quick bench-tools clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

$(PYWB_STAMP):
	$(PYTHON) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/python -m pip install --quiet 'pywb>=2.8'
	touch $@

demo: $(STAMP)
	$(BIN)/python -m archiver.demo --articles $(DEMO_ARTICLES)

test: $(TEST_STAMP) $(PYWB_STAMP) bench-tools
	$(BIN)/ruff check archiver spiders tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(TEST_STAMP)
	$(BIN)/ruff check archiver spiders tests bench

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

pytest: $(TEST_STAMP) $(PYWB_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Debian packages the benchmarks use: wget, the archivists' reference crawler; nginx, the server in front
# of the replica (bench/front.py); valgrind, whose callgrind counts extraction instructions (bench/instructions.py).
# The quick benchmark run in the test suite uses all three.
MISSING_TOOLS := $(if $(shell command -v wget 2>/dev/null),,wget) \
	$(if $(shell command -v nginx 2>/dev/null || ls /usr/sbin/nginx 2>/dev/null),,nginx-light) \
	$(if $(shell command -v valgrind 2>/dev/null),,valgrind)

bench: $(TEST_STAMP) bench-tools
	$(BIN)/python bench/run.py

bench-tools:
ifneq ($(strip $(MISSING_TOOLS)),)
	apt-get install -y --no-install-recommends $(MISSING_TOOLS) || sudo apt-get install -y --no-install-recommends $(MISSING_TOOLS)
endif

bench-quick: $(TEST_STAMP) bench-tools
	$(BIN)/python bench/run.py --quick

clean:
	rm -rf archive .pytest_cache .mypy_cache .ruff_cache $(PYWB_VENV)
