# SciVisit — the two everyday commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
PORT ?= 5000
# Two test processes, one per core; each gets its own database (SQLite file or PostgreSQL schema).
PYTEST_ARGS ?= -n 2
CATALOGS := $(wildcard app/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: install run test test-fast test-midnight test-postgres test-browser browser-deps bench translations extract-messages migrate clean

# instance/ holds the SQLite database and ticket keys; it must exist before the systemd unit
# (docs/deploy/scivisit.service) can make it the one folder the app may write to.
install: $(VENV)/.installed $(COMPILED)
	@mkdir -p instance

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

# Catalogs live in the repository as .po; the build compiles them.
app/translations/%/LC_MESSAGES/messages.mo: app/translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile --use-fuzzy -f -i $< -o $@

translations: $(COMPILED)

extract-messages: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k gettext -k ngettext:1,2 -k lazy_ngettext:1,2 -k _ln:1,2 -k lazy_pgettext:1c,2 --no-location --sort-output --ignore-dirs='.* __pycache__' -o app/translations/messages.pot .
	$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete -w 100

migrate: install
	$(FLASK) db upgrade

run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# The whole suite. Browser tests run when Chromium is installed (`make browser-deps`)
# and are skipped, with a line saying so, when it is not.
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgres: install
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

# The suite as if it were 00:00:30 in Nanjing: a visit that began before midnight and today's
# check-ins fall on different dates, so a test or rule that assumes one date fails here.
test-midnight: install
	$(PY) -m pytest -m "not browser" --local-time 00:00:30 $(PYTEST_ARGS)

test-browser: install browser-deps
	$(PY) -m pytest -m browser $(PYTEST_ARGS)

# Debian's Chromium: Playwright cannot download its own browser on a closed network.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "Chromium is missing: run 'sudo apt-get install chromium fonts-noto-cjk' for the browser tests"; exit 1; fi; \
	fi

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) instance/*.db* .pytest_cache
