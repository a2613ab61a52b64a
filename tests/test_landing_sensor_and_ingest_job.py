"""The landing-zone sensor and the ingest job it requests, ticked with Dagster's testing helpers
against real instances; the drift sensor has its own file (test_drift_retraining_sensor.py) and
the automation conditions theirs (test_automation.py)."""

import dagster as dg
from dagster_aws.s3 import S3Resource
from landed_reviews import landing_zone
from source_files import CLOTHING_HEADER

from sentiment_assets.definitions import defs
from sentiment_assets.defs.ingest_analyze.landing_sensor import landing_zone_sensor
from sentiment_assets.defs.ingest_analyze.partitions import BUNDLED_PARTITION
from sentiment_assets.defs.jobs import landed_file_run_config
from sentiment_assets.monitoring.scored_partition import progress_line

CLOTHING = CLOTHING_HEADER + "0,1,30,t,Lovely soft knit,5,1,0,General,Tops,Knits\n"


def test_ingest_job_ingests_a_partition_exactly_as_the_landing_sensor_did(tmp_path, monkeypatch):
    landing = landing_zone(tmp_path, monkeypatch, chunk_rows=500)
    (landing / "march.csv").write_text(CLOTHING)
    with dg.instance_for_test() as instance:
        result = landing_zone_sensor(dg.build_sensor_context(instance=instance, resources={"s3": S3Resource()}))
    assert isinstance(result, dg.SensorResult) and result.run_requests is not None, result
    [request] = result.run_requests
    assert request.partition_key == "march.csv"
    assert landing_zone_sensor.job_name == "ingest_job"
    # A backfill of ingest_job re-reads each file with the same run config the sensor used.
    job_config = defs.resolve_job_def("ingest_job").partitioned_config
    assert job_config is not None
    assert job_config.get_run_config_for_partition_key("march.csv") == request.run_config
    assert landed_file_run_config(BUNDLED_PARTITION) == {}  # the synthetic data needs no location


def test_scoring_progress_lines_give_the_share_done_the_rate_and_the_time_left():
    line = progress_line("march.csv", 3, done=3000, total=10_000, scored_this_run=2000, seconds=4.0)
    assert line == "march.csv: 3000 / 10000 reviews scored by version 3 (30%) | 500 reviews/s | ETA 0m 14s"
    assert progress_line("b", 1, done=0, total=0, scored_this_run=0, seconds=0.0).endswith("ETA unknown")
