# Two commands on a fresh machine: `make run` and `make test`. Each installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run serve-shared test install install-dev assets server-deps test-deps lint db bench clean fonts

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "permitmap needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

assets: install
	$(PY) -m mapping.webmap.assets
	$(PY) -m mapping.catalogs compile

db: install
	$(VENV)/bin/permitmap db init

# The same entry as an installed package: mapping/serve.py with its packaged .streamlit settings
# (the upload limit from PERMITMAP_MAX_UPLOAD_MB). On 127.0.0.1 only: a new store has no
# account, and until it has one anyone who reaches the app may change the data.
run: assets db fonts
	$(VENV)/bin/permitmap serve --port $(PORT) --address 127.0.0.1

# An office's deployment on this machine: PostgreSQL/PostGIS, $(PROCESSES) app processes and
# HAProxy on port $(SHARED_PORT), data in var/shared (README: "Shared deployment").
PROCESSES ?= 2
SHARED_PORT ?= 8500
serve-shared: assets server-deps fonts
	$(VENV)/bin/permitmap serve-shared --processes $(PROCESSES) --port $(SHARED_PORT)

server-deps:
	bash scripts/install_server_deps.sh

# A Japanese font for the briefing pack's picture (never fails: without root it says so once).
fonts:
	bash scripts/install_fonts.sh

test-deps: install-dev
	bash scripts/install_test_deps.sh $(PY)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy domain store layers sites exports services mapping permits commands deploy app.py
	$(VENV)/bin/lint-imports
	$(PY) -m mapping.catalogs check

test: assets test-deps lint
	$(PY) -m pytest

bench: assets install-dev server-deps
	$(PY) benchmarks/map_bench.py
	$(PY) benchmarks/permits_bench.py
	$(PY) benchmarks/layers_bench.py
	$(PY) benchmarks/raster_bench.py
	$(PY) benchmarks/export_bench.py
	$(PY) benchmarks/shared_bench.py
	$(PY) benchmarks/store_bench.py

clean:
	rm -rf $(VENV) mapping/static/vendor var build permitmap.egg-info
