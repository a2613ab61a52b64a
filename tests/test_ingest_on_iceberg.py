"""Ingesting landed files (the raw_reviews asset) into the aws profile's Iceberg tables (moto's
S3 and Glue on loopback): each file is a partition of its own, a re-ingest replaces only its
partition, a review id another partition holds is quarantined naming it, and accepted + rejected
= rows read."""

import dagster as dg
import pytest
from landed_reviews import clothing_csv, ingest

from resources.environment import Profile
from resources.profiles import resources_for
from sentiment_assets.defs.ingest_analyze.partitions import register_partitions

pytestmark = pytest.mark.filterwarnings("ignore:Delete operation did not match any records")


@pytest.fixture()
def landed(tmp_path, iceberg_warehouse):
    resources = {**resources_for(Profile.LOCAL, home=tmp_path / "home"), "warehouse": iceberg_warehouse}
    instance = dg.DagsterInstance.ephemeral()
    register_partitions(instance, ["shop.csv", "other.csv"])
    return resources, instance, tmp_path


def ids(warehouse, partition: str, table: str = "raw_reviews") -> list[str]:
    return sorted(warehouse.read_table(table, ["review_id"], where={"source_partition": partition})["review_id"])


def test_two_files_land_as_two_partitions_and_a_reingest_replaces_only_its_own(landed, iceberg_warehouse):
    resources, instance, tmp_path = landed
    shop, other = tmp_path / "shop.csv", tmp_path / "other.csv"
    shop.write_text(clothing_csv({0: "Lovely soft knit", 1: "Great fit", 2: "Nice colour"}))
    other.write_text(clothing_csv({10: "Runs small", 2: "The same id as a review of shop.csv"}))

    assert ingest(resources, instance, "shop.csv", str(shop)).success
    assert ingest(resources, instance, "other.csv", str(other)).success
    shop.write_text(clothing_csv({0: "Absolutely awful", 1: "Great fit"}))
    assert ingest(resources, instance, "shop.csv", str(shop)).success

    assert ids(iceberg_warehouse, "shop.csv") == ["0", "1"]
    assert ids(iceberg_warehouse, "other.csv") == ["10"]
    quarantined = iceberg_warehouse.read_table("rejected_reviews", where={"source_partition": "other.csv"})
    assert len(quarantined) == 1 and "shop.csv" in quarantined["reason"].iloc[0]
    texts = iceberg_warehouse.read_table("raw_reviews", ["review_id", "review_body"], where={"review_id": "0"})
    assert texts["review_body"].tolist() == ["Absolutely awful"]
    store = iceberg_warehouse.table_store()
    assert all(
        "/source_partition=shop.csv/" in path
        for path in store.data_files_read("raw_reviews", {"source_partition": "shop.csv"})
    )
    assert not [name for name in store.catalog.list_tables(store.database) if "__stage_" in name[-1]]


def test_a_file_that_cannot_be_read_changes_nothing(landed, iceberg_warehouse):
    resources, instance, tmp_path = landed
    shop = tmp_path / "shop.csv"
    shop.write_text(clothing_csv({0: "Lovely soft knit"}))
    assert ingest(resources, instance, "shop.csv", str(shop)).success
    shop.write_bytes(b"\x00\x01 not a csv \xff")

    failed = ingest(resources, instance, "shop.csv", str(shop))

    assert not failed.success
    error = failed.get_step_failure_events()[0].step_failure_data.error
    assert error is not None and "no file at the location could be read" in error.message

    assert ids(iceberg_warehouse, "shop.csv") == ["0"]
