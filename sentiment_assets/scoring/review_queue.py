"""The human review queue: predictions the model was unsure of, waiting for a person's label.

Low-confidence batch predictions go into `review_queue` as pending items; a reviewer labels
(or skips) them; `human_labels` holds the latest human label per review, the shape training
unions in next to the star-rating labels. One item per (review_id, model_version): a review
that a later model is unsure of again comes back as a new item.

Functions take the warehouse (anything with the narrow Warehouse contract: the local DuckDB
file, the aws profile's Iceberg tables) and do their logic in pandas: no SQL session. The
rules the old table's CHECK constraints enforced are checked here, before every write.
"""

from __future__ import annotations

from typing import Protocol

import pandas as pd
import pyarrow as pa

from sentiment_assets.frames import column
from sentiment_assets.labels import SENTIMENT_NAMES
from sentiment_assets.scoring.batch import SCORING_SOURCE_TABLE
from sentiment_assets.timestamps import naive_utc

QUEUE = "review_queue"
HUMAN_LABELS = "human_labels"
PREDICTIONS = "batch_predictions"
# Every scored review is here, labelled or not (a `score` file's reviews never reach cleaned_reviews).
REVIEWS = SCORING_SOURCE_TABLE
STATUSES: tuple[str, ...] = ("pending", "labelled", "skipped")
HUMAN_LABEL_VALUES = sorted(SENTIMENT_NAMES)  # -1, 0, 1
ITEM_KEY = ["review_id", "model_version"]  # one item per review and model version

# The columns and types of the table the local profile created with CREATE TABLE (so existing
# DuckDB files keep working). labelled_at is when the reviewer decided: the label's time, or the
# skip's (human_label null).
QUEUE_SCHEMA = pa.schema(
    [
        ("review_id", pa.string()),
        ("review_body", pa.string()),
        ("predicted_label", pa.int32()),
        ("probability", pa.float64()),
        ("model_name", pa.string()),
        ("model_version", pa.int32()),
        ("source_partition", pa.string()),
        ("queued_at", pa.timestamp("us")),
        ("status", pa.string()),
        ("human_label", pa.int32()),
        ("reviewer", pa.string()),
        ("labelled_at", pa.timestamp("us")),
        ("note", pa.string()),
    ]
)
REQUIRED_COLUMNS = ("review_id", "model_version", "queued_at", "status")  # never null in an item

HUMAN_LABELS_SCHEMA = pa.schema(
    [
        ("review_id", pa.string()),
        ("sentiment", pa.int32()),
        ("label_id", pa.int32()),
        ("label_source", pa.string()),
        ("reviewer", pa.string()),
        ("labelled_at", pa.timestamp("us")),
        ("model_name", pa.string()),
        ("model_version", pa.int32()),
        ("model_probability", pa.float64()),
        ("note", pa.string()),
    ]
)


class Warehouse(Protocol):
    """What the queue needs from the warehouse resource (resources.warehouse.Warehouse)."""

    def read_table(
        self, table: str, columns: list[str] | None = None, *, where: dict[str, object] | None = None
    ) -> pd.DataFrame: ...

    def table_exists(self, table: str) -> bool: ...

    def write_table(self, table: str, frame: pd.DataFrame | pa.Table) -> int: ...

    def append_new_keys(self, table: str, frame: pd.DataFrame | pa.Table, key: list[str]) -> int: ...

    def merge_by_key(self, table: str, frame: pd.DataFrame | pa.Table, key: list[str]) -> int: ...


class ReviewQueueError(ValueError):
    """A request the queue cannot carry out: bad label, unknown item, missing table."""


def threshold_for_share(probabilities, share: float) -> float:
    """The probability below which `share` of these predictions lie: queueing below it sends
    about that share of a file to a person (ties at the cut may add a few)."""
    import numpy as np

    if not 0.0 < share <= 1.0:
        raise ReviewQueueError(f"target_share must be in (0, 1], got {share}")
    if len(probabilities) == 0:
        return 0.0
    return float(min(np.nextafter(np.quantile(np.asarray(probabilities), share), 2.0), 1.0))


def _require_tables(warehouse: Warehouse, *tables: str) -> None:
    missing = [t for t in tables if not warehouse.table_exists(t)]
    if missing:
        raise ReviewQueueError(
            f"no {', '.join(missing)} table in this warehouse: materialize {' and '.join(missing)} first"
        )


def _items(
    warehouse: Warehouse, columns: list[str] | None = None, where: dict[str, object] | None = None
) -> pd.DataFrame:
    """Queue rows (only `columns`, filtered by `where`); none while the warehouse has no queue."""
    if not warehouse.table_exists(QUEUE):
        empty = QUEUE_SCHEMA.empty_table()
        return (empty.select(columns) if columns else empty).to_pandas()
    return warehouse.read_table(QUEUE, columns, where=where)


