"""The schedules and the landing-zone sensor, ticked with Dagster's testing helpers against real
instances; the drift sensor has its own file (test_drift_retraining_sensor.py)."""

import datetime as dt

import dagster as dg
from dagster._core.test_utils import create_run_for_test
from dagster_aws.s3 import S3Resource
from landed_reviews import landing_zone
from source_files import CLOTHING_HEADER

from sentiment_assets.definitions import defs
from sentiment_assets.defs.automation import landed_file_run_config
from sentiment_assets.defs.deploy_manage.scoring_schedule import hourly_scoring
from sentiment_assets.defs.ingest_analyze.landing_sensor import landing_zone_sensor
from sentiment_assets.defs.ingest_analyze.partitions import BUNDLED_PARTITION, register_partitions
from sentiment_assets.monitoring.scored_partition import progress_line

CLOTHING = CLOTHING_HEADER + "0,1,30,t,Lovely soft knit,5,1,0,General,Tops,Knits\n"
TOP_OF_THE_HOUR = dt.datetime(2030, 1, 1, 9, 0, tzinfo=dt.UTC)


def materialize(instance: dg.DagsterInstance, asset: str, partition: str | None = None) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=asset, partition=partition))


def scoring_tick(instance: dg.DagsterInstance):
    # The repository resolves each request's partition against scoring_job's partitions.
    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=TOP_OF_THE_HOUR, repository_def=defs.get_repository_def()
    )
    return hourly_scoring.evaluate_tick(context)


def test_hourly_scoring_skips_until_a_model_is_registered():
    with dg.instance_for_test() as instance:
        register_partitions(instance, ["a.csv"])
        materialize(instance, "raw_reviews", "a.csv")
        materialize(instance, "cleaned_reviews")
        tick = scoring_tick(instance)
    assert tick.run_requests == [] and "no champion" in tick.skip_message


def test_hourly_scoring_requests_only_files_whose_predictions_are_missing_or_stale():
    with dg.instance_for_test() as instance:
        register_partitions(instance, ["scored.csv", "unscored.csv", "not_ingested.csv", "just_landed.csv"])
        materialize(instance, "registered_model")
        materialize(instance, "raw_reviews", "scored.csv")
        materialize(instance, "raw_reviews", "unscored.csv")
        materialize(instance, "cleaned_reviews")
        materialize(instance, "batch_predictions", "scored.csv")
        # Scoring reads the accepted rows themselves: a file ingested after the last dbt build
        # (say a `score` file, which dbt never trains on) is scored without waiting for dbt.
        materialize(instance, "raw_reviews", "just_landed.csv")
        first = scoring_tick(instance)
        assert [r.partition_key for r in first.run_requests] == ["unscored.csv", "just_landed.csv"]
        assert hourly_scoring.job_name == "scoring_job"
        # A new champion makes every scored file stale; a file already being worked on is left alone.
        materialize(instance, "registered_model")
        create_run_for_test(
            instance,
            job_name="scoring_job",
            status=dg.DagsterRunStatus.STARTED,
            tags={"dagster/partition": "unscored.csv"},
        )
        second = scoring_tick(instance)
    assert [r.partition_key for r in second.run_requests] == ["scored.csv", "just_landed.csv"]


def test_nightly_retraining_requests_the_retraining_job_which_also_rebaselines_drift():
    schedule = defs.resolve_schedule_def("nightly_retraining")
    with dg.instance_for_test() as instance:
        tick = schedule.evaluate_tick(
            dg.build_schedule_context(
                instance=instance, scheduled_execution_time=dt.datetime(2030, 1, 1, 2, 0, tzinfo=dt.UTC)
            )
        )
    assert len(tick.run_requests) == 1 and schedule.job_name == "retraining_job"
    selected = {k.to_user_string() for k in defs.resolve_job_def("retraining_job").asset_layer.selected_asset_keys}
    assert "drift_baseline" in selected and "registered_model" in selected


def test_ingest_job_ingests_a_partition_exactly_as_the_landing_sensor_did(tmp_path, monkeypatch):
    landing = landing_zone(tmp_path, monkeypatch, chunk_rows=500)
    (landing / "march.csv").write_text(CLOTHING)
    with dg.instance_for_test() as instance:
        result = landing_zone_sensor(dg.build_sensor_context(instance=instance, resources={"s3": S3Resource()}))
    [request] = result.run_requests
    assert request.partition_key == "march.csv"
    # A backfill of ingest_job re-reads each file with the same run config the sensor used.
    job_config = defs.resolve_job_def("ingest_job").partitioned_config
    assert job_config.get_run_config_for_partition_key("march.csv") == request.run_config
    assert landed_file_run_config(BUNDLED_PARTITION) == {}  # the synthetic data needs no location


def test_scoring_progress_lines_give_the_share_done_the_rate_and_the_time_left():
    line = progress_line("march.csv", 3, done=3000, total=10_000, scored_this_run=2000, seconds=4.0)
    assert line == "march.csv: 3000 / 10000 reviews scored by version 3 (30%) | 500 reviews/s | ETA 0m 14s"
    assert progress_line("b", 1, done=0, total=0, scored_this_run=0, seconds=0.0).endswith("ETA unknown")
