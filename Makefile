# Two entry points: `make lab` (set up, then start JupyterLab) and `make test` (set up, then
# run every check). Both install what they need: a virtual environment, the Python and npm
# packages, and the Debian packages the browser and container tests use.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Test artefacts (the local conda channel, built once per machine and reused).
export CONDA_PACK_EXT_CACHE ?= $(abspath .cache)

help:
	@echo "make lab    set everything up and start JupyterLab with conda-pack-ext"
	@echo "make test   set everything up and run every test (lint, pytest, jest, browser)"

# ---- set-up ---------------------------------------------------------------------------
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The Python package in editable mode, with the frontend built by jlpm (from jupyterlab).
$(VENV)/.installed: $(BIN)/python pyproject.toml package.json
	$(BIN)/python -m pip install -q "jupyterlab>=4.6,<4.7" "hatchling>=1.5" "hatch-nodejs-version>=0.3.2" "hatch-jupyter-builder>=0.5" editables
	$(BIN)/jlpm install
	$(BIN)/jlpm build
	$(BIN)/python -m pip install -q --no-build-isolation -e ".[test]"
	$(BIN)/jupyter labextension develop --overwrite .
	$(BIN)/jupyter server extension enable --sys-prefix conda_pack_ext
	touch $@

setup: $(VENV)/.installed

# Debian packages: Chromium for the browser tests, Podman (Docker API) for container builds.
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v podman >/dev/null || ! command -v patchelf >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium podman runc >/dev/null; \
	fi

ui-tests/node_modules/.installed: ui-tests/package.json
	cd ui-tests && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/jlpm install
	touch $@

# ---- run ------------------------------------------------------------------------------
lab: setup
	$(BIN)/jupyter lab --ServerApp.allow_root=True --ServerApp.ip=127.0.0.1

# ---- checks ---------------------------------------------------------------------------
lint: setup
	$(BIN)/ruff check conda_pack_ext tests bench
	$(BIN)/ruff format --check conda_pack_ext tests bench
	$(BIN)/jlpm run lint:check

pytest: setup system-deps
	$(BIN)/python -m pytest tests

jest: setup
	$(BIN)/jlpm run test

ui-test: setup system-deps ui-tests/node_modules/.installed
	cd ui-tests && $(BIN)/jlpm playwright test

test: lint pytest jest ui-test
	@echo "all checks passed"

.PHONY: help setup system-deps lab lint pytest jest ui-test test
