"""The landing zone: project config, change detection by content hash, the sensor, and ingesting a
directory of mixed files through the raw_reviews asset."""

import gzip
import json
import shutil

import dagster as dg
import pytest
from dagster_aws.s3 import S3Resource
from landed_reviews import landing_zone
from source_files import CLOTHING_HEADER

from resources.environment import Profile
from resources.profiles import resources_for
from sentiment_assets.defs.ingest_analyze.landing_sensor import landing_zone_sensor
from sentiment_assets.defs.ingest_analyze.partitions import register_partitions
from sentiment_assets.defs.ingest_analyze.raw_reviews import raw_reviews
from sentiment_assets.operations.project_config import load_project_config
from sentiment_assets.sources.landing_zone import LandedFile, landed_file_for_key, scan_landing_zone

CLOTHING = (
    CLOTHING_HEADER
    + "0,1,30,t,Lovely soft knit,5,1,0,General,Tops,Knits\n1,2,41,t,Too short,2,0,0,General,Dresses,Dresses\n"
)
AMAZON = (
    "marketplace\tcustomer_id\treview_id\tproduct_id\tproduct_parent\tproduct_title\tproduct_category\tstar_rating\t"
    "helpful_votes\ttotal_votes\tvine\tverified_purchase\treview_headline\treview_body\treview_date\n"
    "US\t1\tR1\tP1\t9\tShoe\tShoes\t4\t0\t0\tN\tY\tGood\tComfortable all day\t2015-08-31\n"
    "US\t2\tR2\tP2\t9\tShoe\tShoes\tfive\t0\t0\tN\tY\tBad stars\tNice but odd rating\t2015-08-31\n"
)


@pytest.fixture()
def landing(tmp_path, monkeypatch):
    return landing_zone(tmp_path, monkeypatch, preset="auto", chunk_rows=1)


def test_the_project_config_names_the_landing_directory_and_refuses_a_location(tmp_path, landing):
    project = load_project_config()
    assert project.landing_directory == landing
    assert project.raw_reviews_run_config("X") == {
        "ops": {"raw_reviews": {"config": {"preset": "auto", "chunk_rows": 1, "location": "X"}}}
    }
    bad = tmp_path / "bad.yaml"
    bad.write_text("landing_zone: {directory: x}\ningest: {location: y}\n")
    with pytest.raises(ValueError, match="bad.yaml: ingest.location"):
        load_project_config(bad)


def test_scans_find_new_and_changed_files_and_ignore_renamed_copies(landing):
    (landing / "a.csv").write_text(CLOTHING)
    first = scan_landing_zone(str(landing), None)
    assert [p.rsplit("/", 1)[-1] for p in first.new_files] == ["a.csv"] and first.needs_ingest
    shutil.copy(landing / "a.csv", landing / "a_copy.csv")
    second = scan_landing_zone(str(landing), json.dumps(first.state))
    assert not second.needs_ingest and [p.rsplit("/", 1)[-1] for p in second.duplicate_content] == ["a_copy.csv"]
    (landing / "a.csv").write_text(CLOTHING + "2,3,50,t,Changed file,4,1,0,General,Tops,Knits\n")
    third = scan_landing_zone(str(landing), json.dumps(second.state))
    assert [p.rsplit("/", 1)[-1] for p in third.changed_files] == ["a.csv"] and not third.new_files


def _evaluate_sensor(cursor: str | None = None) -> dg.SensorResult | dg.SkipReason:
    result = landing_zone_sensor(dg.build_sensor_context(resources={"s3": S3Resource()}, cursor=cursor))
    assert isinstance(result, (dg.SensorResult, dg.SkipReason)), result
    return result


def _requesting(cursor: str | None = None) -> tuple[dg.SensorResult, list[dg.RunRequest]]:
    """An evaluation that requests runs: the result and its run requests."""
    result = _evaluate_sensor(cursor)
    assert isinstance(result, dg.SensorResult) and result.run_requests is not None, result
    return result, list(result.run_requests)


