# make run   the product on http://127.0.0.1:$(PORT)/ with web, worker and beat (Ctrl-C stops all)
# make test  the whole test suite
# make lint  ruff check and ruff format --check
# make ci    lint, missing migrations, tests

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint ci bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

# The stamp re-runs the install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[dev]'
	touch $@

# Development only: DEBUG needs no SECRET_KEY. The venv's bin comes first so that Procfile.dev's
# plain `python` and `celery` are the project's. The filesystem broker (used when REDIS_URL is
# unset) needs both of its folders to exist. honcho gives the first process in Procfile.dev (web)
# PORT, and PORT+100 and PORT+200 to the worker and beat, which do not listen on them.
run: export DJANGO_DEBUG := true
run: export PATH := $(CURDIR)/$(BIN):$(PATH)
run: $(VENV)/.installed
	mkdir -p var/broker/queue var/broker/processed var/broker/control
	python manage.py migrate --no-input
	python manage.py seed_demo
	@echo
	@echo "  Alignment Reviews: http://127.0.0.1:$(PORT)/"
	@echo "  Log in with a demo login above. Ctrl-C stops the web server, worker and beat."
	@echo
	exec honcho start --procfile Procfile.dev --port $(PORT)

test: $(VENV)/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

ci: $(VENV)/.installed
	$(MAKE) lint
	DJANGO_DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) test

# Page latency at 500 teams beside a trivial view and the export and signal costs, each in a
# throwaway SQLite database; then 200 users for 60 s against gunicorn on PostgreSQL
# (127.0.0.1:5432, database alignment_load, created and dropped).
bench: $(VENV)/.installed
	DJANGO_DEBUG=true $(BIN)/python -m bench
	DJANGO_DEBUG=true $(BIN)/python -m bench.exports
	DJANGO_DEBUG=true $(BIN)/python -m bench.signals
	DJANGO_DEBUG=true $(BIN)/python -m bench.cadence
	DJANGO_DEBUG=true $(BIN)/python -m bench.imports
	$(BIN)/python -m bench.load
