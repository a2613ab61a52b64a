"""The human review queue: predictions the model was unsure of, waiting for a person's label.

Low-confidence batch predictions go into `review_queue` as pending items; a reviewer labels
(or skips) them; `human_labels` holds the latest human label per review, the shape training
unions in next to the star-rating labels. One item per (review_id, model_version): a review
that a later model is unsure of again comes back as a new item.

Functions take an open DuckDB connection (e.g. from `Warehouse.connect()`); every result
is fetched before the next statement, as DuckDB requires.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from sentiment_assets.labels import SENTIMENT_NAMES
from sentiment_assets.scoring.batch import SCORING_SOURCE_TABLE, scoring_text_sql
from sentiment_assets.sql import quote_identifier, single_value
from sentiment_assets.timestamps import naive_utc

QUEUE = "review_queue"
HUMAN_LABELS = "human_labels"
PREDICTIONS = "batch_predictions"
# Every scored review is here, labelled or not (a `score` file's reviews never reach cleaned_reviews).
REVIEWS = SCORING_SOURCE_TABLE
STATUSES: tuple[str, ...] = ("pending", "labelled", "skipped")

# labelled_at is when the reviewer decided: the label's time, or the skip's (human_label null).
QUEUE_COLUMNS_SQL = """
    review_id VARCHAR NOT NULL,
    review_body VARCHAR,
    predicted_label INTEGER,
    probability DOUBLE,
    model_name VARCHAR,
    model_version INTEGER NOT NULL,
    source_partition VARCHAR,
    queued_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN ('pending', 'labelled', 'skipped')),
    human_label INTEGER CHECK (human_label IN (-1, 0, 1)),
    reviewer VARCHAR,
    labelled_at TIMESTAMP,
    note VARCHAR,
    PRIMARY KEY (review_id, model_version)
"""

# Latest label wins: a review labelled again (for another unsure model version) takes the newer.
HUMAN_LABELS_SQL = f"""
    SELECT review_id, human_label AS sentiment, human_label + 1 AS label_id, 'human' AS label_source,
           reviewer, labelled_at, model_name, model_version, probability AS model_probability, note
    FROM {quote_identifier(QUEUE)}
    WHERE status = 'labelled'
    QUALIFY row_number() OVER (PARTITION BY review_id ORDER BY labelled_at DESC, model_version DESC) = 1
    ORDER BY review_id
"""


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


def ensure_review_queue(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(f"CREATE TABLE IF NOT EXISTS {quote_identifier(QUEUE)} ({QUEUE_COLUMNS_SQL})").fetchall()


def _require_tables(conn: duckdb.DuckDBPyConnection, *tables: str) -> None:
    present = {row[0] for row in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    missing = [t for t in tables if t not in present]
    if missing:
        raise ReviewQueueError(
            f"no {', '.join(missing)} table in this warehouse: materialize {' and '.join(missing)} first"
        )


def enqueue_low_confidence(
    conn: duckdb.DuckDBPyConnection,
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
    _require_tables(conn, PREDICTIONS, REVIEWS)
    ensure_review_queue(conn)
    conditions, parameters = ["p.probability < ?"], [naive_utc().to_pydatetime(), threshold]
    if model_version is not None:
        conditions.append("p.model_version = ?")
        parameters.append(int(model_version))
    if partition is not None:
        conditions.append("p.source_partition = ?")
        parameters.append(partition)
    queue = quote_identifier(QUEUE)
    inserted = conn.execute(
        f"""
        INSERT INTO {queue} (review_id, review_body, predicted_label, probability, model_name,
                             model_version, source_partition, queued_at, status)
        SELECT p.review_id, {scoring_text_sql("c")}, p.predicted_label, p.probability, p.model_name,
               p.model_version, p.source_partition, ?, 'pending'
        FROM {quote_identifier(PREDICTIONS)} AS p
        -- the text of the same review in the same partition (a review id may recur across loads)
        JOIN {quote_identifier(REVIEWS)} AS c
          ON c.review_id = p.review_id AND c.source_partition = p.source_partition
        WHERE {" AND ".join(conditions)}
          AND NOT EXISTS (SELECT 1 FROM {queue} AS q
                          WHERE q.review_id = p.review_id AND q.model_version = p.model_version)
        -- one item per (review, version) even if a table holds a row twice
        QUALIFY row_number() OVER (PARTITION BY p.review_id, p.model_version ORDER BY p.scored_at DESC) = 1
    """,
        parameters,
    ).fetchone()
    return int(single_value(inserted))


def list_items(conn: duckdb.DuckDBPyConnection, status: str | None = "pending", limit: int = 20) -> pd.DataFrame:
    """Queue items with `status` (None: all), the ones the model was least sure of first."""
    if status is not None and status not in STATUSES:
        raise ReviewQueueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    if limit < 1:
        raise ReviewQueueError(f"limit must be at least 1, got {limit}")
    ensure_review_queue(conn)
    where, parameters = ("WHERE status = ?", [status]) if status else ("", [])
    return conn.execute(
        f"SELECT * FROM {quote_identifier(QUEUE)} {where} "
        "ORDER BY probability, queued_at, review_id, model_version LIMIT ?",
        [*parameters, int(limit)],
    ).df()


def items_by_status(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How many queued items each status (pending, labelled, skipped) has, by status name."""
    ensure_review_queue(conn)
    rows = conn.execute(f"SELECT status, count(*) FROM {quote_identifier(QUEUE)} GROUP BY 1 ORDER BY 1").fetchall()
    return {str(status): int(n) for status, n in rows}


