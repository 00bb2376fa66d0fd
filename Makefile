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

.PHONY: demo test test-sqlite test-postgres lint install clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
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

bench: $(STAMP) $(WRK)
	$(BIN)/storefront bench $(if $(ONLY),--only $(ONLY))

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) storefront.db storefront.db-wal storefront.db-shm
