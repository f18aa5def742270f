# Tandem: the two commands are `make run` and `make test`; everything else is a helper.
SHELL := /bin/bash
.DEFAULT_GOAL := help

BOOTSTRAP := .cache/bootstrap
UV := $(shell command -v uv 2>/dev/null || echo $(BOOTSTRAP)/bin/uv)
# Imports dominate start-up time: keep bytecode even where the shell disables it.
unexport PYTHONDONTWRITEBYTECODE
export UV_COMPILE_BYTECODE := 1
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install run test test-fast bench bench-quick lint schemas clean

help:
	@echo "make run     start the whole system on embedded defaults (Ctrl-C stops it)"
	@echo "make test    install what is needed and run every test"
	@echo "make bench   benchmarks (make bench-quick for a short run)"
	@echo "make lint    ruff and import-linter;  make schemas  re-export event schemas"

$(BOOTSTRAP)/bin/uv:
	@echo "==> installing uv (Python package manager) into $(BOOTSTRAP)"
	@python3 -m venv $(BOOTSTRAP)
	@$(BOOTSTRAP)/bin/pip install --quiet --disable-pip-version-check "uv>=0.5"

install: $(if $(findstring $(BOOTSTRAP),$(UV)),$(BOOTSTRAP)/bin/uv)
	@echo "==> installing the workspace (uv sync)"
	@$(UV) sync --frozen --all-packages

run: install
	@$(UV) run --no-sync tandem-dev run

test: install
	@$(UV) run --no-sync pytest $(PYTEST_ARGS)

test-fast: install
	@$(UV) run --no-sync pytest -m "not e2e" $(PYTEST_ARGS)

lint: install
	@$(UV) run --no-sync ruff check .
	@$(UV) run --no-sync lint-imports

schemas: install
	@$(UV) run --no-sync tandem-contracts export shared/contracts/schemas

bench: install
	@$(UV) run --no-sync python -m bench $(BENCH_ARGS)

bench-quick: install
	@$(UV) run --no-sync python -m bench --quick

clean:
	rm -rf .data .pytest_cache

.PHONY: deploy-manifests settings-doc
deploy-manifests: install  ## regenerate deploy/kubernetes and the compose topic script
	@$(UV) run --no-sync tandem-dev manifests

settings-doc: install  ## regenerate docs/configuration.md from the Settings classes
	@$(UV) run --no-sync tandem-dev settings-doc