def parse_label(label: int | str) -> int:
    """A human label as sentiment -1/0/1, from -1/0/1 or negative/neutral/positive."""
    names = {name: sentiment for sentiment, name in SENTIMENT_NAMES.items()}
    text = str(label).strip().lower()
    if text in names:
        return names[text]
    if not isinstance(label, bool) and text in {"-1", "0", "1", "+1"}:
        return int(text)
    raise ReviewQueueError(f"label must be -1, 0, 1 or {', '.join(names)}; got {label!r}")


def _find_item(conn: duckdb.DuckDBPyConnection, review_id: str, model_version: int | None) -> int:
    """The model version of the one queued item of `review_id` (narrowed by `model_version`)."""
    ensure_review_queue(conn)
    sql = f"SELECT model_version FROM {quote_identifier(QUEUE)} WHERE review_id = ?"
    parameters: list = [str(review_id)]
    if model_version is not None:
        sql += " AND model_version = ?"
        parameters.append(int(model_version))
    versions = sorted(row[0] for row in conn.execute(sql, parameters).fetchall())
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
    conn: duckdb.DuckDBPyConnection,
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
    version = _find_item(conn, review_id, model_version)
    queue = quote_identifier(QUEUE)
    conn.execute(
        f"UPDATE {queue} SET status = ?, human_label = ?, reviewer = ?, labelled_at = ?, note = ? "
        "WHERE review_id = ? AND model_version = ?",
        [status, human_label, str(reviewer).strip(), naive_utc().to_pydatetime(), note, str(review_id), version],
    ).fetchall()
    # Keep the table dbt reads in step with every decision.
    refresh_human_labels(conn)
    row = conn.execute(
        f"SELECT * FROM {queue} WHERE review_id = ? AND model_version = ?", [str(review_id), version]
    ).df()
    return row.iloc[0].to_dict()


def record_label(
    conn: duckdb.DuckDBPyConnection,
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
        conn, review_id, model_version, status="labelled", human_label=sentiment, reviewer=reviewer, note=note
    )


def skip_item(
    conn: duckdb.DuckDBPyConnection,
    review_id: str,
    reviewer: str,
    note: str | None = None,
    model_version: int | None = None,
) -> dict:
    """Mark a queued review as skipped (no label: unclear, off-topic, not English); a label it
    had is withdrawn. Returns the item."""
    return _decide(conn, review_id, model_version, status="skipped", human_label=None, reviewer=reviewer, note=note)


def human_labels(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per human-labelled review: review_id, sentiment, label_id, label_source ('human'),
    reviewer, labelled_at, and which model (name, version, model_probability) was unsure."""
    ensure_review_queue(conn)
    return conn.execute(HUMAN_LABELS_SQL).df()


def refresh_human_labels(conn: duckdb.DuckDBPyConnection) -> int:
    """Rewrite the `human_labels` table (a dbt source) from the queue; returns its row count.
    Written even when empty, so dbt always finds the table and its columns."""
    ensure_review_queue(conn)
    conn.execute(f"CREATE OR REPLACE TABLE {quote_identifier(HUMAN_LABELS)} AS {HUMAN_LABELS_SQL}").fetchall()
    return int(single_value(conn.execute(f"SELECT count(*) FROM {quote_identifier(HUMAN_LABELS)}").fetchone()))
