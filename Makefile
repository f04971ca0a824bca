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

.PHONY: help install install-demo install-dev run test test-fast lint typecheck typecheck-baseline bench seed lock clean

help:
	@echo "make run    install, migrate, seed the demo store, start web + worker + beat"
	@echo "make test   the whole test suite"
	@echo "make test-fast  the fast tier (SQLite; no browser, PostgreSQL-only, fault or slow tests)"
	@echo "make lint   ruff (lint and format)"
	@echo "make typecheck  mypy against mypy-baseline.txt (make typecheck-baseline rewrites it)"
	@echo "make bench  benchmarks, printed as a table"

$(VENV)/bin/python:
	@test -n "$(PYTHON)" || { echo "Afterglow needs Python 3.12 or newer; none found." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# The demo store and `make run`'s process manager (factory-boy, Faker, honcho): not needed in production.
$(VENV)/.installed-demo: requirements-demo.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-demo.txt
	touch $@ $(VENV)/.installed-run

$(VENV)/.installed-dev: requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run $(VENV)/.installed-demo

install: $(VENV)/.installed-run
install-demo: $(VENV)/.installed-demo
install-dev: $(VENV)/.installed-dev

run: export DEBUG ?= true
run: install-demo
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

# The fast tier, under two minutes on an idle two-core machine: SQLite whatever .env says (settings read
# .env only for variables not already set), no Redis, and no browser, PostgreSQL-only, fault or slow tests
# (tests/tiers.py says which). The full suite is `make test`.
test-fast: install-dev
	DATABASE_URL="sqlite:///$(CURDIR)/var/afterglow.sqlite3" DATABASE_REPLICA_URL= REDIS_URL= \
		$(PY) -m pytest -q -m "not slow and not browser and not postgres" $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy with django-stubs against the committed baseline: a new error fails, and so does a fixed one still
# listed. `make typecheck-baseline` rewrites the baseline; it refuses to add errors (it may only shrink).
typecheck: install-dev
	$(PY) scripts/typecheck.py

typecheck-baseline: install-dev
	$(PY) scripts/typecheck.py --baseline $(if $(ALLOW_NEW_ERRORS),--allow-new-errors)

bench: install-dev
	bash .ci/services wrk=wrk
	$(PY) -m bench $(SECTIONS)

seed: install-demo
	DEBUG=true $(PY) manage.py seed_demo --scale $(or $(SCALE),300)

# Regenerate the pinned lock files from pyproject.toml.
lock: install-dev
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.12 --no-header -o requirements.txt
	$(VENV)/bin/uv pip compile pyproject.toml --extra demo --python-version 3.12 --no-header -o requirements-demo.txt
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --extra demo --python-version 3.12 --no-header -o requirements-dev.txt

clean:
	rm -rf var staticfiles .pytest_cache
