# Two commands do everything on a fresh machine:
#   make run    the whole system on http://127.0.0.1:8000 (embedded store, demo data)
#   make test   the whole test suite against the real RabbitMQ
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: run test test-fast test-console install topology bench lint clean clean-data

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "needs $(PYTHON) (Python 3.11): set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

# the web console (console/) is built when console/dist is missing or older than its sources;
# without Node.js the script says what to do and the API runs anyway
run: install
	@sh console/scripts/ensure-built.sh
	$(VENV)/bin/skillmaster-run

topology: install
	$(VENV)/bin/skillmaster-topology

# `nameko test` applies eventlet's monkey patch before pytest imports anything.
# Coverage (pytest-cov, eventlet-aware: pyproject [tool.coverage]) is printed after the run;
# the floors of shared/ and each service's domain/ (tests/coverage_floors.py) are enforced
# on a whole run (PYTEST_ARGS empty) and only reported on a narrowed one.
COVERAGE_FLOORS = $(PY) tests/coverage_floors.py $(if $(strip $(PYTEST_ARGS)),--report-only)
# The console's build (type check included) and its browser tests run too; the browser tests
# (tests/console, Playwright) run in a pytest process of their own, without eventlet's patch.
CONSOLE_TESTS = $(PY) tests/console/preflight.py && sh console/scripts/ensure-built.sh --always --required && \
	node console/scripts/bundle-size.mjs && $(PY) -m pytest -p no:cacheprovider -ra tests/console

test: install
	$(PY) tests/preflight.py
	$(VENV)/bin/nameko test -p no:cacheprovider -ra --cov --cov-report= --ignore=tests/console $(PYTEST_ARGS)
	$(COVERAGE_FLOORS)
	$(CONSOLE_TESTS)

test-fast: install
	$(PY) tests/preflight.py
	$(VENV)/bin/nameko test -p no:cacheprovider -m "not slow and not fuzz" --cov --cov-report= --ignore=tests/console $(PYTEST_ARGS)
	$(COVERAGE_FLOORS)
	$(CONSOLE_TESTS)

test-console: install
	$(PY) tests/preflight.py
	$(CONSOLE_TESTS)

bench: install
	$(PY) tests/preflight.py
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .coverage .coverage.*

# Empties the embedded store of `make run` (everything it kept: units, users, applications,
# accounts). Refused while a run is using it.
DATA_DIR ?= .data
clean-data:
	@if [ -f $(DATA_DIR)/run/processes.json ] && kill -0 $$(python3 -c 'import json;print(json.load(open("$(DATA_DIR)/run/processes.json"))["supervisor_pid"])') 2>/dev/null; then \
	  echo "a run is using $(DATA_DIR): stop it (Ctrl-C) first"; exit 1; fi
	rm -rf $(DATA_DIR)
	@echo "emptied $(DATA_DIR): the next make run starts with only the demo data" 

lint: install
	$(VENV)/bin/ruff check --select F,E9 shared services gateway bench tests
