# Orderly: the commands a developer and CI use. `make help` lists them.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export UV_PROJECT_ENVIRONMENT := $(VENV)
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/orderly
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/orderly_bench
ROWS ?= 1000000

.PHONY: help install run test fuzz e2e lint format bench bench-instructions bench-import clean

help:  ## List the targets.
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install: $(BIN)/uv  ## Create .venv with the exact versions of uv.lock.
	$(BIN)/uv sync --frozen --quiet

run: install  ## Serve on http://127.0.0.1:8000 (SQLite and demo data unless DATABASE_URL is set).
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py seed_demo_data --if-empty
	@echo "API docs:  http://127.0.0.1:8000/api/docs/"
	@echo "Admin:     http://127.0.0.1:8000/admin/"
	$(BIN)/gunicorn --config gunicorn.conf.py project.wsgi

test: install  ## Run the suite on PostgreSQL, with coverage (fuzz and browser tests: make fuzz, make e2e).
	@DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/python -m tests.check_database
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/pytest -m "not e2e and not fuzz" \
		--cov=presentation --cov=business --cov=data --cov-report=term-missing:skip-covered \
		--cov-fail-under=90

fuzz: install  ## Contract fuzzing (schemathesis) of every operation, as customer and staff, on gunicorn.
	@DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/python -m tests.check_database
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/pytest -m fuzz tests/contract

e2e: install  ## Browser tests: headless Chromium (/usr/bin/chromium) on Swagger UI, ReDoc and the admin.
	@DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/python -m tests.check_database
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/pytest -m e2e tests/e2e

lint: install  ## ruff lint + format check, the import contracts, mypy (strict on business and data).
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: install  ## Format and fix what ruff can.
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install  ## wrk: Orderly vs the flat-DRF peer (../shared/peers), 10,000 products, 2 workers each; BEFORE="REV ..." adds those revisions.
	bench/bench.sh

bench-instructions: install  ## Instructions per request (callgrind), this tree and BEFORE="REV ..."; after make bench.
	bench/instructions.sh

bench-import: install  ## Time import_products vs psql \copy + upsert at 100k and ROWS rows (its own database).
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(BIN)/python bench/import_bench.py --rows 100000 $(ROWS)

clean:  ## Remove the virtualenv, the SQLite database and caches.
	rm -rf $(VENV) db.sqlite3 .pytest_cache .coverage htmlcov
