# The two commands of the README: `make run` and `make test`. Everything else they need is here.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wiki
HOST ?= 127.0.0.1
PORT ?= 5000
CHROMIUM := /usr/bin/chromium

.PHONY: run test check lint bench chromium install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(FLASK) db upgrade
	$(FLASK) seed
	$(FLASK) run --host $(HOST) --port $(PORT)

# Debian's Chromium for the browser tests (Playwright's own download host is unreachable).
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian's chromium for the browser tests…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "The browser tests need Debian's Chromium. Install it with:"; \
	    echo "  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium"; \
	    exit 1; \
	  fi; \
	fi

# Two processes (the machines have two cores), each test file on one of them: a file's
# fixtures (a served app, a Chromium) stay together. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2

test: install-test chromium
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: install-test
	$(BIN)/ruff check .

check: lint test

# The benchmark's load generator is Debian's wrk; without it (and not root) bench/run.py falls
# back to its Python load generator and says so in its results.
bench: install-test
	@if ! command -v wrk >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian's wrk for the benchmark…"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) \
	      || echo "wrk could not be installed: the Python load generator (bench/loadgen.py) is used."; \
	  else \
	    echo "wrk is missing (sudo apt-get install wrk): the Python load generator (bench/loadgen.py) is used."; \
	  fi; \
	fi
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info
