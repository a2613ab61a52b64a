"""Whether stored predictions still describe the reviews as they are now.

A prediction is for a text, not just for a review id: re-ingesting a changed file can turn a
review's praise into "Absolutely awful" or drop the review altogether, and a prediction kept by
id alone would then go on saying "positive", or describe a review that no longer exists. So each
prediction stores `text_sha256`, the sha256 of the text the model read, and a prediction is
*current* only while its partition still holds an accepted review with that id and that text.

Framework-free (DuckDB SQL on a connection): scoring removes what is not current before it scores,
and the batch_predictions asset check counts what is not current after.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from sentiment_assets.sql import quote_identifier

#: The column holding the sha256 (hex) of the text a prediction was made from.
FINGERPRINT_COLUMN = "text_sha256"


def text_fingerprint_sql(text_sql: str) -> str:
    """SQL for the sha256 of a review's text as the model reads it (`text_sql`, set by code)."""
    return f"sha256(coalesce({text_sql}, ''))"


def _current(src: str, text_sql: str) -> str:
    # "Current" predicted review: same partition, same id, same text. A missing fingerprint
    # (predictions stored before there was one) never matches: those reviews are scored again.
    return (
        f"EXISTS (SELECT 1 FROM {src} r WHERE r.source_partition = p.source_partition "
        f"AND r.review_id = p.review_id AND {text_fingerprint_sql(text_sql)} = p.{FINGERPRINT_COLUMN})"
    )


def remove_outdated_predictions(
    connection: duckdb.DuckDBPyConnection, *, partition_key: str, source_table: str, table: str, text_sql: str
) -> int:
    """Delete, for every model version, the predictions that are not current and concern this
    partition: its own (texts changed, reviews gone) and another partition's for a review this one
    now holds (a review moved between files), which would block its new prediction. One
    transaction; returns the rows deleted."""
    src, dst = quote_identifier(source_table), quote_identifier(table)
    connection.execute("BEGIN TRANSACTION").fetchall()
    try:
        [(removed,)] = connection.execute(
            f"""
            DELETE FROM {dst} AS p
            WHERE NOT {_current(src, text_sql)}
              AND (p.source_partition = ?
                   OR p.review_id IN (SELECT review_id FROM {src} WHERE source_partition = ?))""",
            [partition_key, partition_key],
        ).fetchall()
    except BaseException:
        connection.execute("ROLLBACK").fetchall()
        raise
    connection.execute("COMMIT").fetchall()
    return int(removed)


@dataclass(frozen=True)
class PredictionCoverage:
    """How one partition's predictions for one model version match its accepted reviews."""

    reviews: int  # distinct accepted reviews of the partition
    scored: int  # of those, predicted by the version from the text they have now
    duplicated: int  # predictions by the version beyond one per review
    stale: int  # the partition's predictions (any version) made from a text its review no longer has
    orphaned: int  # the partition's predictions (any version) whose review it no longer holds

    @property
    def complete(self) -> bool:
        """Every accepted review scored once from its current text, and nothing else predicted."""
        return self.scored == self.reviews and self.duplicated == self.stale == self.orphaned == 0

    def as_metadata(self) -> dict[str, int]:
        return {
            "reviews": self.reviews,
            "scored": self.scored,
            "duplicated": self.duplicated,
            "stale": self.stale,
            "orphaned": self.orphaned,
        }


def prediction_coverage(
    connection: duckdb.DuckDBPyConnection,
    *,
    partition_key: str,
    model_version: int,
    source_table: str,
    table: str,
    text_sql: str,
) -> PredictionCoverage:
    """Count, for the `every_accepted_review_scored_once` check, how far the stored predictions
    of `partition_key` are from one current prediction per accepted review."""
    src, dst = quote_identifier(source_table), quote_identifier(table)
    fingerprint = text_fingerprint_sql(text_sql)
    # A table from before fingerprints: none of its predictions can be shown current.
    stored = (
        FINGERPRINT_COLUMN
        if connection.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
            [table, FINGERPRINT_COLUMN],
        ).fetchall()
        else f"NULL::VARCHAR AS {FINGERPRINT_COLUMN}"
    )
    row = connection.execute(
        f"""
        WITH reviews AS (SELECT DISTINCT review_id, {fingerprint} AS {FINGERPRINT_COLUMN}
                         FROM {src} WHERE source_partition = ?),
             predicted AS (SELECT review_id, model_version, {stored}
                           FROM {dst} WHERE source_partition = ?)
        SELECT
            (SELECT count(DISTINCT review_id) FROM reviews),
            (SELECT count(DISTINCT r.review_id) FROM reviews r JOIN predicted p
                ON p.review_id = r.review_id AND p.{FINGERPRINT_COLUMN} = r.{FINGERPRINT_COLUMN}
               AND p.model_version = ?),
            (SELECT count(*) - count(DISTINCT review_id) FROM predicted WHERE model_version = ?),
            (SELECT count(*) FROM predicted p
              WHERE p.review_id IN (SELECT review_id FROM reviews)
                AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.review_id = p.review_id
                                AND r.{FINGERPRINT_COLUMN} = p.{FINGERPRINT_COLUMN})),
            (SELECT count(*) FROM predicted WHERE review_id NOT IN (SELECT review_id FROM reviews))""",
        [partition_key, partition_key, model_version, model_version],
    ).fetchall()[0]
    return PredictionCoverage(*(int(value) for value in row))
