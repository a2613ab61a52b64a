"""Provenance of raw partitions: ingesting a partition records, in `source_files`, one row per file
read whole -- its sha256 (of the bytes as stored), size, ingestion time, role and row counts --
replaced with the partition's reviews; hashing streams in blocks, from local files and S3 alike."""

import gzip
import hashlib
import io
from datetime import UTC, datetime

import dagster as dg
import pandas as pd
import pytest
from dagster_aws.s3 import S3Resource
from landed_reviews import clothing_csv, ingest
from loopback_aws import fresh_bucket

from resources.environment import Profile
from resources.profiles import resources_for
from sentiment_assets.defs.ingest_analyze.partitions import register_partitions
from sentiment_assets.sources import locations
from sentiment_assets.sources.provenance import SOURCE_FILE_COLUMNS, file_sha256, partition_files

pytestmark = pytest.mark.filterwarnings("ignore:Delete operation did not match any records")

SHOP = {0: "Lovely soft knit", 1: "Great fit", 2: "Nice colour"}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def local(tmp_path, *keys: str, warehouse=None):
    """Resources of the local profile (its DuckDB warehouse unless `warehouse`), and an instance
    with `keys` registered as raw_reviews partitions."""
    resources = resources_for(Profile.LOCAL, home=tmp_path / "home")
    if warehouse is not None:
        resources = {**resources, "warehouse": warehouse}
    instance = dg.DagsterInstance.ephemeral()
    register_partitions(instance, list(keys))
    return resources, instance


def counts(warehouse, table: str, source_file: str) -> int:
    return len(warehouse.read_table(table, ["source_file"], where={"source_file": source_file}))


def test_ingesting_a_file_records_its_hash_size_time_role_and_counts_and_a_reingest_replaces_only_its_row(
    tmp_path, any_warehouse
):
    resources, instance = local(tmp_path, "shop.csv", "other.csv", warehouse=any_warehouse)
    shop, other = tmp_path / "shop.csv", tmp_path / "other.csv"
    shop.write_text(clothing_csv(SHOP) + "3,1,30,t,,5,1,0,General,Tops,Knits\n")  # no text: rejected
    other.write_text(clothing_csv({10: "Runs small"}))
    before = pd.Timestamp(datetime.now(UTC)).tz_localize(None)
    assert ingest(resources, instance, "shop.csv", str(shop)).success
    assert ingest(resources, instance, "other.csv", str(other)).success

    [row] = partition_files(any_warehouse, "shop.csv").to_dict("records")
    assert row["source_file"] == str(shop) and row["source_partition"] == "shop.csv"
    assert row["sha256"] == sha256(shop.read_bytes()) and row["size_bytes"] == len(shop.read_bytes())
    assert row["source_role"] == "train"
    assert before <= row["ingested_at"] <= pd.Timestamp(datetime.now(UTC)).tz_localize(None)
    assert (row["rows_read"], row["accepted"], row["rejected"]) == (4, 3, 1)
    assert row["accepted"] == counts(any_warehouse, "raw_reviews", str(shop))
    assert row["rejected"] == counts(any_warehouse, "rejected_reviews", str(shop))
    assert list(any_warehouse.table_columns("source_files")) == list(SOURCE_FILE_COLUMNS)
    other_before = partition_files(any_warehouse, "other.csv")

    shop.write_text(clothing_csv({0: "Absolutely awful"}))
    result = ingest(resources, instance, "shop.csv", str(shop))

    assert result.success
    [row] = partition_files(any_warehouse, "shop.csv").to_dict("records")
    assert row["sha256"] == sha256(shop.read_bytes()) and (row["rows_read"], row["accepted"]) == (1, 1)
    pd.testing.assert_frame_equal(partition_files(any_warehouse, "other.csv"), other_before)
    [materialization] = result.get_asset_materialization_events()
    assert row["sha256"] in str(materialization.materialization.metadata["source_files"].value)


