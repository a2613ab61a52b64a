"""The landing-zone sensor: each new review file becomes a raw_reviews partition and is ingested;
a changed file re-ingests its own partition; a byte-identical copy under another name is skipped."""

import json

import dagster as dg
from dagster_aws.s3 import S3Resource

from sentiment_assets.defs.automation import ingest_job
from sentiment_assets.defs.ingest_analyze.partitions import review_files
from sentiment_assets.landing_zone import landed_file, scan_landing_zone
from sentiment_assets.project_config import load_project_config


@dg.sensor(
    job=ingest_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Watches config/sentiment.yaml's landing_zone.directory and its train/, score/ and "
    "holdout/ folders: a new file (by content hash) becomes a raw_reviews partition with that role and is ingested; the automation sensor carries it "
    "downstream (dbt, features, scoring) while training waits for the night.",
)
def landing_zone_sensor(context: dg.SensorEvaluationContext, s3: S3Resource) -> dg.SensorResult | dg.SkipReason:
    project = load_project_config()
    landing = str(project.landing_directory)
    scan = scan_landing_zone(landing, context.cursor, s3.get_client() if landing.startswith("s3://") else None)
    if not scan.needs_ingest:
        ignored = f"; {len(scan.duplicate_content)} copies of ingested files ignored" if scan.duplicate_content else ""
        context.update_cursor(json.dumps(scan.state))
        return dg.SkipReason(f"no new or changed files in {project.landing_directory}{ignored}")
    files = {uri: landed_file(landing, uri, project.default_role) for uri in [*scan.new_files, *scan.changed_files]}
    new_keys = [files[uri].partition_key for uri in scan.new_files]
    requests = [
        dg.RunRequest(
            # The content hash is in the key: the same bytes are never ingested twice for a file.
            run_key=f"{file.partition_key}:{scan.state[uri][:16]}",
            partition_key=file.partition_key,
            run_config=project.raw_reviews_run_config(uri, file.role),
            tags={"landing/file": uri, "landing/change": "new" if uri in scan.new_files else "changed",
                  "sentiment/source_role": file.role},
        )
        for uri, file in files.items()
    ]
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[review_files.build_add_request(new_keys)] if new_keys else [],
        cursor=json.dumps(scan.state),
    )