def checked_items(frame: pd.DataFrame) -> pa.Table:
    """Queue rows in the queue's types, checked as the old table's constraints checked them (a
    ReviewQueueError naming the item): a key, a queue time and a known status in every row, and
    a human label of -1, 0 or 1 where there is one. One row per key is the contract's check."""
    for name in REQUIRED_COLUMNS:
        missing = frame[column(frame, name).isna()]
        if not missing.empty:
            which = f"review_id {missing.iloc[0]['review_id']!r} has none" if name != "review_id" else "a row has none"
            raise ReviewQueueError(f"every {QUEUE} item needs a {name}; {which}")
    bad_status = frame[~frame["status"].isin(STATUSES)]
    if not bad_status.empty:
        row = bad_status.iloc[0]
        raise ReviewQueueError(
            f"{QUEUE} status must be one of {', '.join(STATUSES)}; review_id {row['review_id']!r} has {row['status']!r}"
        )
    labels = frame["human_label"]
    bad_label = frame[labels.notna() & ~labels.isin(HUMAN_LABEL_VALUES)]
    if not bad_label.empty:
        row = bad_label.iloc[0]
        raise ReviewQueueError(
            f"{QUEUE} human_label must be -1, 0, 1 or empty; review_id {row['review_id']!r} has {row['human_label']}"
        )
    return pa.Table.from_pandas(frame[QUEUE_SCHEMA.names], schema=QUEUE_SCHEMA, preserve_index=False)


def _review_texts(warehouse: Warehouse, partitions: list[str]) -> pd.DataFrame:
    """review_id, source_partition and the text as models read it (scoring_text_sql: the
    normalised text, else the raw text trimmed of spaces) of the reviews in `partitions`."""
    reviews = warehouse.read_table(
        REVIEWS,
        ["review_id", "source_partition", "review_body", "review_body_normalised"],
        where={"source_partition": partitions},
    )
    normalised = reviews["review_body_normalised"]
    text = normalised.where(normalised.notna(), reviews["review_body"].str.strip(" "))
    return reviews[["review_id", "source_partition"]].assign(review_body=text)


def enqueue_low_confidence(
    warehouse: Warehouse,
    *,
    threshold: float = 0.90,
    model_version: int | None = None,
    partition: str | None = None,
) -> int:
    """Queue every prediction whose probability is below `threshold` and that is not queued
    yet (for that model version) as a pending item; returns how many were added. Running it
    again adds nothing new, and never resets an item a reviewer already decided."""
    if not 0.0 < threshold <= 1.0:
        raise ReviewQueueError(f"threshold must be in (0, 1], got {threshold}")
    _require_tables(warehouse, PREDICTIONS, REVIEWS)
    where: dict[str, object] = {}
    if model_version is not None:
        where["model_version"] = int(model_version)
    if partition is not None:
        where["source_partition"] = partition
    predictions = warehouse.read_table(
        PREDICTIONS,
        [
            "review_id",
            "source_partition",
            "predicted_label",
            "probability",
            "model_name",
            "model_version",
            "scored_at",
        ],
        where=where,
    )
    unsure = predictions.loc[column(predictions, "probability") < threshold]
    # The text of the same review in the same partition (a review id may recur across loads).
    texts = _review_texts(warehouse, sorted(column(unsure, "source_partition").dropna().unique().tolist()))
    joined = unsure.merge(texts, on=["review_id", "source_partition"], how="inner")
    # One item per (review, version) even if a table holds a row twice: the latest scoring.
    items = joined.sort_values("scored_at", ascending=False, kind="stable").drop_duplicates(ITEM_KEY)
    items = items.assign(
        queued_at=naive_utc(), status="pending", human_label=None, reviewer=None, labelled_at=pd.NaT, note=None
    )
    # Creates the queue on the first run; items already queued (decided or not) stay as they are.
    return warehouse.append_new_keys(QUEUE, checked_items(items), key=ITEM_KEY)


def list_items(warehouse: Warehouse, status: str | None = "pending", limit: int = 20) -> pd.DataFrame:
    """Queue items with `status` (None: all), the ones the model was least sure of first."""
    if status is not None and status not in STATUSES:
        raise ReviewQueueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    if limit < 1:
        raise ReviewQueueError(f"limit must be at least 1, got {limit}")
    items = _items(warehouse, where={"status": status} if status else None)
    ordered = items.sort_values(["probability", "queued_at", "review_id", "model_version"], kind="stable")
    return ordered.head(int(limit)).reset_index(drop=True)


def items_by_status(warehouse: Warehouse) -> dict[str, int]:
    """How many queued items each status (pending, labelled, skipped) has, by status name."""
    counts = _items(warehouse, ["status"])["status"].value_counts()
    return {str(status): int(n) for status, n in sorted(counts.items())}


