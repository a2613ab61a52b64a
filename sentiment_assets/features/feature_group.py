"""The review feature group: the schema the course registers in SageMaker Feature Store.

record identifier `review_id`, event time `date` (ISO-8601), and the features training reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import pandas as pd

from sentiment_assets.frames import column as col


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
    version=2,  # v2: date stored as TIMESTAMP in an append-only offline store
    record_identifier="review_id",
    event_time="date",
    columns=("review_id", "date", "sentiment", "label_id", "input_ids", "review_body", "split_type"),
)


def records_to_append(features: pd.DataFrame, latest: pd.DataFrame, group: FeatureGroup) -> pd.DataFrame:
    """The rows of `features` that are new records or differ from the record's latest stored
    version, so re-running the pipeline on unchanged data appends nothing."""
    key = group.record_identifier
    if latest.empty:
        return features
    merged = features.merge(latest, on=key, how="left", suffixes=("", "__stored"), indicator=True)
    changed = merged["_merge"] == "left_only"
    for column in group.columns:
        if column == key:
            continue
        new, old = col(merged, column), col(merged, f"{column}__stored")
        if column == group.event_time:  # to_datetime of a Series: a Series
            new, old = cast(pd.Series, pd.to_datetime(new)), cast(pd.Series, pd.to_datetime(old))
        if new.map(_is_sequence).any():  # token-id lists: compare element-wise
            differs = [not _same_sequence(a, b) for a, b in zip(new, old, strict=False)]
        else:
            differs = ~((new == old) | (new.isna() & old.isna()))
        changed |= pd.Series(differs, index=merged.index).astype(bool)
    return features.loc[changed.to_numpy()]


def _is_sequence(value) -> bool:
    return hasattr(value, "__len__") and not isinstance(value, str)


def _same_sequence(a, b) -> bool:
    return (
        _is_sequence(a)
        and _is_sequence(b)
        and len(a) == len(b)
        and all(int(x) == int(y) for x, y in zip(a, b, strict=False))
    )


def lookup_latency_ms(online, record_ids: list, lookups: int, seed: int) -> dict[str, float]:
    """p50/p95/p99 of single-record online lookups, in milliseconds."""
    import time

    import numpy as np

    if not record_ids:
        return {}
    picks = np.random.default_rng(seed).choice(len(record_ids), size=lookups)
    timings = []
    for index in picks:
        started = time.perf_counter()
        online.get(record_ids[index])
        timings.append((time.perf_counter() - started) * 1000)
    return {f"p{q}": round(float(np.percentile(timings, q)), 4) for q in (50, 95, 99)}
