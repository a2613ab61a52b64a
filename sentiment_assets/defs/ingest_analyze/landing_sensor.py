"""The landing-zone sensor: each new review file becomes a raw_reviews partition and is ingested;
a changed file re-ingests its own partition; a byte-identical copy under another name is skipped."""

import json

import dagster as dg
from dagster_aws.s3 import S3Resource

from sentiment_assets.defs.automation import ingest_job
from sentiment_assets.defs.ingest_analyze.partitions import partition_key_for, review_files
from sentiment_assets.landing_zone import scan_landing_zone
from sentiment_assets.project_config import load_project_config


@dg.sensor(
    job=ingest_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Watches config/sentiment.yaml's landing_zone.directory: a new file (by content "
    "hash) becomes a raw_reviews partition and is ingested; the automation sensor carries it "
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
    new_keys = [partition_key_for(uri) for uri in scan.new_files]
    requests = [
        dg.RunRequest(
            # The content hash is in the key: the same bytes are never ingested twice for a file.
            run_key=f"{partition_key_for(uri)}:{scan.state[uri][:16]}",
            partition_key=partition_key_for(uri),
            run_config=project.raw_reviews_run_config(uri),
            tags={"landing/file": uri, "landing/change": "new" if uri in scan.new_files else "changed"},
        )
        for uri in [*scan.new_files, *scan.changed_files]
    ]
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[review_files.build_add_request(new_keys)] if new_keys else [],
        cursor=json.dumps(scan.state),
    )
