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

# The oldest Scrapy of the range pyproject.toml allows: the crawl and capture tests run on it too (make test runs
# everything on the newest, which pip picks).
SCRAPY_OLDEST := 2.19.0
OLDEST_VENV := .venv-scrapy-oldest
SCRAPY_RANGE_TESTS := tests/test_spider.py tests/test_capture.py tests/test_crawl_e2e.py tests/test_update.py \
	tests/test_warc_service.py tests/test_hostile.py

.PHONY: demo test lint typecheck pytest bench bench-quick bench-big bench-tools test-tools test-scrapy-oldest screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The demo's own output and the README advertise `archiver serve` (Datasette, charts) and Parquet exports: install
# both; serve replays the archived pages with pywb from its own venv.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[serve,parquet]'
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[serve,parquet,plot,test]'
	touch $@ $(STAMP)

$(PYWB_STAMP):
	$(PYTHON) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/python -m pip install --quiet 'pywb>=2.8'
	touch $@

demo: $(STAMP) $(PYWB_STAMP)
	$(BIN)/python -m archiver.demo --articles $(DEMO_ARTICLES)

# The suite in two processes (one replica each; each test file stays in one process), after the few tests that
# must run alone because they stop a server the others use (marker "serial").
test: $(TEST_STAMP) $(PYWB_STAMP) test-tools
	$(BIN)/ruff check archiver spiders tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -m serial
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not serial"

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
# The desk's browser tests (tests/test_desk_browser.py): Debian's Chromium and its driver, never a downloaded one.
MISSING_TEST_TOOLS := $(MISSING_TOOLS) $(if $(shell command -v chromium 2>/dev/null),,chromium) \
	$(if $(shell command -v chromedriver 2>/dev/null),,chromium-driver)
IS_ROOT := $(filter 0,$(shell id -u))

# Skipped (with a line saying so) while the newest release of the range is the oldest.
test-scrapy-oldest: $(TEST_STAMP)
	@if [ "$$($(BIN)/python -c 'import scrapy; print(scrapy.__version__)')" = "$(SCRAPY_OLDEST)" ]; then \
		echo "test-scrapy-oldest: Scrapy $(SCRAPY_OLDEST) is both ends of the range; make test ran it"; \
	else \
		test -x $(OLDEST_VENV)/bin/python || $(PYTHON) -m venv $(OLDEST_VENV); \
		$(OLDEST_VENV)/bin/python -m pip install --quiet -e '.[test]' 'scrapy==$(SCRAPY_OLDEST)' && \
		$(OLDEST_VENV)/bin/python -m pytest -q $(SCRAPY_RANGE_TESTS); \
	fi

bench: $(TEST_STAMP) bench-tools
	$(BIN)/python bench/run.py

# The benchmarks cannot run without their tools: install them (as root) or stop.
bench-tools:
ifneq ($(strip $(MISSING_TOOLS)),)
	apt-get install -y --no-install-recommends $(MISSING_TOOLS) || sudo apt-get install -y --no-install-recommends $(MISSING_TOOLS)
endif

# The tests run without them: as root they are installed; otherwise the tests that need them are skipped,
# each naming the tool and how to get it (CI installs them first and skips nothing).
test-tools:
ifneq ($(IS_ROOT),)
	bash tests/wordpress/install.sh || echo "note: could not install the WordPress stack; the real-WordPress tests will be skipped"
endif
ifneq ($(strip $(MISSING_TEST_TOOLS)),)
ifneq ($(IS_ROOT),)
	apt-get install -y --no-install-recommends $(MISSING_TEST_TOOLS) || echo "note: could not install $(strip $(MISSING_TEST_TOOLS)); the tests that need them will be skipped"
else
	@echo "note: $(strip $(MISSING_TEST_TOOLS)) not installed and not root: the tests that need them will be skipped (apt-get install $(strip $(MISSING_TEST_TOOLS)) as root runs them)"
endif
endif

bench-quick: $(TEST_STAMP) bench-tools
	$(BIN)/python bench/run.py --quick

# The documentation's screenshots of the desk (docs/screenshots/*.png), taken by the browser test on the replica crawl.
screenshots: $(TEST_STAMP) $(PYWB_STAMP) test-tools
	ARCHIVER_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/test_desk_browser.py

# The big archive (docs/benchmarks.md, "Big archive"): synthetic 10k / 100k / 1M-article archives on SQLite and
# PostgreSQL under BIG_DIR (reused when built; ~80 GB free needed for 1M) and the researcher operations on each.
# Hours on a busy two-core machine: the 1M PostgreSQL build stems a million texts for its search index.
BIG_DIR ?= /work/bigdata
BIG_SIZES ?= 10000 100000 1000000
bench-big: $(TEST_STAMP)
	$(BIN)/python bench/big_run.py --dir $(BIG_DIR) --sizes $(BIG_SIZES)

clean:
	rm -rf archive .pytest_cache .mypy_cache .ruff_cache $(PYWB_VENV) $(OLDEST_VENV)