def test_the_sensor_makes_each_new_file_a_partition_and_re_ingests_only_a_changed_one(landing):
    assert isinstance(_evaluate_sensor(), dg.SkipReason)  # empty directory
    (landing / "a.csv").write_text(CLOTHING)
    (landing / "b.tsv").write_text(AMAZON)
    result, requests = _requesting()
    assert sorted((r.partition_key for r in requests), key=str) == ["a.csv", "b.tsv"]
    assert result.dynamic_partitions_requests is not None
    assert result.dynamic_partitions_requests[0].partition_keys == ["a.csv", "b.tsv"]
    request = next(r for r in requests if r.partition_key == "a.csv")
    assert request.run_config["ops"]["raw_reviews"]["config"]["location"] == str(landing / "a.csv")
    again = _evaluate_sensor(result.cursor)
    assert isinstance(again, dg.SkipReason) and "no new or changed files" in (again.skip_message or "")
    (landing / "a.csv").write_text(CLOTHING + "2,3,50,t,Changed file,4,1,0,General,Tops,Knits\n")
    later, later_requests = _requesting(result.cursor)
    assert [r.partition_key for r in later_requests] == ["a.csv"] and later_requests[0].run_key != request.run_key
    assert later.dynamic_partitions_requests == []  # the partition exists already


def test_files_in_role_folders_become_role_partitions_ingested_with_that_role(landing):
    (landing / "a.csv").write_text(CLOTHING)
    for role in ("score", "holdout"):
        (landing / role).mkdir()
    (landing / "score" / "a.csv").write_text(CLOTHING.replace("Lovely", "Unlabelled copy, lovely"))
    (landing / "holdout" / "kept.tsv").write_text(AMAZON)
    (landing / "archive").mkdir()  # not a role: not watched
    (landing / "archive" / "old.csv").write_text(CLOTHING.replace("Too short", "Old"))
    _, requests = _requesting()
    roles = {r.partition_key: r.run_config["ops"]["raw_reviews"]["config"]["role"] for r in requests}
    assert roles == {"a.csv": "train", "score/a.csv": "score", "holdout/kept.tsv": "holdout"}
    assert {r.partition_key: r.tags["sentiment/source_role"] for r in requests} == roles
    # A backfill (or dg launch) of a role partition finds the same file with the same role.
    from sentiment_assets.definitions import defs

    job_config = defs.resolve_job_def("ingest_job").partitioned_config
    assert job_config is not None
    for request in requests:
        assert request.partition_key is not None
        assert job_config.get_run_config_for_partition_key(request.partition_key) == request.run_config


def test_a_partition_key_becomes_a_landed_path_only_in_the_shape_the_landing_zone_makes():
    assert landed_file_for_key("/landing", "score/june.csv", "train") == LandedFile(
        "score/june.csv", "score", "/landing/score/june.csv"
    )
    assert landed_file_for_key("s3://b/in/", "june.csv", "holdout").location == "s3://b/in/june.csv"
    for key in ("../etc/passwd", "score/../../x.csv", "archive/old.csv", "score/..", "a b.csv", "*.csv", ""):
        with pytest.raises(ValueError, match="names no landed file"):
            landed_file_for_key("/landing", key, "train")
    with pytest.raises(ValueError, match="unknown source role"):
        landed_file_for_key("/landing", "x.csv", "training")


def test_the_project_config_refuses_an_unknown_default_role(tmp_path):
    config = tmp_path / "bad_role.yaml"
    config.write_text("landing_zone: {directory: x}\ningest: {role: scoring}\n")
    with pytest.raises(ValueError, match="bad_role.yaml: ingest.role: unknown source role 'scoring'"):
        load_project_config(config)


