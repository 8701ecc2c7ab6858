# salesops: `make demo` runs the pipeline on generated exports, `make test` runs the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed
DEMO_DIR ?= $(CURDIR)/.salesops
export GX_ANALYTICS_ENABLED := False
DAGSTER_HOME ?= $(DEMO_DIR)/dagster

.PHONY: setup demo test lint format serve ui benchmark docs clean

setup: $(STAMP) dbt_project/target/manifest.json

# Reinstall only when the lock or the project metadata changed.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --upgrade >/dev/null
	test -x $(UV) || $(BIN)/python -m pip install --quiet uv==0.13.9
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet --compile-bytecode -r requirements.lock
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet --compile-bytecode --no-deps -e .
	touch $(STAMP)

dbt_project/target/manifest.json: $(STAMP) $(shell find dbt_project -name '*.sql' -o -name '*.yml' | grep -v /target/)
	SALESOPS_DATA_DIR=$(DEMO_DIR) $(BIN)/python -c "from orchestration.defs.transform import prepare_manifest; from salesops.settings import load_settings; prepare_manifest(load_settings())"

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME) && cp dagster.yaml $@

demo: setup $(DAGSTER_HOME)/dagster.yaml
	DAGSTER_HOME=$(DAGSTER_HOME) SALESOPS_DATA_DIR=$(DEMO_DIR) $(BIN)/salesops run

test: setup
	$(BIN)/python -m pytest -q

# Python: ruff (rules and format in pyproject.toml); SQL: sqlfluff on the dbt project (.sqlfluff), offline.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/macros dbt_project/tests --processes 2

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Dagster UI + daemon on the demo data dir (instance in $(DEMO_DIR)/dagster): schedule and sensors fire.
serve: setup
	SALESOPS_DATA_DIR=$(DEMO_DIR) $(BIN)/salesops serve --exports $(DEMO_DIR)/demo-exports

ui: serve

benchmark: setup
	$(BIN)/python tests/benchmark.py

# The dbt docs of the demo build as one self-contained page, static_index.html (manifest and catalog
# embedded): it opens from disk (file://), no server and no network. The catalog is read from the demo's
# build database, which `make demo` builds first when there is none (not while a run holds it). Usage
# stats off: with them on, the page loads dbt Labs' tracking script from the internet.
DOCS_DIR ?= $(DEMO_DIR)/docs
docs: setup
	@test -f $(DEMO_DIR)/warehouse/build.duckdb || $(MAKE) --no-print-directory demo
	SALESOPS_DATA_DIR=$(abspath $(DEMO_DIR)) $(BIN)/dbt --quiet --no-send-anonymous-usage-stats \
		--log-path $(abspath $(DOCS_DIR))/logs docs generate --static \
		--project-dir dbt_project --profiles-dir dbt_project --target-path $(abspath $(DOCS_DIR)) \
		--vars "$$(SALESOPS_DATA_DIR=$(abspath $(DEMO_DIR)) $(BIN)/python -c 'import json; from salesops.settings import load_settings; print(json.dumps(load_settings().dbt_vars()))')"
	@echo "Docs: $(abspath $(DOCS_DIR))/static_index.html (open it in a browser: file://$(abspath $(DOCS_DIR))/static_index.html)"

clean:
	rm -rf $(DEMO_DIR) dbt_project/target dbt_project/logs
