"""Helpers of the S3 warehouse tests (not a test module): the warehouse's S3 and Glue clients,
the object keys of a table, a recorder of S3 calls, and small review frames to write."""

import pandas as pd


def s3(aws_warehouse):
    return aws_warehouse.table_store().s3


def glue(aws_warehouse):
    return aws_warehouse.table_store().glue


def keys(aws_warehouse, table: str) -> list[str]:
    return sorted(
        item["Key"]
        for item in s3(aws_warehouse)
        .list_objects_v2(Bucket=aws_warehouse.bucket, Prefix=f"warehouse/{table}/")
        .get("Contents", [])
    )


def record_calls(client, operation: str) -> list[str]:
    """The keys of every `operation` call (PutObject, GetObject, DeleteObjects) from now on."""
    seen = []

    def record(params, **_):
        seen.extend([params["Key"]] if "Key" in params else [o["Key"] for o in params["Delete"]["Objects"]])

    client.meta.events.register(f"before-parameter-build.s3.{operation}", record)
    return seen


def reviews(partition: str, n: int, start: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "review_id": [f"{partition}-{i}" for i in range(start, start + n)],
            "review_body": [f"text {partition} {i}" for i in range(start, start + n)],
            "source_partition": partition,
        }
    )


def scorable(frame: pd.DataFrame) -> pd.DataFrame:
    """Reviews as raw_reviews holds them for scoring: with the normalised text beside the text as read."""
    return frame.assign(review_body_normalised=frame["review_body"])
