"""Partition keys stand for exactly one landed file, and a review is held by one partition
(predictions and re-ingested text: tests/test_stale_predictions.py).

New APIs are imported inside the tests that need them, so that each test fails on its own."""

import shutil

import dagster as dg
import pytest
from dagster_aws.s3 import S3Resource
from landed_reviews import clothing_csv, ingest, landing_zone

from resources.environment import Profile
from resources.profiles import resources_for
from sentiment_assets.defs.ingest_analyze.landing_sensor import landing_zone_sensor
from sentiment_assets.defs.ingest_analyze.partitions import register_partitions, review_files
from sentiment_assets.defs.ingest_analyze.raw_reviews import RawReviewsConfig
from sentiment_assets.defs.jobs import landed_file_run_config
from sentiment_assets.sources import expand_location
from sentiment_assets.sources.landing_zone import landed_file_for_key

PATH_LIKE_KEYS = ["../probe/f/crlf.csv", "*", "", "../../etc/passwd", "a,b.csv", "reviews[1].csv", "score/../x.csv"]


@pytest.fixture()
def landing(tmp_path, monkeypatch):
    return landing_zone(tmp_path, monkeypatch, chunk_rows=2)


def tick(cursor=None) -> tuple[dg.SensorResult | dg.SkipReason, str | None]:
    """One evaluation of the landing sensor: its result and the cursor it left."""
    context = dg.build_sensor_context(resources={"s3": S3Resource()}, cursor=cursor)
    result = landing_zone_sensor(context)
    assert isinstance(result, dg.SensorResult | dg.SkipReason)
    return result, result.cursor if isinstance(result, dg.SensorResult) else context.cursor


def run_requests(result: dg.SensorResult | dg.SkipReason) -> list[dg.RunRequest]:
    """The runs a tick requested: it must be a SensorResult that requested some."""
    assert isinstance(result, dg.SensorResult) and result.run_requests is not None
    return list(result.run_requests)


def skip_message(result: dg.SensorResult | dg.SkipReason) -> str:
    """Why a tick skipped: it must be a SkipReason with a message."""
    assert isinstance(result, dg.SkipReason) and result.skip_message is not None
    return result.skip_message


def review_files_name() -> str:
    """The name of the dynamic partitions definition of the landed files."""
    assert review_files.name is not None
    return review_files.name


def read_paths(location: str) -> list[str]:
    """The files the reader would read for a run config's location."""
    return [source.uri for source in expand_location(location)]


# --- 1. one file, one partition -------------------------------------------------------------


def test_files_whose_names_would_be_mangled_onto_one_key_are_refused_by_name_not_merged(landing):
    (landing / "review 1.csv").write_text(clothing_csv({1: "Space in the name"}))
    (landing / "review;1.csv").write_text(clothing_csv({2: "Semicolon in the name"}))
    (landing / "review_1.csv").write_text(clothing_csv({3: "A plain name"}))

    first, cursor = tick()

    keys = [r.partition_key for r in run_requests(first)]
    assert isinstance(first, dg.SensorResult) and first.dynamic_partitions_requests is not None
    assert keys == ["review_1.csv"] and first.dynamic_partitions_requests[0].partition_keys == ["review_1.csv"]
    [request] = run_requests(first)
    assert read_paths(request.run_config["ops"]["raw_reviews"]["config"]["location"]) == [str(landing / "review_1.csv")]
    # Nothing new next time, and the skip reason still names each refused file and why.
    again, _ = tick(cursor)
    message = skip_message(again)
    assert "2 file(s) refused" in message
    assert "'review 1.csv' cannot be a partition key" in message
    assert "'review;1.csv' cannot be a partition key" in message


def test_a_refused_file_renamed_to_a_valid_key_is_ingested_as_a_new_file(landing):
    (landing / "review 1.csv").write_text(clothing_csv({1: "Space in the name"}))
    first, cursor = tick()
    assert "review 1.csv" in skip_message(first)

    shutil.move(landing / "review 1.csv", landing / "review-1.csv")
    renamed, _ = tick(cursor)

    # The refused file's bytes were never recorded, so the renamed file is no "copy" of it.
    assert [r.partition_key for r in run_requests(renamed)] == ["review-1.csv"]


