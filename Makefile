# Stockroom: `make run` serves the admin with demo data; `make test` runs the suite.
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin

# A Python 3.12+ interpreter: $(PYTHON) if given, else the first suitable one on PATH
# (pyenv's python3 honours .python-version).
PYTHON ?= $(shell for p in python3 python3.12 python3.13 python3.14 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; \
	done)

.PHONY: run test bench bench-scale lint format worker check-python

check-python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "Stockroom needs Python 3.12 or newer, and none was found on PATH."; \
		echo "Install one (e.g. 'pyenv install 3.12') or point at it: make run PYTHON=/path/to/python3.12"; \
		exit 1; \
	fi
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "$(PYTHON) is Python %d.%d; Stockroom needs 3.12 or newer." % sys.version_info[:2])'

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py load_demo --port $(PORT)
	@echo "Starting the task worker and the admin on http://127.0.0.1:$(PORT)/ (Ctrl-C stops both)"
	@$(BIN)/python manage.py stockroom_worker & worker=$$!; \
		trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

worker: $(VENV)/.runtime
	$(BIN)/python manage.py stockroom_worker

test: $(VENV)/.dev
	$(BIN)/python -m pytest

bench: $(VENV)/.dev
	$(BIN)/python -m pytest tests/bench -m bench -s -p no:randomly --ignore tests/bench/test_scale_out_bench.py

# Two app servers behind haproxy with RQ, Redis and PostgreSQL under locust (needs haproxy from Debian).
bench-scale: $(VENV)/.dev
	@command -v haproxy >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null)
	$(BIN)/pip install --quiet -r requirements-bench.txt
	$(BIN)/python -m pytest tests/bench/test_scale_out_bench.py -m bench -s -p no:randomly

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
