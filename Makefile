# Two commands do everything on a fresh machine:
#   make run    the whole system on http://127.0.0.1:8000 (embedded store, demo data)
#   make test   the whole test suite against the real RabbitMQ
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: run test test-fast install topology bench lint clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "needs $(PYTHON) (Python 3.11): set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/skillmaster-run

topology: install
	$(VENV)/bin/skillmaster-topology

# `nameko test` applies eventlet's monkey patch before pytest imports anything.
test: install
	$(PY) tests/preflight.py
	$(VENV)/bin/nameko test -p no:cacheprovider -ra $(PYTEST_ARGS)

test-fast: install
	$(PY) tests/preflight.py
	$(VENV)/bin/nameko test -p no:cacheprovider -m "not slow and not fuzz" $(PYTEST_ARGS)

bench: install
	$(PY) tests/preflight.py
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache

lint: install
	$(VENV)/bin/ruff check --select F,E9 shared services gateway bench tests
