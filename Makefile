# Privacy portal: two commands on a fresh machine.
#
#   make run    the embedded demo on http://127.0.0.1:8000 (PORT=8001 to change)
#   make test   the full test suite on PostgreSQL and Redis
#
# Everything installs itself: uv (from PyPI, if missing), then the locked dependencies into
# .venv with `uv sync --frozen`. Running a target again is quick: nothing is reinstalled.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
UV := bash scripts/uv.sh
PY := .venv/bin/python
# The PostgreSQL + Redis environment of `make test` and `make bench`.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/privacyportal
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
PG_ENV := DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) PORTAL_TESTING=true PORTAL_MOVABLE_CLOCK=true
# Extra arguments for pytest, e.g. make test PYTEST_ARGS="-k deadlines -x"
PYTEST_ARGS ?=
# Extra arguments for the benchmarks, e.g. make bench BENCH_ARGS=--quick
BENCH_ARGS ?=
# Which drills to run (default all), e.g. make drill DRILL_ARGS="api_load schemathesis_api"
DRILL_ARGS ?=

.PHONY: help setup run test test-sqlite bench drill lint format check-deploy

help: ## Show this help
	@echo "Privacy portal (CCPA privacy requests). Targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F '\t' '{printf "  make %-13s %s\n", $$1, $$2}'
	@echo
	@echo "Start with: make run   (demo)   and   make test   (test suite)."

setup: ## Install uv if missing and the locked dependencies (dev group included) into .venv
	@$(UV) sync --frozen

run: setup ## Run the demo: web + Celery worker + beat, seeded data (PORT=8000)
	@$(PY) scripts/run_demo.py --port $(PORT)

test: setup ## Run the full test suite on PostgreSQL and Redis (starts them if they are down)
	@TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) bash scripts/test.sh postgres $(PYTEST_ARGS)

test-sqlite: setup ## Run the full test suite on SQLite (in-memory test database, no Redis)
	@bash scripts/test.sh sqlite $(PYTEST_ARGS)

bench: setup ## Run the benchmarks (benchmarks/run.py) on PostgreSQL and Redis (BENCH_ARGS=--quick)
	@$(PG_ENV) $(PY) scripts/services.py
	@$(PG_ENV) $(UV) run --frozen python benchmarks/run.py $(BENCH_ARGS)

drill: setup ## Run the drills (drills/run.py): gunicorn + PostgreSQL + Redis, one line each (DRILL_ARGS=api_load)
	@$(PG_ENV) $(PY) scripts/services.py
	@$(PG_ENV) $(UV) run --frozen python -m drills.run $(DRILL_ARGS)

lint: setup ## ruff, ruff format --check, mypy, import contracts, missing migrations
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .
	@.venv/bin/mypy
	@.venv/bin/lint-imports
	@$(PY) manage.py makemigrations --check --dry-run

format: setup ## Reformat the code and apply ruff's safe fixes
	@.venv/bin/ruff format .
	@.venv/bin/ruff check --fix .

check-deploy: setup ## Django's deployment checks with production-like settings
	@DJANGO_DEBUG=false DJANGO_ALLOWED_HOSTS=example.com PORTAL_MOVABLE_CLOCK=false \
	  PORTAL_BASE_URL=https://example.com \
	  DJANGO_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))') \
	  PORTAL_DOCUMENT_KEYS=$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
	  $(PY) manage.py check --deploy --fail-level WARNING
