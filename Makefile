# The two commands: `make run` (development server with demo data) and `make test` (everything).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= $(shell command -v python3.11 || command -v python3)
FLASK := $(VENV)/bin/flask --app wsgi
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PORT ?= 5000
export PORT

.PHONY: run test lint test-sqlite test-postgres test-stack stack-packages chromium totp vendor reminders

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.tests-installed: tests/requirements.txt $(VENV)/.installed
	$(PY) -m pip install -q -r tests/requirements.txt
	touch $@

## make run: create the venv and the development keys, migrate the SQLite database, seed demo
## accounts, serve on :$(PORT)
run: $(VENV)/.installed
	$(PY) -m portal.devkeys
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo "Serving on http://127.0.0.1:$(PORT)  (Ctrl-C to stop; emails go out from the server's outbox sender, reminders every minute)"
	@(while sleep 60; do $(FLASK) send-reminders >/dev/null 2>&1 || true; done) & \
		trap "kill $$! 2>/dev/null" EXIT INT TERM; $(PY) -m portal

## make totp: the demo therapist's current TOTP code
totp: $(VENV)/.installed
	@$(PY) -c "import pyotp; from portal.cli import DEMO_TOTP_SECRET as k; print(pyotp.TOTP(k).now())"

## make test: lint, the whole suite on SQLite (with browser tests), then again on PostgreSQL, then
## the production stack suite (nginx, two gunicorn processes, Redis, PostgreSQL, coturn; root)
test: $(VENV)/.tests-installed chromium stack-packages lint test-sqlite test-postgres test-stack

## make lint: ruff, and the layering contracts of docs/architecture.md (.importlinter)
lint: $(VENV)/.tests-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test-sqlite: $(VENV)/.tests-installed
	cd tests && ../$(PY) -m pytest

test-postgres: $(VENV)/.tests-installed
	@if $(PY) -c "import psycopg,sys; psycopg.connect('$(PG_TEST_URL)'.replace('+psycopg',''), connect_timeout=3).close()" 2>/dev/null; then \
		cd tests && TEST_DATABASE_URL=$(PG_TEST_URL) ../$(PY) -m pytest; \
	elif [ "$${CI:-}" = "true" ]; then \
		echo "PostgreSQL is not reachable at $(PG_TEST_URL): failing (CI=true)"; exit 1; \
	else \
		echo "SKIPPED: PostgreSQL not reachable at $(PG_TEST_URL) (set PG_TEST_URL)"; \
	fi

## make test-stack: the production stack (nginx TLS, two gunicorn gevent processes, Redis, a
## private PostgreSQL, coturn) in network namespaces, with a relayed call and faults (root)
test-stack: $(VENV)/.tests-installed stack-packages
	cd tests && STACK=1 ../$(PY) -m pytest -m stack -s -q stack

## nginx and coturn for the stack suite (Debian packages; CI=true fails when they are missing)
stack-packages:
	@if ! command -v nginx >/dev/null || ! command -v turnserver >/dev/null; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx coturn >/dev/null; \
		elif [ "$${CI:-}" = "true" ]; then echo "nginx or coturn missing and not root"; exit 1; \
		else echo "nginx or coturn missing: run 'sudo apt-get install nginx coturn' (stack tests will skip)"; fi; \
	fi

## Debian's Chromium for the browser tests (Playwright's own download does not work here)
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		elif [ "$${CI:-}" = "true" ]; then echo "chromium missing and not root"; exit 1; \
		else echo "chromium missing: run 'sudo apt-get install chromium' (browser tests will skip)"; fi; \
	fi

## make vendor: re-download the pinned front-end libraries from npm
vendor:
	bash static/vendor/update.sh
