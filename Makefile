# The dev loop. `make demo` and `make test` are the README's quick start: they need only
# python3 (with venv) and make; everything else is installed into .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= demo

.PHONY: demo test lint format typecheck docs docs-check bench check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/ordertrack demo $(DEMO_DIR) --force

test: $(VENV)/.installed
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check ordertrack tests bench
	$(BIN)/ruff format --check ordertrack tests bench

format: $(VENV)/.installed
	$(BIN)/ruff format ordertrack tests bench
	$(BIN)/ruff check --fix ordertrack tests bench

typecheck: $(VENV)/.installed
	$(BIN)/mypy ordertrack

docs: $(VENV)/.installed
	$(BIN)/python -m ordertrack.docgen --write

docs-check: $(VENV)/.installed
	$(BIN)/python -m ordertrack.docgen --check

bench: $(VENV)/.installed
	$(BIN)/python bench/run.py

check: lint typecheck test docs-check

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