# --- 2. one review, one partition ----------------------------------------------------------


def test_the_same_file_under_a_second_partition_is_quarantined_naming_the_first(tmp_path):
    source = tmp_path / "export.csv"
    source.write_text(clothing_csv({i: f"Review number {i}" for i in range(30)}))
    resources = resources_for(Profile.LOCAL, home=tmp_path / "home")
    instance = dg.DagsterInstance.ephemeral()
    register_partitions(instance, ["first.csv", "second.csv"])

    assert ingest(resources, instance, "first.csv", str(source)).success
    second = ingest(resources, instance, "second.csv", str(source))

    # Every row is quarantined, so the second partition is empty and its blocking check stops
    # anything downstream; the rows still add up, and nothing was double-counted.
    checks = {c.check_name: c.passed for c in second.get_asset_check_evaluations()}
    assert checks["accepted_plus_rejected_equals_rows_read"] and not checks["gx_at_least_one_row"]
    [materialization] = second.get_asset_materialization_events()
    assert materialization.materialization.metadata["rows_held_by_other_partitions"].value == {"first.csv": 30}
    warehouse = resources["warehouse"]
    accepted = warehouse.query(
        "SELECT source_partition, count(*) AS n, count(DISTINCT review_id) AS ids FROM raw_reviews GROUP BY 1"
    )
    assert accepted.values.tolist() == [["first.csv", 30, 30]]
    rejected = warehouse.query("SELECT source_partition, reason FROM rejected_reviews")
    assert len(rejected) == 30 and set(rejected["source_partition"]) == {"second.csv"}
    assert all(f"already ingested from partition 'first.csv' ({source})" in r for r in rejected["reason"])
    # Re-ingesting the first partition keeps its rows: the second one holds none of them.
    assert ingest(resources, instance, "first.csv", str(source)).success
    assert warehouse.query("SELECT count(*) AS n FROM raw_reviews")["n"].iloc[0] == 30


def test_a_file_overlapping_another_partition_keeps_only_its_new_reviews(tmp_path):
    (tmp_path / "march.csv").write_text(clothing_csv({i: f"March review {i}" for i in range(20)}))
    (tmp_path / "march_and_april.csv").write_text(clothing_csv({i: f"March review {i}" for i in range(30)}))
    resources = resources_for(Profile.LOCAL, home=tmp_path / "home")
    instance = dg.DagsterInstance.ephemeral()
    register_partitions(instance, ["march.csv", "march_and_april.csv"])

    for key in ("march.csv", "march_and_april.csv"):
        assert ingest(resources, instance, key, str(tmp_path / key)).success

    counts = (
        resources["warehouse"]
        .query("SELECT source_partition, count(*) AS n FROM raw_reviews GROUP BY 1 ORDER BY 1")
        .values.tolist()
    )
    assert counts == [["march.csv", 20], ["march_and_april.csv", 10]]
    assert (
        resources["warehouse"].query("SELECT count(*) - count(DISTINCT review_id) AS d FROM raw_reviews")["d"].iloc[0]
        == 0
    )


# --- 4. a key is a name, never a path or a pattern ----------------------------------------------


@pytest.mark.parametrize("key", PATH_LIKE_KEYS)
def test_a_partition_key_that_is_a_path_a_pattern_or_a_list_names_no_landed_file(landing, key):
    with pytest.raises(ValueError, match="names no landed file"):
        landed_file_for_key(str(landing), key, "train")
    with pytest.raises(ValueError, match="names no landed file"):
        RawReviewsConfig().for_partition(key)
    with pytest.raises(ValueError, match="names no landed file"):
        landed_file_run_config(key)


