# Two commands do all the set-up on a fresh machine:
#   make demo   install, then materialize every asset on the bundled (synthetic) data
#   make test   install, then run the test suite
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

.PHONY: install demo test ui mlflow-ui dbt-docs dagster-home serve shift-traffic serving-stats clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# constraints.txt pins every package (the lock); torch==2.13.0 is the local CPU wheel.
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

dagster-home:
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || cp deploy/dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	@cmp -s deploy/dagster.yaml $(DAGSTER_HOME)/dagster.yaml || echo "note: $(DAGSTER_HOME)/dagster.yaml differs from deploy/dagster.yaml, which turns on run monitoring; kept as it is (copy it over to take the new settings)"

demo: install dagster-home
	# raw_reviews is partitioned by source file; the bundled synthetic data is partition `bundled`.
	$(BIN)/python -m sentiment_assets.register_partition bundled
	$(BIN)/dg launch --assets '*' --partition bundled
	$(BIN)/python -m sentiment_assets.where_to_look

test: install
	$(BIN)/python -m pytest

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
	$(BIN)/python -m sentiment_assets.serving serve --port $(SERVE_PORT)

# make shift-traffic CHALLENGER=0.2: 80% champion, 20% challenger, no restart needed.
shift-traffic: install
	$(BIN)/python -m sentiment_assets.serving shift-traffic --challenger $(CHALLENGER)

serving-stats: install
	$(BIN)/python -m sentiment_assets.serving stats

clean:
	rm -rf $(SENTIMENT_HOME) dbt_project/target dbt_project/logs
