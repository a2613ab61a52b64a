"""Landed review files for the partition and landing-zone tests: a landing zone with its project
config, a Kaggle-layout file from {id: text}, and an ingest of one partition that does not raise
(the tests read its result)."""

from pathlib import Path

import dagster as dg
from source_files import CLOTHING_HEADER

from sentiment_assets.defs.ingest_analyze.raw_reviews import raw_reviews


def landing_zone(tmp_path: Path, monkeypatch, **ingest) -> Path:
    """An empty landing directory, tmp_path/incoming, and a project config naming it (in
    SENTIMENT_CONFIG) with the `ingest:` settings given, e.g. chunk_rows=1."""
    directory = tmp_path / "incoming"
    directory.mkdir()
    settings = "".join(f"  {name}: {value}\n" for name, value in ingest.items())
    config = tmp_path / "sentiment.yaml"
    config.write_text(f"landing_zone:\n  directory: {directory}\ningest:\n{settings}")
    monkeypatch.setenv("SENTIMENT_CONFIG", str(config))
    return directory


def clothing_csv(reviews: dict[int, str]) -> str:
    """A Kaggle-layout file: review id -> text, every review five stars."""
    return CLOTHING_HEADER + "".join(f"{i},1,30,t,{text},5,1,0,General,Tops,Knits\n" for i, text in reviews.items())


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
