# Two entry points: `make demo` and `make test`. Both set everything up from nothing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export VIRTUAL_ENV := $(abspath $(VENV))
export PATH := $(abspath $(VENV))/bin:$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
CARGO_TEST_FLAGS ?= --release

.PHONY: demo test test-all setup build cargo-test pytest lint bench vectors clean

demo: build
	$(PY) -m zkml.demo

test: build cargo-test pytest

setup: $(VENV)/.deps-stamp

$(VENV)/.deps-stamp: pyproject.toml requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -r requirements-dev.txt
	touch $@

# Release build of the native extension, installed into the venv (editable Python sources).
build: setup
	cd $(CURDIR) && maturin develop --release -q

cargo-test:
	cd rust && cargo test $(CARGO_TEST_FLAGS) -p zkml-core

pytest: build
	$(PY) -m pytest -q

# Every test, the `slow` ones too (the coverage-guided fuzz run: ZKML_FUZZ_SECONDS, default
# 120; tests/fuzz/README.md).
test-all: build cargo-test
	$(PY) -m pytest -q -m ''

lint: setup
	$(VENV)/bin/ruff check zkml cli tests benchmarks artifacts
	cd rust && cargo fmt --check && cargo clippy --release -p zkml-core -p zkml-py --all-targets -- -D warnings

bench: build
	$(PY) benchmarks/run.py

# Regenerate the cross-language test vectors from the Rust prover (then commit them).
vectors:
	cd rust && ZKML_WRITE_VECTORS=1 cargo test $(CARGO_TEST_FLAGS) -p zkml-core vectors
	cd rust && ZKML_WRITE_VECTORS=1 cargo test $(CARGO_TEST_FLAGS) -p zkml-core --test declarations

clean:
	rm -rf $(VENV) rust/target
