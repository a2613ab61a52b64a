"""The jobs people run by hand: one per phase, one for everything, and the ingest, retraining and
scoring jobs. When assets run on their own is decided by their automation conditions
(automation_conditions.py); these jobs are for backfills, re-runs and the sensors' requests."""

from typing import Any

import dagster as dg

from sentiment_assets.defs.ingest_analyze.partitions import BUNDLED_PARTITION, review_files
from sentiment_assets.operations.project_config import load_project_config
from sentiment_assets.sources.landing_zone import landed_file_for_key

GROUPS: tuple[str, ...] = ("ingest_analyze", "prepare_transform", "train_tune", "deploy_manage")

group_jobs = [
    dg.define_asset_job(
        f"{group}_job", selection=dg.AssetSelection.groups(group), description=f"Materialize the {group} group."
    )
    for group in GROUPS
]

everything_job = dg.define_asset_job(
    "everything_job", selection=dg.AssetSelection.all(), description="Raw reviews to batch predictions."
)


def landed_file_run_config(partition_key: str) -> dict[str, Any]:
    """Run config that ingests one raw_reviews partition: the file of that name in the landing
    directory (`score/x.csv`: x.csv in its score folder, with role score), with the project's
    ingest settings; `bundled` (the synthetic data) needs none."""
    if partition_key == BUNDLED_PARTITION:
        return {}
    project = load_project_config()
    landed = landed_file_for_key(str(project.landing_directory), partition_key, project.default_role)
    return project.raw_reviews_run_config(landed.read_location, landed.role)


# One run per landed file (the landing-zone sensor requests it); a backfill over several files
# (`dagster job backfill -j ingest_job`) gets each file's location from its partition key.
ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets("raw_reviews"),
    config=dg.PartitionedConfig(partitions_def=review_files, run_config_for_partition_key_fn=landed_file_run_config),
    description="Ingest one landed file (the partition key is its name in the landing directory).",
)

# Retraining = everything from the candidate round to the registry, with the data as it stands,
# and the drift baseline, which must describe the data the new model learned from. The drift
# sensor requests it; the nightly condition retrains the same assets on its own.
# Scoring is per landed file (partitioned) and follows a new champion on its own.
PARTITIONED_SCORING = dg.AssetSelection.assets("batch_predictions", "review_queue")
retraining_job = dg.define_asset_job(
    "retraining_job",
    selection=(dg.AssetSelection.assets("finetuned_minilm", "candidate_models").downstream() - PARTITIONED_SCORING)
    | dg.AssetSelection.assets("drift_baseline"),
    description="Re-train, tune, evaluate and register on the current feature store; re-baseline drift.",
)

scoring_job = dg.define_asset_job(
    "scoring_job",
    selection=PARTITIONED_SCORING,
    description="Score one landed file with the champion and queue its low-confidence reviews.",
)
