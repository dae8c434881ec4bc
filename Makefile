# Two commands on a fresh machine: `make serve` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test lint typecheck unit setup clean openapi interop browser-deps

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/badge-issuer init

serve: setup
	$(BIN)/badge-issuer serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy src tests

# the independent implementation the interop tests run (tests/interop/js): installed from the lock,
# again whenever package.json or package-lock.json changes; needs Node.js 20 and npm
INTEROP := tests/interop/js
$(INTEROP)/node_modules/.installed: $(INTEROP)/package.json $(INTEROP)/package-lock.json
	cd $(INTEROP) && npm ci --no-audit --no-fund
	touch $@

interop: $(INTEROP)/node_modules/.installed

# The browser tests drive Debian's Chromium with Playwright (whose own browser builds are never
# downloaded) and check pages with axe-core, pinned by tests/axe/package-lock.json.
CHROMIUM := /usr/bin/chromium
AXE_STAMP := tests/axe/node_modules/.installed
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get

$(CHROMIUM):
	$(APT_GET) update -qq
	$(APT_GET) install -y -qq chromium

$(AXE_STAMP): tests/axe/package.json tests/axe/package-lock.json
	command -v npm >/dev/null || ($(APT_GET) update -qq && $(APT_GET) install -y -qq npm)
	cd tests/axe && npm ci --no-audit --no-fund --loglevel=error
	touch $(AXE_STAMP)

browser-deps: $(CHROMIUM) $(AXE_STAMP)

# coverage floor: a little under the measured figure, so a change that leaves code untested fails
COVERAGE_FLOOR ?= 93
unit: $(STAMP) interop browser-deps
	$(BIN)/pytest -q --cov --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR)

test: setup lint typecheck unit

openapi: $(STAMP)
	$(BIN)/badge-issuer openapi > openapi.yaml

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache $(INTEROP)/node_modules tests/axe/node_modules
