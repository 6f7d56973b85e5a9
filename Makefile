# Support Directory — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
WORKERS ?= 2
FLASK  := $(BIN)/flask --app app

.PHONY: install install-dev run serve db seed test test-postgres browser clean

install: $(VENV)/.runtime-installed   ## the virtualenv with the app's requirements

$(VENV)/.runtime-installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

install-dev: $(VENV)/.dev-installed

$(VENV)/.dev-installed: $(VENV)/.runtime-installed requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

db: install                            ## migrate the database to the newest schema
	$(FLASK) db upgrade

seed: db                               ## national programs, taxonomy and demo listings (idempotent)
	$(FLASK) seed --demo

run: db                                ## serve with gunicorn on 127.0.0.1:$(PORT); seeds on first run
	$(FLASK) seed --demo --if-empty
	$(BIN)/gunicorn --workers $(WORKERS) --bind 127.0.0.1:$(PORT) --access-logfile - app:app

browser:                               ## Debian's Chromium for the browser tests (when root and missing)
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null) \
	    || echo "Could not install chromium; browser tests will skip (or fail under CI=true)"; \
	else echo "No /usr/bin/chromium and not root: browser tests will skip (or fail under CI=true)"; fi

test: install-dev browser              ## every test, browser tests included
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: install-dev browser     ## the same suite on a throwaway local PostgreSQL database
	bash .ci/with-postgres.sh $(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts
