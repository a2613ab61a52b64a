"""Reading reviews from S3 with the real boto3 client code, against moto's S3 server on loopback."""

from datetime import UTC

import dagster as dg
import pytest
from dagster_aws.s3 import S3Resource
from loopback_aws import fresh_bucket
from source_files import CLOTHING_HEADER

from resources.environment import Profile
from resources.profiles import resources_for
from sentiment_assets.defs.ingest_analyze.partitions import register_partitions
from sentiment_assets.defs.ingest_analyze.raw_reviews import raw_reviews
from sentiment_assets.sources import SourceSpec, gather, read_reviews
from sentiment_assets.sources.landing_zone import scan_landing_zone

CLOTHING = (
    CLOTHING_HEADER
    + "0,1,30,t,Lovely soft knit,5,1,0,General,Tops,Knits\n1,2,41,t,Too short,2,0,0,General,Dresses,Dresses\n"
    "2,2,41,t,No stars,0,0,0,General,Dresses,Dresses\n"
)


@pytest.fixture()
def s3(aws):
    """Dagster's S3 resource on the loopback server, and a bucket holding a review file and a note."""
    resource = S3Resource(endpoint_url=aws, region_name="us-east-1")
    client = resource.get_client()
    with fresh_bucket(client, "reviews"):
        client.put_object(Bucket="reviews", Key="landing/2026-11/clothing.csv", Body=CLOTHING.encode())
        client.put_object(Bucket="reviews", Key="landing/2026-11/notes.txt", Body=b"not reviews")
        yield resource


def test_an_s3_prefix_is_listed_and_read_through_boto3(s3):
    from datetime import datetime

    results = gather(
        read_reviews("s3://reviews/landing/2026-11/", SourceSpec(), datetime.now(UTC), s3_client=s3.get_client())
    )
    [(uri, result)] = results.items()
    assert uri == "s3://reviews/landing/2026-11/clothing.csv"
    assert result.accepted["review_id"].tolist() == ["0", "1"]
    assert result.rejected["source_row"].tolist() == [3] and result.summary.rows_read == 3


def test_the_landing_scan_sees_a_changed_s3_object(s3):
    client = s3.get_client()
    first = scan_landing_zone("s3://reviews/landing/2026-11/", None, client)
    assert first.new_files == ["s3://reviews/landing/2026-11/clothing.csv"]
    client.put_object(
        Bucket="reviews",
        Key="landing/2026-11/clothing.csv",
        Body=(CLOTHING + "3,1,30,t,More,4,1,0,General,Tops,Knits\n").encode(),
    )
    import json

    assert (
        scan_landing_zone("s3://reviews/landing/2026-11/", json.dumps(first.state), client).changed_files
        == first.new_files
    )


def test_the_raw_reviews_asset_ingests_an_s3_object_through_the_s3_resource(s3, tmp_path):
    resources = {**resources_for(Profile.LOCAL, home=tmp_path), "s3": s3}
    instance = dg.DagsterInstance.ephemeral()
    register_partitions(instance, ["clothing.csv"])
    result = dg.materialize(
        [raw_reviews],
        resources=resources,
        instance=instance,
        partition_key="clothing.csv",
        run_config={"ops": {"raw_reviews": {"config": {"location": "s3://reviews/landing/2026-11/clothing.csv"}}}},
    )
    assert result.success
    rows = resources["warehouse"].query("SELECT review_id, source_file FROM raw_reviews ORDER BY review_id")
    assert rows["review_id"].tolist() == ["0", "1"]
    assert set(rows["source_file"]) == {"s3://reviews/landing/2026-11/clothing.csv"}
