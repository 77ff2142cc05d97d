# Garda: `make run` starts the demo on SQLite; `make test` runs the suite on SQLite and PostgreSQL.
VENV := .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/garda
PYTEST_ARGS ?= -n 2 -q --dist worksteal
export DJANGO_SETTINGS_MODULE ?= config.settings.local

.PHONY: run test test-sqlite test-postgres lint install assets messages clean deploy-check

$(PY):
	"$$(scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip uv

$(VENV)/.installed: $(PY) requirements.lock pyproject.toml
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements.lock
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

install: $(VENV)/.installed assets

assets: node_modules/.package-lock.json

run: install
	mkdir -p var
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py demo
	@echo "Garda: http://127.0.0.1:8000 (the background worker for imports runs beside it)"
	$(PY) manage.py db_worker --no-reload -v 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

test: test-sqlite test-postgres

# What does not depend on the database runs once: the browser journeys against PostgreSQL
# (the production database); the authorization matrix (every URL x role x area) and the API
# fuzzing against SQLite, where they run twice as fast, so the two halves take about as long.
# The demo data is for the embedded SQLite default (the demo command refuses production
# settings), so its tests run on SQLite only. Everything else runs on both.
ONCE_ON_SQLITE = garda/core/tests/test_authorization_matrix.py garda/api/tests/test_fuzz.py
# (Paths named on the command line: pytest never ignores a testpaths directory with --ignore.)
test-sqlite: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(VENV)/bin/pytest $(PYTEST_ARGS) garda

test-postgres: install
	@$(PY) scripts/check_postgres.py "$(PG_URL)"
	DATABASE_URL="$(PG_URL)" DJANGO_SETTINGS_MODULE=config.settings.test $(VENV)/bin/pytest $(PYTEST_ARGS) --ignore-glob='*/test_demo.py' $(addprefix --ignore=,$(ONCE_ON_SQLITE)) garda e2e

# The production configuration of deploy/ brought up on 127.0.0.1 (gunicorn, a worker, nginx
# with a self-signed certificate, a throwaway database on PG_URL's server), checked from the
# outside and taken down again: scripts/deploy_check.py. About a minute (CI runs it).
deploy-check: install
	@$(PY) scripts/check_postgres.py "$(PG_URL)"
	PG_URL="$(PG_URL)" $(PY) scripts/deploy_check.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

# Refresh the Indonesian catalogue after changing user-visible text, then translate what is new.
messages: install
	$(PY) manage.py makemessages -l id --ignore=node_modules --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages -l id --ignore=node_modules --ignore=.venv

clean:
	rm -rf $(VENV) node_modules var
