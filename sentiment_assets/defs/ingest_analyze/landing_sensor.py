"""The landing-zone sensor: new or changed review files trigger ingestion and everything after it."""

import hashlib
import json

import dagster as dg

from sentiment_assets.defs.automation import everything_job
from sentiment_assets.landing_zone import scan_landing_zone
from sentiment_assets.project_config import load_project_config


@dg.sensor(
    job=everything_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Watches config/sentiment.yaml's landing_zone.directory; a new or changed file "
    "(by content hash) re-ingests the directory and refreshes every downstream asset.",
)
def landing_zone_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    project = load_project_config()
    scan = scan_landing_zone(str(project.landing_directory), context.cursor)
    if not scan.needs_ingest:
        skipped = f"; {len(scan.duplicate_content)} copies of ingested files ignored" if scan.duplicate_content else ""
        context.update_cursor(json.dumps(scan.state))
        return dg.SkipReason(f"no new or changed files in {project.landing_directory}{skipped}")
    # One run per distinct landing state: re-evaluating the same state never launches twice.
    run_key = hashlib.sha256("".join(f"{k}={v};" for k, v in sorted(scan.state.items())).encode()).hexdigest()[:16]
    return dg.SensorResult(
        run_requests=[dg.RunRequest(
            run_key=run_key,
            run_config=project.raw_reviews_run_config(str(project.landing_directory)),
            tags={"landing/new_files": str(len(scan.new_files)), "landing/changed_files": str(len(scan.changed_files))},
        )],
        cursor=json.dumps(scan.state),
    )