@pytest.mark.parametrize("key", ["../probe/f/crlf.csv", "*"])
def test_ingesting_a_path_like_partition_reads_nothing_outside_or_beyond_its_file(tmp_path, landing, key):
    (tmp_path / "probe" / "f").mkdir(parents=True)
    (tmp_path / "probe" / "f" / "crlf.csv").write_text(clothing_csv({7: "Outside the landing directory"}))
    (landing / "a.csv").write_text(clothing_csv({1: "First landed file"}))
    (landing / "b.csv").write_text(clothing_csv({2: "Second landed file"}))
    resources = resources_for(Profile.LOCAL, home=tmp_path / "home")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(review_files_name(), [key])  # as if added by hand, bypassing the checks

    result = ingest(resources, instance, key)

    assert not result.success
    assert not resources["warehouse"].table_exists("raw_reviews")


@pytest.mark.parametrize("key", ["", "../../etc/passwd", "a,b.csv", "*", "reviews[1].csv"])
def test_register_partitions_refuses_a_key_the_landing_zone_would_refuse_and_registers_nothing(key):
    instance = dg.DagsterInstance.ephemeral()
    with pytest.raises(ValueError, match="refused"):
        register_partitions(instance, ["fine.csv", key])
    assert instance.get_dynamic_partitions(review_files_name()) == []
    register_partitions(instance, ["fine.csv", "score/june.csv", "bundled"])
    assert instance.get_dynamic_partitions(review_files_name()) == ["fine.csv", "score/june.csv", "bundled"]


def test_the_register_partition_command_refuses_bad_keys_before_touching_the_instance(monkeypatch, capsys):
    from sentiment_assets.operations import register_partition

    def no_instance():
        raise AssertionError("the instance was opened for a refused key")

    monkeypatch.setattr(dg.DagsterInstance, "get", staticmethod(no_instance))
    assert register_partition.main(["ok.csv", "../../etc/passwd", "a,b.csv"]) == 2
    error = capsys.readouterr().err
    assert "nothing registered" in error and "'../../etc/passwd'" in error and "'a,b.csv'" in error


def test_a_landed_file_named_like_a_glob_is_refused_and_its_look_alike_is_read_as_itself(landing):
    (landing / "reviews[1].csv").write_text(clothing_csv({1: "Brackets in the name"}))
    (landing / "reviews1.csv").write_text(clothing_csv({2: "The look-alike"}))

    result, cursor = tick()

    [request] = run_requests(result)
    assert request.partition_key == "reviews1.csv"
    assert read_paths(request.run_config["ops"]["raw_reviews"]["config"]["location"]) == [str(landing / "reviews1.csv")]
    assert "'reviews[1].csv' cannot be a partition key" in skip_message(tick(cursor)[0])


def test_a_landing_directory_named_with_glob_characters_is_read_literally(tmp_path, monkeypatch):
    landing, look_alike = tmp_path / "in[1]", tmp_path / "in1"
    for directory, text in ((landing, "The landed review"), (look_alike, "Not in the landing directory")):
        (directory / "score").mkdir(parents=True)
        (directory / "a.csv").write_text(clothing_csv({1: text}))
        (directory / "score" / "b.csv").write_text(clothing_csv({2: text}))
    config = tmp_path / "sentiment.yaml"
    config.write_text(f"landing_zone:\n  directory: {landing}\n")
    monkeypatch.setenv("SENTIMENT_CONFIG", str(config))

    result, _ = tick()

    locations = {
        r.partition_key: r.run_config["ops"]["raw_reviews"]["config"]["location"] for r in run_requests(result)
    }
    assert {key: read_paths(location) for key, location in locations.items()} == {
        "a.csv": [str(landing / "a.csv")],
        "score/b.csv": [str(landing / "score" / "b.csv")],
    }
    for key, location in locations.items():  # a backfill reads the same file the sensor did
        assert key is not None
        assert landed_file_run_config(key)["ops"]["raw_reviews"]["config"]["location"] == location
        assert RawReviewsConfig().for_partition(key).location == location