def parse_label(label: int | str) -> int:
    """A human label as sentiment -1/0/1, from -1/0/1 or negative/neutral/positive."""
    names = {name: sentiment for sentiment, name in SENTIMENT_NAMES.items()}
    text = str(label).strip().lower()
    if text in names:
        return names[text]
    if not isinstance(label, bool) and text in {"-1", "0", "1", "+1"}:
        return int(text)
    raise ReviewQueueError(f"label must be -1, 0, 1 or {', '.join(names)}; got {label!r}")


def _find_item(warehouse: Warehouse, review_id: str, model_version: int | None) -> int:
    """The model version of the one queued item of `review_id` (narrowed by `model_version`)."""
    where: dict[str, object] = {"review_id": str(review_id)}
    if model_version is not None:
        where["model_version"] = int(model_version)
    versions = sorted(int(v) for v in _items(warehouse, ["model_version"], where=where)["model_version"])
    if not versions:
        for_version = f" for model version {model_version}" if model_version is not None else ""
        raise ReviewQueueError(f"review_id {review_id!r} is not in the review queue{for_version}")
    if len(versions) > 1:
        raise ReviewQueueError(
            f"review_id {review_id!r} is queued for model versions "
            f"{', '.join(map(str, versions))}: say which one (model_version)"
        )
    return versions[0]


def _decide(
    warehouse: Warehouse,
    review_id: str,
    model_version: int | None,
    *,
    status: str,
    human_label: int | None,
    reviewer: str,
    note: str | None,
) -> dict:
    if not reviewer or not str(reviewer).strip():
        raise ReviewQueueError("a reviewer name is required, so every human label can be traced")
    item_key: dict[str, object] = {
        "review_id": str(review_id),
        "model_version": _find_item(warehouse, review_id, model_version),
    }
    decided = warehouse.read_table(QUEUE, where=item_key).assign(
        status=status, human_label=human_label, reviewer=str(reviewer).strip(), labelled_at=naive_utc(), note=note
    )
    warehouse.merge_by_key(QUEUE, checked_items(decided), key=ITEM_KEY)
    # Keep the table dbt reads in step with every decision.
    refresh_human_labels(warehouse)
    return warehouse.read_table(QUEUE, where=item_key).iloc[0].to_dict()


def record_label(
    warehouse: Warehouse,
    review_id: str,
    label: int | str,
    reviewer: str,
    note: str | None = None,
    model_version: int | None = None,
) -> dict:
    """Record `reviewer`'s label for a queued review (relabelling overwrites); returns the item.
    `model_version` is needed only when the review is queued for more than one version."""
    sentiment = parse_label(label)
    return _decide(
        warehouse, review_id, model_version, status="labelled", human_label=sentiment, reviewer=reviewer, note=note
    )


def skip_item(
    warehouse: Warehouse,
    review_id: str,
    reviewer: str,
    note: str | None = None,
    model_version: int | None = None,
) -> dict:
    """Mark a queued review as skipped (no label: unclear, off-topic, not English); a label it
    had is withdrawn. Returns the item."""
    return _decide(
        warehouse, review_id, model_version, status="skipped", human_label=None, reviewer=reviewer, note=note
    )


def _human_labels_table(warehouse: Warehouse) -> pa.Table:
    """The labelled items as training reads them, one row per review, ordered by review_id."""
    labelled = _items(warehouse, where={"status": "labelled"})
    # Latest label wins: a review labelled again (for another unsure model version) takes the newer.
    latest = labelled.sort_values(["labelled_at", "model_version"], ascending=False, kind="stable").drop_duplicates(
        "review_id"
    )
    frame = pd.DataFrame(
        {
            "review_id": latest["review_id"],
            "sentiment": latest["human_label"],
            "label_id": latest["human_label"] + 1,
            "label_source": "human",
            "reviewer": latest["reviewer"],
            "labelled_at": latest["labelled_at"],
            "model_name": latest["model_name"],
            "model_version": latest["model_version"],
            "model_probability": latest["probability"],
            "note": latest["note"],
        }
    ).sort_values("review_id", kind="stable")
    return pa.Table.from_pandas(frame, schema=HUMAN_LABELS_SCHEMA, preserve_index=False)


def human_labels(warehouse: Warehouse) -> pd.DataFrame:
    """One row per human-labelled review: review_id, sentiment, label_id, label_source ('human'),
    reviewer, labelled_at, and which model (name, version, model_probability) was unsure."""
    return _human_labels_table(warehouse).to_pandas()


def refresh_human_labels(warehouse: Warehouse) -> int:
    """Rewrite the `human_labels` table (a dbt source) from the queue; returns its row count.
    Written even when empty, so dbt always finds the table and its columns."""
    return warehouse.write_table(HUMAN_LABELS, _human_labels_table(warehouse))
