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
	@echo "make pytest-fast   the unit tests only (pytest -m 'not slow'), for the edit loop"
	@echo "make bench  run the four benchmarks of bench/ (minutes; results in bench/README.md)"

# ---- set-up ---------------------------------------------------------------------------
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The Python package in editable mode, with the frontend built by jlpm (from jupyterlab).
$(VENV)/.installed: $(BIN)/python pyproject.toml package.json yarn.lock
	$(BIN)/python -m pip install -q "jupyterlab>=4.6,<4.7" "hatchling>=1.5" "hatch-nodejs-version>=0.3.2" "hatch-jupyter-builder>=0.5" editables
	$(BIN)/jlpm install
	$(BIN)/jlpm build
	$(BIN)/python -m pip install -q --no-build-isolation -e ".[test]"
	$(BIN)/jupyter-builder develop --overwrite .
	$(BIN)/jupyter server extension enable --sys-prefix conda_pack_ext
	touch $@

# Rebuild the frontend when its sources change (the develop link serves it from the tree).
FRONTEND_SOURCES := $(shell find src style schema -type f 2>/dev/null) package.json tsconfig.json
$(VENV)/.frontend-built: $(FRONTEND_SOURCES) | $(VENV)/.installed
	$(BIN)/jlpm build
	touch $@

setup: $(VENV)/.installed $(VENV)/.frontend-built

# Debian packages: Chromium for the browser tests, Podman (Docker API) for container builds.
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v podman >/dev/null || ! command -v patchelf >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium podman runc >/dev/null; \
	fi

# Podman's Docker-API service, which the container builds and their tests talk to. crun and
# the default ulimits fail on these machines (cgroup hybrid mode, setrlimit not permitted):
# runc and no default ulimits. Started once; later runs find it answering and reuse it.
PODMAN_SOCKET ?= /tmp/podman.sock
CONTAINERS_CONF := /etc/containers/containers.conf
podman-service: system-deps
	@if ! curl -sf --unix-socket $(PODMAN_SOCKET) http://podman/_ping >/dev/null 2>&1; then \
	  mkdir -p $(dir $(CONTAINERS_CONF)); \
	  if [ ! -f $(CONTAINERS_CONF) ]; then \
	    printf '[containers]\ndefault_ulimits = []\n' > $(CONTAINERS_CONF); \
	  elif ! grep -q '^ *default_ulimits' $(CONTAINERS_CONF); then \
	    if grep -q '^\[containers\]' $(CONTAINERS_CONF); then \
	      sed -i 's/^\[containers\]/[containers]\ndefault_ulimits = []/' $(CONTAINERS_CONF); \
	    else printf '\n[containers]\ndefault_ulimits = []\n' >> $(CONTAINERS_CONF); fi; \
	  fi; \
	  rm -f $(PODMAN_SOCKET); \
	  setsid nohup podman --runtime runc --cgroup-manager=cgroupfs system service --time=0 \
	    unix://$(PODMAN_SOCKET) >/tmp/podman-service.log 2>&1 < /dev/null & \
	  for i in $$(seq 60); do \
	    curl -sf --unix-socket $(PODMAN_SOCKET) http://podman/_ping >/dev/null 2>&1 && break; \
	    sleep 0.5; \
	  done; \
	  curl -sf --unix-socket $(PODMAN_SOCKET) http://podman/_ping >/dev/null 2>&1 \
	    || { echo "podman service did not start:"; cat /tmp/podman-service.log; exit 1; }; \
	fi

# Oracle's own ADS CLI, in a virtual environment of its own, for the tests that prove packs
# and config files move both ways between ADS and us (tests/test_ads_roundtrip.py).
ADS_VENV ?= .venv-ads
ADS_VERSION := 2.16.1
$(ADS_VENV)/.installed:
	$(PYTHON) -m venv $(ADS_VENV)
	$(ADS_VENV)/bin/python -m pip install -q "oracle-ads[opctl]==$(ADS_VERSION)"
	touch $@

ads-venv: $(ADS_VENV)/.installed

ui-tests/node_modules/.installed: ui-tests/package.json ui-tests/yarn.lock
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

# The container and ADS tests fail (instead of skipping) when their engine or ADS is missing:
# CI must run them.
pytest: setup system-deps podman-service ads-venv
	DOCKER_HOST=$${DOCKER_HOST:-unix://$(PODMAN_SOCKET)} CONDA_PACK_EXT_REQUIRE_CONTAINERS=1 \
	  CONDA_PACK_EXT_ADS=$(abspath $(ADS_VENV))/bin/ads CONDA_PACK_EXT_REQUIRE_ADS=1 \
	  $(BIN)/python -m pytest tests

# The inner loop: the tests that build no env, start no server, container or ADS (see
# SLOW_FIXTURES in tests/conftest.py). CI runs `make pytest`, which runs everything.
pytest-fast:
	$(BIN)/python -m pytest -q -m "not slow" tests

jest: setup
	$(BIN)/jlpm run test

ui-test: setup system-deps ui-tests/node_modules/.installed
	cd ui-tests && $(BIN)/jlpm playwright test

# The oldest supported JupyterLab, as a user has it: a virtual environment of its own with
# JupyterLab 4.0 installed first, then our wheel with plain `pip install` (pip resolves our
# dependencies against what is there). Fails if that changes the JupyterLab version or if
# the extension is not enabled and OK; then the @smoke browser tests run against its server.
# --no-compile: byte-compiling all of oci's modules up front takes longer than the test.
LAB40_VENV ?= .venv-lab40
LAB40_BIN := $(abspath $(LAB40_VENV))/bin
LAB40_JUPYTERLAB ?= 4.0.13
LAB40_PORT ?= 8899
WHEEL_DIR := .cache/wheel

$(LAB40_VENV)/.jupyterlab-version:
	rm -rf $(LAB40_VENV)
	$(PYTHON) -m venv $(LAB40_VENV)
	$(LAB40_BIN)/python -m pip install -q --no-compile "jupyterlab==$(LAB40_JUPYTERLAB)"
	$(LAB40_BIN)/jupyter lab --version > $@

lab40-smoke: setup system-deps ui-tests/node_modules/.installed $(LAB40_VENV)/.jupyterlab-version
	$(BIN)/jlpm build:prod
	rm -rf $(WHEEL_DIR)
	$(BIN)/python -m pip wheel -q --no-deps --no-build-isolation -w $(WHEEL_DIR) .
	$(LAB40_BIN)/python -m pip uninstall -q -y conda_pack_ext
	$(LAB40_BIN)/python -m pip install -q --no-compile $(WHEEL_DIR)/conda_pack_ext-*.whl
	@before=$$(cat $(LAB40_VENV)/.jupyterlab-version); after=$$($(LAB40_BIN)/jupyter lab --version); \
	echo "jupyter lab --version: $$before before our wheel, $$after after"; \
	[ "$$before" = "$$after" ] || { echo "installing our wheel changed JupyterLab"; exit 1; }
	@extensions=$$($(LAB40_BIN)/jupyter labextension list 2>&1); echo "$$extensions"; \
	grep -qE 'conda-pack-ext v[0-9.]+ .*enabled.*OK' <<< "$$extensions" \
	  || { echo "conda-pack-ext is not enabled and OK in JupyterLab $(LAB40_JUPYTERLAB)"; exit 1; }
	channel=$$($(BIN)/python -m tests.support.channel) && cd ui-tests \
	  && CONDA_PACK_EXT_CHANNEL=$$channel CONDA_PACK_EXT_UI_PORT=$(LAB40_PORT) CONDA_PACK_EXT_UI_SMOKE=1 \
	  CONDA_PACK_EXT_UI_JUPYTER=$(LAB40_BIN)/jupyter $(BIN)/jlpm playwright test --grep @smoke

# Every check, each runner's output kept in $(TEST_LOGS), then one closing line with the
# counts of all runners together: "tests: N passed, N failed, N skipped".
TEST_LOGS := .cache/test-logs
test:
	@mkdir -p $(TEST_LOGS)
	$(MAKE) --no-print-directory lint
	set -o pipefail; $(MAKE) --no-print-directory pytest 2>&1 | tee $(TEST_LOGS)/pytest.log
	set -o pipefail; $(MAKE) --no-print-directory jest 2>&1 | tee $(TEST_LOGS)/jest.log
	set -o pipefail; $(MAKE) --no-print-directory ui-test 2>&1 | tee $(TEST_LOGS)/ui-test.log
	set -o pipefail; $(MAKE) --no-print-directory lab40-smoke 2>&1 | tee $(TEST_LOGS)/lab40-smoke.log
	@pytest=$$(grep -E '^=+ .* in [0-9.]+s' $(TEST_LOGS)/pytest.log | tail -1); \
	jest=$$(grep -E '^Tests:' $(TEST_LOGS)/jest.log | tail -1); \
	galata=$$(grep -hE '^ +[0-9]+ (passed|failed|skipped|flaky)' $(TEST_LOGS)/ui-test.log \
	  $(TEST_LOGS)/lab40-smoke.log); \
	echo "pytest: $$pytest"; echo "jest: $$jest"; echo "galata:" $$galata; \
	count() { printf '%s\n' "$$pytest" "$$jest" "$$galata" | grep -oE "[0-9]+ $$1" \
	  | awk '{n += $$1} END {print n + 0}'; }; \
	echo "tests: $$(count passed) passed, $$(count failed) failed, $$(count skipped) skipped"

# The four benchmarks (see bench/README.md); not part of `make test`: they take minutes and
# want a quiet machine. The two that create many files are kept apart (see bench/benchlib.py).
bench: setup
	$(BIN)/python bench/install.py
	$(BIN)/python bench/pack.py
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/store.py

.PHONY: help setup system-deps podman-service ads-venv lab lint pytest pytest-fast jest ui-test lab40-smoke test bench
