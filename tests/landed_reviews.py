"""Landed review files for the partition tests: a Kaggle-layout file from {id: text}, and an
ingest of one partition that does not raise (the tests read its result)."""

import dagster as dg

from sentiment_assets.defs.ingest_analyze.raw_reviews import raw_reviews

HEADER = ",Clothing ID,Age,Title,Review Text,Rating,Recommended IND,Positive Feedback Count,Division Name,Department Name,Class Name\n"


def clothing_csv(reviews: dict[int, str]) -> str:
    """A Kaggle-layout file: review id -> text, every review five stars."""
    return HEADER + "".join(f"{i},1,30,t,{text},5,1,0,General,Tops,Knits\n" for i, text in reviews.items())


def ingest(resources, instance, key: str, location: str | None = None) -> dg.ExecuteInProcessResult:
    config = {"location": location} if location else {}
    return dg.materialize(
        [raw_reviews],
        resources=resources,
        instance=instance,
        partition_key=key,
        run_config={"ops": {"raw_reviews": {"config": config}}},
        raise_on_error=False,
    )
