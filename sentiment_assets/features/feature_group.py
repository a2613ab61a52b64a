"""The review feature group: the schema the course registers in SageMaker Feature Store.

record identifier `review_id`, event time `date` (ISO-8601), and the features training reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from sentiment_assets.timestamps import naive_utc


@dataclass(frozen=True)
class FeatureGroup:
    name: str
    version: int
    record_identifier: str
    event_time: str
    columns: tuple[str, ...]

    @property
    def table_name(self) -> str:
        return f"fg_{self.name}_v{self.version}"


REVIEWS_FEATURE_GROUP = FeatureGroup(
    name="reviews",
    version=1,
    record_identifier="review_id",
    event_time="date",
    columns=("review_id", "date", "sentiment", "label_id", "input_ids", "review_body", "split_type"),
)


def to_feature_records(features: pd.DataFrame, group: FeatureGroup, written_at: datetime | None = None) -> pd.DataFrame:
    """Rows in the feature group's schema plus `ingested_at`, the offline store's write time."""
    missing = [c for c in group.columns if c not in features.columns]
    if missing:
        raise ValueError(f"feature group {group.name} v{group.version}: missing columns {missing}")
    records = features.loc[:, list(group.columns)].copy()
    # Event time as ISO-8601 strings, as the Feature Store expects.
    records[group.event_time] = pd.to_datetime(records[group.event_time]).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    records["ingested_at"] = naive_utc(written_at)
    return records
