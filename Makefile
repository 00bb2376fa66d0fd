# Storefront developer commands. `make demo` runs the service; `make test` runs the suite;
# `make bench` measures every figure of docs/benchmarks.md (ONLY=sync,cached,uncached,writes for some).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The dashboard's browser test drives Debian's Chromium through Playwright (no browser download).
CHROMIUM := /usr/bin/chromium
# The benchmarks' HTTP load generator for cached reads (Debian package).
WRK := /usr/bin/wrk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-sqlite test-postgres lint install clean openapi screenshot bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	$(PYTHON) -m venv $(VENV)/codegen
	$(VENV)/codegen/bin/pip install --quiet --upgrade pip
	$(VENV)/codegen/bin/pip install --quiet --group codegen
	touch $(STAMP)

$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) apt-get install -y chromium

$(WRK):
	$(SUDO) apt-get update
	$(SUDO) apt-get install -y wrk

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/storefront demo

test: test-sqlite test-postgres

test-sqlite: $(STAMP) $(CHROMIUM)
	STOREFRONT_TEST_DB=sqlite $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(STAMP) $(CHROMIUM)
	STOREFRONT_TEST_DB=postgres $(BIN)/python -m pytest $(PYTEST_ARGS)

# The OpenAPI document the app team generates its client from; tests/contract checks it is current.
openapi: $(STAMP)
	$(BIN)/storefront openapi --output docs/openapi.json

# The dashboard's picture in the docs, taken by its browser test.
screenshot: $(STAMP) $(CHROMIUM)
	STOREFRONT_UPDATE_SCREENSHOT=1 $(BIN)/python -m pytest tests/dashboard/test_dashboard_browser.py -k retries

bench: $(STAMP) $(WRK)
	$(BIN)/storefront bench $(if $(ONLY),--only $(ONLY))

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) storefront.db storefront.db-wal storefront.db-shm
