# The two commands a newcomer needs: `make demo` and `make test`. Both install what they need
# into .venv (Python) and node_modules (asl-validator) on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed
# checkov pins an older boto3 than this project, so it lives in a virtualenv of its own.
CHECKOV := .tools/checkov/bin/checkov
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
# sam build without a container needs the Lambda runtime's Python (python3.12) on PATH: pyenv's 3.12
# goes first when pyenv has one.
PY312_BIN := $(lastword $(sort $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.12*/bin)))
SAM_PATH := $(if $(PY312_BIN),$(PY312_BIN):)$(PATH)

.DEFAULT_GOAL := help
.PHONY: help install demo test unit lint typecheck templates bench bench-events bench-fleet bench-fleet-regions bench-docs bench-packages stress build clean schema

help: ## Show the available targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==26.3
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CHECKOV): constraints-checkov.txt
	$(PYTHON) -m venv .tools/checkov
	.tools/checkov/bin/pip install --quiet -c constraints-checkov.txt checkov
	touch $@

install: $(INSTALLED) $(NODE_INSTALLED) $(CHECKOV) ## Install Python and Node dev tools (pinned)

demo: $(INSTALLED) ## Run the nightly workflow on the local emulator (SCENARIO=name, JSON=1)
	$(BIN)/datasync-scheduler demo $(if $(SCENARIO),--scenario $(SCENARIO)) $(if $(JSON),--json)

test: install lint typecheck ## Lint, type-check and run every test (what CI runs)
	$(BIN)/pytest -n 2 -q

unit: $(INSTALLED) ## Run the fast layer only: domain, steps on fakes, the fakes' contract (no moto, no emulator)
	$(BIN)/pytest -q -m unit tests/unit tests/steps tests/contract

lint: $(INSTALLED) ## ruff
	$(BIN)/ruff check layers functions datasync_scheduler_cli emulator tests benchmarks
	$(BIN)/ruff format --check layers functions datasync_scheduler_cli emulator tests benchmarks

typecheck: $(INSTALLED) ## mypy (strict)
	$(BIN)/mypy

bench: $(INSTALLED) ## Print workflow cost per transfer length, log parser speed and memory, a 100-task batch, message sizes
	$(BIN)/python benchmarks/state_transitions.py $(BENCH_FLAGS)
	$(BIN)/python benchmarks/log_parser.py $(BENCH_FLAGS)
	$(BIN)/python benchmarks/batch.py $(BENCH_FLAGS)
	$(BIN)/python benchmarks/notifications.py $(BENCH_FLAGS)
	$(BIN)/python benchmarks/state_size.py $(BENCH_FLAGS)
	$(BIN)/python benchmarks/run_cost.py

bench-events: $(INSTALLED) ## Print what the runs' and batches' events add to a run: transitions, invocations, entry sizes
	$(BIN)/python benchmarks/run_events.py

bench-fleet: $(INSTALLED) ## Print what a 500-task batch at 100 at a time costs (about 8 min)
	$(BIN)/python benchmarks/fleet_batch.py $(BENCH_FLAGS)

bench-fleet-regions: $(INSTALLED) ## The same 500-task batch with its tasks spread over 5 Regions (about 8 min)
	$(BIN)/python benchmarks/fleet_batch.py --regions 5

bench-docs: $(INSTALLED) ## make bench, bench-fleet and bench-packages, writing their tables into docs/benchmarks.md (and the README's figure)
	$(MAKE) bench bench-fleet bench-packages BENCH_FLAGS=--write-docs

schema: $(INSTALLED) ## Write the JSON Schema of the workflows' state (docs/state-schema/) and of the events (docs/event-schemas/, template.yaml)
	$(BIN)/python -m datasync_scheduler.workflow.state.sync > docs/state-schema/sync.json
	$(BIN)/python -m datasync_scheduler.workflow.state.batch > docs/state-schema/batch.json
	mkdir -p docs/event-schemas
	$(BIN)/python -m datasync_scheduler.workflow.events docs/event-schemas template.yaml

stress: $(INSTALLED) ## Run the workflow and batch tests 20 times with every core busy; print failures (RUNS=n)
	$(BIN)/python benchmarks/stress.py -n $(or $(RUNS),20)

build: $(INSTALLED) ## sam build (needs a python3.12: on PATH, or pyenv's)
	PATH="$(SAM_PATH)" $(BIN)/sam build

bench-packages: $(INSTALLED) ## sam build, then print each function's zipped package and its handler's cold import time
	PATH="$(SAM_PATH)" $(BIN)/python benchmarks/packages.py $(BENCH_FLAGS)

clean: ## Remove the virtualenv, node_modules and build output
	rm -rf $(VENV) .tools node_modules .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis
