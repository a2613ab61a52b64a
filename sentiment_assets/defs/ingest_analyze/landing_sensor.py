"""The landing-zone sensor: each new review file becomes a raw_reviews partition and is ingested;
a changed file re-ingests its own partition; a byte-identical copy under another name is skipped;
a file whose name cannot be a partition key is refused by name (see landing_zone.py).

A sensor, not an automation condition: it finds files outside Dagster, adds their dynamic
partitions and hands each run the file's location; the conditions take over from raw_reviews."""

import json

import dagster as dg
from dagster_aws.s3 import S3Resource

from sentiment_assets.defs.ingest_analyze.partitions import review_files
from sentiment_assets.operations.project_config import load_project_config
from sentiment_assets.sources.landing_zone import LandingScan, landed_file, scan_landing_zone


def refused_files_line(scan: LandingScan) -> str:
    """One line naming every refused file and why (empty when none is)."""
    if not scan.refused:
        return ""
    return f"{len(scan.refused)} file(s) refused, not ingested: " + " | ".join(scan.refused.values())


@dg.sensor(
    job_name="ingest_job",  # sentiment_assets/defs/jobs.py
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Watches config/sentiment.yaml's landing_zone.directory and its train/, score/ and "
    "holdout/ folders: a new file (by content hash) becomes a raw_reviews partition with that role and is "
    "ingested; the automation conditions carry it "
    "downstream (dbt, features, scoring) while training waits for the night. A file whose name is not a valid "
    "partition key (letters, digits, '.', '_', '-') is refused, never renamed onto another file's partition.",
)
def landing_zone_sensor(context: dg.SensorEvaluationContext, s3: S3Resource) -> dg.SensorResult | dg.SkipReason:
    project = load_project_config()
    landing = str(project.landing_directory)
    scan = scan_landing_zone(landing, context.cursor, s3.get_client() if landing.startswith("s3://") else None)
    refused = refused_files_line(scan)
    if refused:
        context.log.warning(refused)
    if not scan.needs_ingest:
        ignored = f"; {len(scan.duplicate_content)} copies of ingested files ignored" if scan.duplicate_content else ""
        context.update_cursor(json.dumps(scan.state))
        return dg.SkipReason(
            f"no new or changed files in {project.landing_directory}{ignored}" + (f"; {refused}" if refused else "")
        )
    files = {uri: landed_file(landing, uri, project.default_role) for uri in [*scan.new_files, *scan.changed_files]}
    new_keys = [files[uri].partition_key for uri in scan.new_files]
    requests = [
        dg.RunRequest(
            # The content hash is in the key: the same bytes are never ingested twice for a file.
            run_key=f"{file.partition_key}:{scan.state[uri][:16]}",
            partition_key=file.partition_key,
            # Escaped: the reader would take a '[' or '*' in the landing path for a glob.
            run_config=project.raw_reviews_run_config(file.read_location, file.role),
            tags={
                "landing/file": uri,
                "landing/change": "new" if uri in scan.new_files else "changed",
                "sentiment/source_role": file.role,
            },
        )
        for uri, file in files.items()
    ]
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[review_files.build_add_request(new_keys)] if new_keys else [],
        cursor=json.dumps(scan.state),
    )
