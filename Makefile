# make run   the product on http://127.0.0.1:$(PORT)/ with web, worker and beat (Ctrl-C stops all)
# make test  the whole test suite, nothing skipped: against a local PostgreSQL and Redis unless
#            DATABASE_URL / REDIS_URL say otherwise (`sudo make services` installs what is missing)
# make lint  ruff check and ruff format --check, and the import contracts
# make ci    lint, missing migrations, tests
# make messages  the catalogues of locale/ made again from the code and templates, and compiled

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=
# The database (pytest-django tests in test_$(TEST_DATABASE)) and the Redis database number that
# `make test` uses when DATABASE_URL / REDIS_URL are unset; nothing else should use them.
TEST_DATABASE ?= alignment_test
TEST_REDIS_DB ?= 6
# The languages of locale/ besides English, the source language (LANGUAGES in settings).
LOCALES := de fr es

.PHONY: run test lint ci bench services messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

# Each stamp re-runs its install whenever pyproject.toml changes. `make run` needs only the
# product (honcho included); the tests, lint and benchmarks add the dev extra.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[dev]'
	touch $@

# What the tests need so that none skips (.ci/services): PostgreSQL, Redis, Chromium, Java and
# npm, installed with apt and started, as root; anyone else is told to run `sudo make services`.
services:
	TEST_DATABASE=$(TEST_DATABASE) TEST_REDIS_DB=$(TEST_REDIS_DB) .ci/services

# Development only: DEBUG needs no SECRET_KEY. The venv's bin comes first so that Procfile.dev's
# plain `python` and `celery` are the project's. The filesystem broker (used when REDIS_URL is
# unset) needs its folders to exist, under VAR_DIR (var/ unless set). honcho gives the first process in Procfile.dev (web)
# PORT, and PORT+100 and PORT+200 to the worker and beat, which do not listen on them.
run: export DJANGO_DEBUG := true
run: export PATH := $(CURDIR)/$(BIN):$(PATH)
# Links in the emails the console prints point at this server, whatever PORT it listens on.
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: $(VENV)/.installed-run
	mkdir -p $${VAR_DIR:-var}/broker/queue $${VAR_DIR:-var}/broker/processed $${VAR_DIR:-var}/broker/control
	python manage.py migrate --no-input
	python manage.py seed_demo
	@echo
	@echo "  Alignment Reviews: http://127.0.0.1:$(PORT)/"
	@echo "  Log in with a demo login above. Ctrl-C stops the web server, worker and beat."
	@echo
	exec honcho start --procfile Procfile.dev --port $(PORT)

test: $(VENV)/.installed-dev
	TEST_DATABASE=$(TEST_DATABASE) TEST_REDIS_DB=$(TEST_REDIS_DB) .ci/services $(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

ci: $(VENV)/.installed-dev
	$(MAKE) lint
	DJANGO_DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) test

# The catalogues (locale/<lang>/LC_MESSAGES/django.po) made again from what the code and templates
# mark, without the strings nothing uses any more and with file names but no line numbers (small
# diffs), then compiled to the .mo files that are committed beside them (`make run` needs no
# GNU gettext). Needs GNU gettext (`sudo make services` installs it).
MESSAGES_IGNORE := --ignore=.venv --ignore=var --ignore=tests --ignore=bench --ignore=static \
	--ignore=docs --ignore='*.egg-info'
messages: $(VENV)/.installed-dev
	DJANGO_DEBUG=true $(BIN)/python manage.py makemessages $(foreach l,$(LOCALES),-l $(l)) \
		--no-obsolete --add-location=file $(MESSAGES_IGNORE)
	DJANGO_DEBUG=true $(BIN)/python manage.py compilemessages $(MESSAGES_IGNORE)

# The budgets of "fast at any size": pages at 50 and 500 teams beside a trivial view, exports
# and the board pack PDF, the signals board, reminders for 10,000 teams on Redis and a worker's
# email rate, then 200 heads for 60 s against gunicorn on PostgreSQL. Each prints its figures
# beside their budgets and exits non-zero on a miss; all of them run, and the target fails at
# the end, naming the ones that missed. Databases are created and dropped by each bench (see
# README, "Benchmarks"); BENCH_QUICK=1 runs fewer rounds of the pages.
BENCHES := bench bench.exports bench.signals bench.cadence bench.imports bench.load
bench: $(VENV)/.installed-dev
	@failed=""; \
	for module in $(BENCHES); do \
		echo; echo "### python -m $$module"; \
		DJANGO_DEBUG=true $(BIN)/python -m $$module || failed="$$failed $$module"; \
	done; \
	if [ -n "$$failed" ]; then echo; echo "make bench: budgets missed in:$$failed"; exit 1; fi; \
	echo; echo "make bench: every budget met"
