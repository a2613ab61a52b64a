"""Jobs per phase, one for everything, and the nightly retraining schedule."""


import dagster as dg

GROUPS: tuple[str, ...] = ("ingest_analyze", "prepare_transform", "train_tune", "deploy_manage")

group_jobs = [
    dg.define_asset_job(f"{group}_job", selection=dg.AssetSelection.groups(group), description=f"Materialize the {group} group.")
    for group in GROUPS
]

everything_job = dg.define_asset_job(
    "everything_job", selection=dg.AssetSelection.all(), description="Raw reviews to batch predictions."
)

# Retraining = everything from the candidate round to the registry, with the data as it stands.
# Scoring is per landed file (partitioned) and follows a new champion on its own.
PARTITIONED_SCORING = dg.AssetSelection.assets("batch_predictions", "review_queue")
retraining_job = dg.define_asset_job(
    "retraining_job",
    selection=dg.AssetSelection.assets("finetuned_minilm", "candidate_models").downstream() - PARTITIONED_SCORING,
    description="Re-train, tune, evaluate and register on the current feature store.",
)

nightly_retraining_schedule = dg.ScheduleDefinition(
    name="nightly_retraining",
    job=retraining_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="02:00 UTC: retrain on the feature store and move the champion if the new model wins.",
)