def test_a_mixed_landing_directory_ingests_every_readable_file_and_names_the_broken_one(tmp_path, landing):
    (landing / "clothing.csv").write_text(CLOTHING)
    (landing / "amazon.tsv").write_text(AMAZON)
    (landing / "broken.csv.gz").write_bytes(gzip.compress(CLOTHING.encode())[:40])  # truncated gzip
    resources = resources_for(Profile.LOCAL, home=tmp_path / "home")
    instance = dg.DagsterInstance.ephemeral()
    register_partitions(instance, ["landing"])
    result = dg.materialize(
        [raw_reviews],
        resources=resources,
        instance=instance,
        partition_key="landing",
        run_config=load_project_config().raw_reviews_run_config(str(landing)),
    )
    assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["accepted_plus_rejected_equals_rows_read"].passed
    assert not checks["every_source_file_read"].passed
    assert "broken.csv.gz" in json.dumps(checks["every_source_file_read"].metadata["failed_files"].value)
    assert all(c.passed for name, c in checks.items() if name.startswith("gx_"))
    warehouse = resources["warehouse"]
    accepted = warehouse.query("SELECT review_id, sentiment FROM raw_reviews ORDER BY review_id")
    assert accepted["review_id"].tolist() == ["0", "1", "R1"] and accepted["sentiment"].tolist() == [1, -1, 1]
    rejected = warehouse.query("SELECT source_file, source_row, reason FROM rejected_reviews")
    assert (
        len(rejected) == 1
        and rejected["source_file"].iloc[0].endswith("amazon.tsv")
        and rejected["source_row"].iloc[0] == 2
    )
    assert "star_rating" in rejected["reason"].iloc[0]


def test_partitions_replace_only_their_own_rows_and_catch_duplicates_across_files(tmp_path):
    (tmp_path / "one.csv").write_text(CLOTHING)
    (tmp_path / "two.csv").write_text(CLOTHING.replace("\n0,1,30", "\n7,1,30"))  # ids 7 (new) and 1 (taken)
    resources = resources_for(Profile.LOCAL, home=tmp_path / "home")
    instance = dg.DagsterInstance.ephemeral()
    register_partitions(instance, ["one.csv", "two.csv"])

    def ingest(key):
        config = {"ops": {"raw_reviews": {"config": {"location": str(tmp_path / key)}}}}
        assert dg.materialize(
            [raw_reviews], resources=resources, instance=instance, partition_key=key, run_config=config
        ).success

    ingest("one.csv")
    ingest("two.csv")
    ingest("one.csv")  # re-ingesting a file replaces its rows, it does not add them again
    warehouse = resources["warehouse"]
    rows = warehouse.query("SELECT source_partition, review_id FROM raw_reviews ORDER BY 1, 2")
    assert rows.values.tolist() == [["one.csv", "0"], ["one.csv", "1"], ["two.csv", "7"]]
    rejected = warehouse.query("SELECT source_partition, reason FROM rejected_reviews")
    assert rejected.values.tolist() == [["two.csv", rejected["reason"].iloc[0]]]
    assert (
        "duplicate review_id already ingested from" in rejected["reason"].iloc[0]
        and "one.csv" in rejected["reason"].iloc[0]
    )


def test_a_landed_partition_without_a_location_reads_its_file_with_the_folder_role_and_the_project_settings(landing):
    from sentiment_assets.defs.ingest_analyze.raw_reviews import RawReviewsConfig

    resolved = RawReviewsConfig().for_partition("score/june.csv")
    assert (resolved.location, resolved.role, resolved.chunk_rows) == (str(landing / "score" / "june.csv"), "score", 1)
    assert RawReviewsConfig(chunk_rows=7).for_partition("june.csv").chunk_rows == 7  # run config wins
    assert RawReviewsConfig(location="/data/x.csv").for_partition("holdout/x.csv").role == "holdout"
    with pytest.raises(dg.Failure, match="in the 'score' landing folder but its run config says role 'train'"):
        RawReviewsConfig(location="/data/x.csv", role="train").for_partition("score/x.csv")
    with pytest.raises(dg.Failure, match="role 'scoring' is not one of"):
        RawReviewsConfig(role="scoring").for_partition("x.csv")
