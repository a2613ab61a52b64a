"""Helpers for the tests that run the documented commands as subprocesses: the environment the
Makefile exports, a command runner, and reads of the instance and the warehouse."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# The backfill's runs are executed by the daemon's run queue, one at a time (one DuckDB writer).
# The automation sensor stays off here: it would follow the new files with dbt runs of its own.
TEST_INSTANCE_SETTINGS = """
concurrency:
  runs:
    max_concurrent_runs: 1
auto_materialize:
  enabled: false
  use_sensors: false
"""


def cli_environment(root: Path, landing: Path) -> dict:
    """SENTIMENT_HOME and DAGSTER_HOME (the project's dagster.yaml) under `root`, a project config
    whose landing zone is `landing`, and the environment the Makefile exports."""
    dagster_home = root / "dagster_home"
    dagster_home.mkdir(exist_ok=True)
    (dagster_home / "dagster.yaml").write_text((REPO / "deploy" / "dagster.yaml").read_text() + TEST_INSTANCE_SETTINGS)
    config = root / "sentiment.yaml"
    config.write_text(f"landing_zone:\n  directory: {landing}\ningest:\n  preset: auto\n")
    return {
        **os.environ,
        "SENTIMENT_HOME": str(root / "home"),
        "DAGSTER_HOME": str(dagster_home),
        "SENTIMENT_CONFIG": str(config),
        "VIRTUAL_ENV": str(BIN.parent),
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "DAGSTER_DISABLE_TELEMETRY": "true",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "GX_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }


def run(env: dict, *command: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=REPO, env=env, capture_output=True, text=True, timeout=400
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return done


def instance_of(env: dict) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(env["DAGSTER_HOME"])


def materializations(instance: dg.DagsterInstance, asset: str, partition: str | None = None) -> list[dg.EventLogRecord]:
    records_filter = dg.AssetRecordsFilter(
        asset_key=dg.AssetKey(asset), asset_partitions=[partition] if partition else None
    )
    return list(instance.fetch_materializations(records_filter, limit=100).records)


def warehouse(env: dict, sql: str) -> list[tuple]:
    with duckdb.connect(str(Path(env["SENTIMENT_HOME"]) / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(sql).fetchall()
