# Two commands from a fresh clone: `make demo` (set up + run the demo) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

BROWSER_STAMP := tests/browser/node_modules/.installed
ASSETS_STAMP := assets/node_modules/.installed

.PHONY: demo test check clean system-packages assets

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

# Debian's chromium (and a Thai font, or Thai renders as boxes) for the diagram tests and
# print-to-PDF; poppler-utils (pdftotext, pdftoppm) to read the printed documents back.
system-packages:
	@if ! command -v chromium >/dev/null || ! dpkg -s fonts-thai-tlwg >/dev/null 2>&1 \
		|| ! command -v pdftotext >/dev/null; then \
		apt-get update -qq && apt-get install -y -qq chromium fonts-thai-tlwg poppler-utils; \
	fi

$(BROWSER_STAMP): tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	touch $(BROWSER_STAMP)

# The server's own front-end assets (bpmn-js viewer, Sarabun font): served by the app, no CDN.
$(ASSETS_STAMP): assets/package-lock.json
	npm ci --prefix assets --no-audit --no-fund --silent
	touch $(ASSETS_STAMP)

assets: $(ASSETS_STAMP)

# Sets up and serves the demo on ./prflow.db; prints logins, passwords and the address.
demo: $(STAMP) $(ASSETS_STAMP)
	$(BIN)/prflow serve --demo

test: $(STAMP) system-packages $(BROWSER_STAMP) $(ASSETS_STAMP)
	$(BIN)/pytest -q -n 2

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) prflow.db prflow.db-wal prflow.db-shm
