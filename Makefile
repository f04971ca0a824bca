# Afterglow: `make run` starts everything on embedded defaults, `make test` runs the suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The first Python >= 3.12 we can find: on PATH, or a pyenv build that is installed but not active.
PYTHON ?= $(shell for c in python3.13 python3.12 python3 $$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	$$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { command -v $$c; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PORT

.PHONY: help install install-dev run test lint bench seed lock clean

help:
	@echo "make run    install, migrate, seed the demo store, start web + worker + beat"
	@echo "make test   the whole test suite"
	@echo "make lint   ruff"
	@echo "make bench  benchmarks, printed as a table"

$(VENV)/bin/python:
	@test -n "$(PYTHON)" || { echo "Afterglow needs Python 3.12 or newer; none found." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-dev: $(VENV)/.installed-dev

run: export DEBUG ?= true
run: install
	@mkdir -p var
	@test -f .env || { sed -e "s/^SECRET_KEY=.*/SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')/" -e "s/^FIELD_ENCRYPTION_KEYS=.*/FIELD_ENCRYPTION_KEYS=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(32))')/" .env.example > .env; \
		echo "Wrote .env from .env.example (edit it to use PostgreSQL, Redis or an ESP)."; }
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_schedules
	$(PY) manage.py seed_demo
	@echo
	@echo "  Afterglow is starting on http://127.0.0.1:$(PORT)/dashboard/"
	@echo "  Log in as demo@example.com / demo   (Ctrl-C stops web, worker and beat)"
	@echo
	$(VENV)/bin/honcho -f Procfile.dev start -p $(PORT)

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: install-dev
	bash .ci/services wrk=wrk
	$(PY) -m bench $(SECTIONS)

seed: install
	DEBUG=true $(PY) manage.py seed_demo --scale $(or $(SCALE),300)

# Regenerate the pinned lock files from pyproject.toml.
lock: install-dev
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.12 --no-header -o requirements.txt
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.12 --no-header -o requirements-dev.txt

clean:
	rm -rf var staticfiles .pytest_cache