def test_the_source_files_columns_have_the_types_other_code_reads(tmp_path):
    resources, instance = local(tmp_path, "shop.csv")
    (tmp_path / "shop.csv").write_text(clothing_csv(SHOP))
    assert ingest(resources, instance, "shop.csv", str(tmp_path / "shop.csv")).success

    types = resources["warehouse"].query(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'source_files'"
    )
    assert dict(zip(types["column_name"], types["data_type"], strict=True)) == {
        "source_partition": "VARCHAR",
        "source_file": "VARCHAR",
        "sha256": "VARCHAR",
        "size_bytes": "BIGINT",
        "ingested_at": "TIMESTAMP",  # microseconds, naive UTC
        "source_role": "VARCHAR",
        "rows_read": "BIGINT",
        "accepted": "BIGINT",
        "rejected": "BIGINT",
    }


def test_a_directory_gives_one_row_per_file_read_and_none_for_a_file_that_failed(tmp_path):
    resources, instance = local(tmp_path, "batch")
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "a.csv").write_text(clothing_csv(SHOP))
    (folder / "b.csv").write_text(clothing_csv({10: "Runs small"}))
    (folder / "c.csv").write_bytes(b"\x00\x01 not a csv \xff")

    result = ingest(resources, instance, "batch", str(folder))

    assert result.success
    files = partition_files(resources["warehouse"], "batch")
    assert files["source_file"].tolist() == [str(folder / "a.csv"), str(folder / "b.csv")]
    assert files["sha256"].tolist() == [sha256((folder / n).read_bytes()) for n in ("a.csv", "b.csv")]
    assert files["accepted"].tolist() == [3, 1]
    # What raw_reviews holds is exactly what source_files accounts for.
    assert files["accepted"].sum() == len(resources["warehouse"].read_table("raw_reviews"))


def test_a_gzip_file_is_hashed_as_its_compressed_bytes(tmp_path):
    resources, instance = local(tmp_path, "shop.csv.gz")
    text = clothing_csv(SHOP).encode()
    packed = tmp_path / "shop.csv.gz"
    packed.write_bytes(gzip.compress(text))

    assert ingest(resources, instance, "shop.csv.gz", str(packed)).success

    [row] = partition_files(resources["warehouse"], "shop.csv.gz").to_dict("records")
    assert row["sha256"] == sha256(packed.read_bytes()) != sha256(text)
    assert row["size_bytes"] == packed.stat().st_size and row["accepted"] == 3
    assert file_sha256(str(packed)) == (row["sha256"], row["size_bytes"])


def test_a_partition_never_ingested_has_no_source_files(tmp_path):
    resources, _ = local(tmp_path)
    files = partition_files(resources["warehouse"], "nothing.csv")
    assert files.empty and list(files.columns) == list(SOURCE_FILE_COLUMNS)


class CountingBody(io.BytesIO):
    """An S3 object's body that remembers the largest read asked of it."""

    largest = 0

    def read(self, size: int | None = -1) -> bytes:
        CountingBody.largest = max(CountingBody.largest, size if size is not None and size >= 0 else 1 << 62)
        return super().read(size)


class OneObjectClient:
    def __init__(self, data: bytes):
        self.data = data

    def get_object(self, Bucket: str, Key: str) -> dict:  # noqa: N803 - boto3's names
        return {"Body": CountingBody(self.data)}


def test_hashing_streams_in_blocks_and_a_file_larger_than_a_block_hashes_right(tmp_path, monkeypatch):
    monkeypatch.setattr(locations, "BLOCK_BYTES", 64)
    data = clothing_csv({i: f"Review number {i}" for i in range(200)}).encode()
    assert len(data) > 50 * 64

    assert file_sha256("s3://bucket/reviews.csv", OneObjectClient(data)) == (sha256(data), len(data))
    assert CountingBody.largest == 64
    (tmp_path / "big.csv").write_bytes(data)
    assert file_sha256(str(tmp_path / "big.csv")) == (sha256(data), len(data))
    # The ingest path hashes with the same block size.
    resources, instance = local(tmp_path, "big.csv")
    assert ingest(resources, instance, "big.csv", str(tmp_path / "big.csv")).success
    assert partition_files(resources["warehouse"], "big.csv")["sha256"].tolist() == [sha256(data)]


