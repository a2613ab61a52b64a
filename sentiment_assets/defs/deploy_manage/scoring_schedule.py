"""hourly_scoring: the safety net under the automation sensor. Every hour it scores the landed
files whose predictions are missing or stale -- the file was re-ingested, or a model was
registered, after its last batch_predictions -- for instance when the automation sensor was off
or a scoring run failed.

Only stale files, not every file: scoring itself would only fill what is missing, but each
re-materialization re-runs the partition's drift checks, and the drift sensor retrains on every
drifted batch_predictions materialization."""

import dagster as dg

from sentiment_assets.defs.automation import scoring_job
from sentiment_assets.defs.ingest_analyze.partitions import review_files

ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def _latest(instance: dg.DagsterInstance, asset: str, partition: str | None = None) -> int | None:
    """Storage id of the asset's (partition's) latest materialization: ids grow with time."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[partition] if partition else None),
        limit=1,
    ).records
    return records[0].storage_id if records else None


def _run_under_way(instance: dg.DagsterInstance, partition: str) -> bool:
    """A queued or running run for the file (ingest or scoring): the next hour will look again."""
    return bool(instance.get_run_ids(dg.RunsFilter(statuses=ACTIVE, tags={"dagster/partition": partition}), limit=1))


def stale_partitions(instance: dg.DagsterInstance) -> tuple[list[str], str]:
    """The files to score now, and a sentence on why the others are left alone."""
    model = _latest(instance, "registered_model")
    if model is None:
        return [], "no registered_model materialization yet: no champion to score with"
    stale, not_ingested = [], []
    for key in instance.get_dynamic_partitions(review_files.name):
        raw = _latest(instance, "raw_reviews", key)
        if raw is None:
            not_ingested.append(key)  # registered, not ingested: nothing to score
            continue
        scored = _latest(instance, "batch_predictions", key)
        if (scored is None or scored < max(raw, model)) and not _run_under_way(instance, key):
            stale.append(key)
    note = (
        f"{len(not_ingested)} registered files are not ingested yet ({', '.join(not_ingested)})"
        if not_ingested
        else "every other file is scored"
    )
    return stale, note


@dg.schedule(
    job=scoring_job,
    cron_schedule="0 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Hourly: score each landed file whose predictions are missing or older than its "
    "data or the latest registered model (a catch-up for the automation sensor).",
)
def hourly_scoring(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest] | dg.SkipReason:
    stale, note = stale_partitions(context.instance)
    if not stale:
        return dg.SkipReason(f"nothing to score: {note}")
    # Dagster needs a run_key per request when a tick asks for several runs.
    return [
        dg.RunRequest(run_key=f"hourly_scoring:{key}", partition_key=key, tags={"sentiment/trigger": "hourly_scoring"})
        for key in stale
    ]
