# EU–Japan commitment tracker. Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install lint format check bench worker beat stack clean mutation

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## Set everything up (idempotent) and serve the app on http://127.0.0.1:8000
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_seed_data
	@echo "Demo logins:"
	@$(BIN)/python manage.py create_demo_users
	@echo "Serving on http://$(HOST):$(PORT)/"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## Run the whole suite (SQLite by default; PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
# In parallel (pytest-xdist, one worker a core); each worker gets its own test database.
PYTEST_WORKERS ?= auto
test: install
	$(BIN)/python -m pytest --create-db -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: install
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

## Mutation testing of the core rules on the SQLite suite (mutmut; not part of CI). A full run of 3,394 mutants:
## 15 minutes on a 2-core machine at load about 2 (7 December 2026: 99.7 %, README).
## Prints killed / non-equivalent mutants and the score; tools/mutation-equivalents.txt lists the equivalent ones.
mutation: install
	$(BIN)/python tools/mutation.py $(MUTATION_ARGS)

bench: install
	$(BIN)/python bench/run.py

worker: install
	$(BIN)/celery -A tracker worker --loglevel=INFO

beat: install
	$(BIN)/celery -A tracker beat --loglevel=INFO

## The production-shaped processes without Docker (Procfile: gunicorn, Celery worker, Celery beat), on
## DATABASE_URL (PostgreSQL) and REDIS_URL; served on http://127.0.0.1:$(STACK_PORT)/ (tracker.settings.stack).
STACK_PORT ?= 8000
STACK_SETTINGS ?= tracker.settings.stack
stack: install
	@test -n "$$DATABASE_URL" && test -n "$$REDIS_URL" \
		|| { echo "make stack needs DATABASE_URL (PostgreSQL) and REDIS_URL (Redis)" >&2; exit 2; }
	export DJANGO_SETTINGS_MODULE=$(STACK_SETTINGS) PATH="$(abspath $(BIN)):$$PATH" \
		ALLOWED_HOSTS="$${ALLOWED_HOSTS:-127.0.0.1,localhost}" \
		SECRET_KEY="$${SECRET_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')}"; \
	$(BIN)/python manage.py migrate --noinput && exec $(BIN)/honcho start -f Procfile -p $(STACK_PORT)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