def test_an_s3_object_is_hashed_from_its_bytes_through_the_s3_client(tmp_path, aws):
    s3 = S3Resource(endpoint_url=aws, region_name="us-east-1")
    client = s3.get_client()
    data = clothing_csv(SHOP).encode()
    uri = "s3://reviews/landing/shop.csv"
    with fresh_bucket(client, "reviews"):
        client.put_object(Bucket="reviews", Key="landing/shop.csv", Body=data)
        resources, instance = local(tmp_path, "shop.csv")

        assert ingest({**resources, "s3": s3}, instance, "shop.csv", uri).success

        [row] = partition_files(resources["warehouse"], "shop.csv").to_dict("records")
        assert row["source_file"] == uri and row["accepted"] == 3
        assert (row["sha256"], row["size_bytes"]) == (sha256(data), len(data)) == file_sha256(uri, client)


def test_a_multipart_s3_object_is_hashed_from_its_bytes_not_its_etag(aws):
    client = S3Resource(endpoint_url=aws, region_name="us-east-1").get_client()
    parts = [b"a" * (5 << 20), b"tail of the object"]  # every part but the last at least 5 MiB
    with fresh_bucket(client, "reviews"):
        upload = client.create_multipart_upload(Bucket="reviews", Key="big.csv")["UploadId"]
        etags = [
            client.upload_part(Bucket="reviews", Key="big.csv", UploadId=upload, PartNumber=n, Body=part)["ETag"]
            for n, part in enumerate(parts, start=1)
        ]
        client.complete_multipart_upload(
            Bucket="reviews",
            Key="big.csv",
            UploadId=upload,
            MultipartUpload={"Parts": [{"ETag": e, "PartNumber": n} for n, e in enumerate(etags, start=1)]},
        )
        etag = client.head_object(Bucket="reviews", Key="big.csv")["ETag"]

        digest, size = file_sha256("s3://reviews/big.csv", client)

    assert etag.strip('"').endswith("-2")  # a multipart ETag: no hash of the content
    assert (digest, size) == (sha256(b"".join(parts)), sum(map(len, parts)))


def test_a_local_file_rewritten_after_it_was_hashed_is_refused_by_name(tmp_path):
    shop = tmp_path / "shop.csv"
    shop.write_text(clothing_csv(SHOP))
    [listed] = locations.expand_location(str(shop))
    shop.write_text(clothing_csv({**SHOP, 3: "Rewritten in between"}))

    reading = locations.local_copy(listed)
    with pytest.raises(locations.SourceError, match=r"shop\.csv.*changed while it was read"), reading as path:
        path.read_bytes()


def test_ingesting_a_file_that_changes_after_listing_keeps_none_of_its_rows_and_records_no_hash(tmp_path, monkeypatch):
    from sentiment_assets.sources import reader

    resources, instance = local(tmp_path, "shop.csv")
    shop = tmp_path / "shop.csv"
    shop.write_text(clothing_csv(SHOP))
    listing = reader.expand_location

    def listed_then_rewritten(location, s3_client=None):
        files = listing(location, s3_client)
        shop.write_text(clothing_csv({**SHOP, 3: "Rewritten in between"}))
        return files

    monkeypatch.setattr(reader, "expand_location", listed_then_rewritten)
    result = ingest(resources, instance, "shop.csv", str(shop))

    assert not result.success  # the partition's only file failed: the run says so, naming it
    failure = str(result.get_step_failure_events()[0].step_failure_data.error)
    assert "shop.csv" in failure and "changed while it was read" in failure

    warehouse = resources["warehouse"]
    assert partition_files(warehouse, "shop.csv").empty
    assert not warehouse.table_exists("raw_reviews") or counts(warehouse, "raw_reviews", str(shop)) == 0
