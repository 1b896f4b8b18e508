# Two commands: `make run` (the app with a demo store) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint bench translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	$(FLASK) db upgrade
	@echo "Starting the worker and the web server on http://$(HOST):$(PORT) (Ctrl-C stops both)"
	@trap 'kill 0' INT TERM EXIT; \
	POSTVENTA_DEV_ADMIN=1 WOOCOMMERCE_ALLOW_INSECURE=1 $(FLASK) worker & \
	POSTVENTA_DEV_ADMIN=1 $(FLASK) demo --wait 20 --app-url http://$(HOST):$(PORT); \
	POSTVENTA_DEV_ADMIN=1 WOOCOMMERCE_ALLOW_INSECURE=1 APP_URL=$${APP_URL:-http://$(HOST):$(PORT)} $(FLASK) run --host $(HOST) --port $(PORT)

test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(VENV)/.dev
	$(BIN)/python -m bench

translations: $(VENV)/.dev
	$(BIN)/pybabel extract -F babel.cfg -o app/translations/messages.pot --no-location --omit-header -k N_ .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d app/translations

clean:
	rm -rf $(VENV) instance
