# Support Directory — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
WORKERS ?= 2
FLASK  := $(BIN)/flask --app app

.PHONY: install install-dev run serve db seed test test-postgres browser translations messages clean

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

run: db translations                   ## serve with gunicorn on 127.0.0.1:$(PORT); seeds on first run
	$(FLASK) seed --demo --if-empty
	$(BIN)/gunicorn --workers $(WORKERS) --bind 127.0.0.1:$(PORT) --access-logfile - app:app

translations: install                  ## compile translations/*/LC_MESSAGES/messages.po to .mo (not committed)
	$(BIN)/pybabel -q compile -d translations

messages: install                      ## extract every user-facing string and merge it into each language's .po
	$(BIN)/pybabel -q extract --project="Support Directory" -F babel.cfg -k lazy_gettext -k _l --ignore-dirs='.* __pycache__' --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

browser:                               ## Debian's Chromium for the browser tests (when root and missing)
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null) \
	    || echo "Could not install chromium; browser tests will skip (or fail under CI=true)"; \
	else echo "No /usr/bin/chromium and not root: browser tests will skip (or fail under CI=true)"; fi

test: install-dev browser translations ## every test, browser tests included
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: install-dev browser translations ## the same suite on a throwaway local PostgreSQL database
	bash .ci/with-postgres.sh $(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts
