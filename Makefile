# Two commands do all the set-up on a fresh machine:
#   make demo   install, then materialize every asset on the bundled (synthetic) data
#   make test   install, then run the test suite
# and `make lint` checks style and types (ruff, basedpyright), as CI does before the tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SENTIMENT_HOME ?= $(CURDIR)/.sentiment
export DAGSTER_HOME ?= $(SENTIMENT_HOME)/dagster_home
# Nothing we run may report usage.
export DAGSTER_DISABLE_TELEMETRY := true
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export MLFLOW_DISABLE_TELEMETRY := true
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install prepare demo test lint ui mlflow-ui dbt-docs dagster-home serve shift-traffic serving-stats clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# constraints.txt pins every package (the lock); torch==2.13.0 is the local CPU wheel.
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# The dbt manifest the dbt assets are built from, parsed once per change of dbt_project/ (a no-op
# while current): importing the code location, and so every `dg launch`, runs no dbt.
prepare: $(STAMP)
	$(BIN)/python -m resources.dbt

install: $(STAMP) prepare

dagster-home:
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || cp deploy/dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	@cmp -s deploy/dagster.yaml $(DAGSTER_HOME)/dagster.yaml || echo "note: $(DAGSTER_HOME)/dagster.yaml differs from deploy/dagster.yaml, which turns on run monitoring; kept as it is (copy it over to take the new settings)"

demo: install dagster-home
	# raw_reviews is partitioned by source file; the bundled synthetic data is partition `bundled`.
	$(BIN)/sentiment-assets register-partition bundled
	$(BIN)/dg launch --assets '*' --partition bundled
	$(BIN)/sentiment-assets where-to-look

test: install
	$(BIN)/python -m pytest

# Lint (ruff check), formatting (ruff format --check) and types (basedpyright, pyright's "basic"
# rules on what pyproject.toml's [tool.basedpyright] includes). `ruff check --fix .` and
# `ruff format .` fix most of what the first two report.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/basedpyright

ui: install dagster-home
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

mlflow-ui: install
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(SENTIMENT_HOME)/mlflow/mlflow.db --host 127.0.0.1 --port 5000

dbt-docs: install
	# dbt's documentation site for the models, generated offline from the demo's warehouse.
	cd dbt_project && SENTIMENT_DUCKDB_PATH=$(SENTIMENT_HOME)/warehouse.duckdb ../$(BIN)/dbt docs generate --profiles-dir . && \
	  ../$(BIN)/dbt docs serve --profiles-dir . --host 127.0.0.1 --port 8082

# The champion (and a challenger, if that alias exists) over HTTP on localhost; Ctrl-C stops it.
SERVE_PORT ?= 8080
serve: install
	$(BIN)/sentiment-assets serving serve --port $(SERVE_PORT)

# make shift-traffic CHALLENGER=0.2: 80% champion, 20% challenger, no restart needed.
shift-traffic: install
	$(BIN)/sentiment-assets serving shift-traffic --challenger $(CHALLENGER)

serving-stats: install
	$(BIN)/sentiment-assets serving stats

clean:
	rm -rf $(SENTIMENT_HOME) dbt_project/target dbt_project/logs
