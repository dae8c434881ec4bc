# Two commands on a fresh machine: `make serve` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test lint typecheck unit setup clean openapi interop browser-deps bench

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
	$(BIN)/mypy src tests bench

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

# the suite runs on every core (pytest-xdist; an idle worker takes tests queued for a busy one,
# so a long file does not leave the other core idle at the end); coverage is combined from the workers.
# coverage floor: a little under the measured figure, so a change that leaves code untested fails
COVERAGE_FLOOR ?= 94
unit: $(STAMP) interop browser-deps
	$(BIN)/pytest -q -n auto --dist worksteal --cov --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR)

test: setup lint typecheck unit

# the bench scripts, each bounded in time (a few minutes in all); not part of `make test`. The
# JavaScript reference (bench/js, pinned npm lock) is installed when node is there, else skipped.
bench: $(STAMP)
	@if command -v npm >/dev/null; then (cd bench/js && npm ci --no-audit --no-fund --silent); \
	 else echo "node/npm not found: the JavaScript reference is skipped"; fi
	$(BIN)/python bench/sign_verify.py --rounds 3 --seconds 1
	$(BIN)/python bench/verify.py --seconds 1 --requests 100 --latency-requests 100 --throughput-seconds 5
	$(BIN)/python bench/memory.py --count 5000
	$(BIN)/python bench/issue_http.py --seconds 200
	$(BIN)/python bench/ob_api.py --credentials 1000
	$(BIN)/python bench/wallet_flows.py --rounds 10
	$(BIN)/python bench/bulk_csv.py --rows 20000 --workers 1,2 --seconds 600

openapi: $(STAMP)
	$(BIN)/badge-issuer openapi > openapi.yaml

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache $(INTEROP)/node_modules tests/axe/node_modules bench/js/node_modules
