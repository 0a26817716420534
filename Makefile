# The two commands of the README: `make run` and `make test`. Everything else is their plumbing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
FLASK := $(BIN)/flask --app donations_app
VENDOR := donations_app/static/vendor/uswds

.PHONY: run test install assets migrate lint format bench

# Without SMTP_HOST set, a local SMTP server prints every e-mail to this terminal.
run: install assets migrate
	$(FLASK) bootstrap
	@if [ -z "$$SMTP_HOST" ]; then \
		$(BIN)/python -m aiosmtpd -n -l 127.0.0.1:1025 & smtp=$$!; \
		trap "kill $$smtp 2>/dev/null" EXIT INT TERM; \
		echo "== e-mail is printed here by a local SMTP server on 127.0.0.1:1025"; \
		$(FLASK) run --host $(HOST) --port $(PORT) --no-reload --with-threads; \
	else \
		$(FLASK) run --host $(HOST) --port $(PORT) --no-reload --with-threads; \
	fi

test: install assets
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== the suite again on PostgreSQL ($$TEST_DATABASE_URL)"; \
		$(BIN)/python -m pytest --db=postgresql -m "not e2e"; \
	else \
		echo "== TEST_DATABASE_URL is not set: the PostgreSQL run was skipped"; \
	fi

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

assets: $(VENDOR)/.copied

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(VENDOR)/.copied: node_modules/.package-lock.json
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)
	cp -R node_modules/@uswds/uswds/dist/css node_modules/@uswds/uswds/dist/js \
		node_modules/@uswds/uswds/dist/img node_modules/@uswds/uswds/dist/fonts $(VENDOR)/
	touch $@

migrate: install
	$(FLASK) db upgrade

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

bench: install
	$(BIN)/python bench/bench_engine.py --offers 2000 --repeat 5
	@echo "(the reviewer-list benchmark takes minutes: see bench/README.md)"
