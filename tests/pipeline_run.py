"""The end-to-end pipeline run (not a test module): every asset materialized in-process on a
small synthetic sample. conftest.py's session-scoped `end_to_end_run` fixture runs it once for
test_pipeline_end_to_end.py, which checks what the run left, and test_pipeline_follow_up_runs.py,
which runs slices of the pipeline again on top of it."""

from pathlib import Path
from typing import Any, NamedTuple

import dagster as dg
import duckdb

from resources.environment import Profile
from resources.profiles import resources_for
from sentiment_assets.definitions import ALL_ASSETS
from sentiment_assets.defs.ingest_analyze.partitions import BUNDLED_PARTITION, register_partitions

SAMPLE_ROWS = 1500
RUN_CONFIG = {
    "ops": {
        "raw_reviews": {"config": {"synthetic_rows": SAMPLE_ROWS}},
        "finetuned_minilm": {
            "config": {"max_train_samples": 64, "max_seq_length": 32, "batch_size": 16, "checkpoint_every_steps": 2}
        },
        "candidate_models": {"config": {"time_budget_s": {"minilm_embeddings_linear": 120.0}}},
        "tuned_model": {"config": {"n_trials": 3, "transformer_n_trials": 1}},
    }
}


class PipelineRun(NamedTuple):
    home: Path  # SENTIMENT_HOME: the warehouse, the artifacts and the MLflow store
    resources: dict[str, Any]
    result: dg.ExecuteInProcessResult


def run_pipeline(home: Path) -> PipelineRun:
    """Every asset of the bundled partition materialized under `home` with RUN_CONFIG; it must succeed."""
    resources = resources_for(Profile.LOCAL, home=home)
    instance = dg.DagsterInstance.ephemeral()
    register_partitions(instance, [BUNDLED_PARTITION])
    result = dg.materialize(
        ALL_ASSETS, resources=resources, run_config=RUN_CONFIG, instance=instance, partition_key=BUNDLED_PARTITION
    )
    assert result.success
    return PipelineRun(home, resources, result)


def query(home: Path, sql: str) -> list[tuple[Any, ...]]:
    """The rows of `sql` on the run's warehouse, read-only."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(sql).fetchall()
