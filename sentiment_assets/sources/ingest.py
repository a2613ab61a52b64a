"""Ingesting one partition (one landed file, or a location) into raw_reviews and rejected_reviews,
with nothing lost: what the raw_reviews asset calls.

The partition's rows replace its earlier ones; other partitions' rows are carried over. Review ids
another partition already holds are quarantined as duplicates naming that partition. A file that
fails part-way, or whose role needs labels it lacks, contributes no rows. Each file read whole
gets a row in `source_files` (its sha256, size, ingestion time and row counts: provenance.py),
replaced with the partition's reviews. Framework-free, and no
SQL: the warehouse is the Warehouse contract (resources.warehouse.Warehouse: `staged_partition`,
`read_table`), the log anything with `info`/`warning`/`error` (a logging.Logger, Dagster's
context.log).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from sentiment_assets.frames import column, rows_where
from sentiment_assets.sources.roles import unlabelled_file_error
from sentiment_assets.timestamps import naive_utc

from .provenance import SOURCE_FILES, source_file_rows
from .reader import FileSummary, read_reviews
from .schema import empty_accepted, empty_rejected
from .spec import SourceSpec
from .validate import IngestedIds

if TYPE_CHECKING:
    from resources.warehouse import Warehouse

VALIDATED_COLUMNS = ["review_id", "star_rating", "review_body", "product_category", "date"]
_HELD_ELSEWHERE = re.compile(r"already ingested from partition (['\"])(.*?)\1")


class NoFileReadable(Exception):
    """Not one file at the location could be read (each file's error is in the message)."""


@dataclass(frozen=True)
class IngestedPartition:
    """What ingesting a partition did: one summary per file, and the rows other partitions keep."""

    key: str
    role: str
    summaries: list[FileSummary]
    rows_in_other_partitions: int  # raw_reviews rows carried over from other partitions
    held_by_other_partitions: dict[str, int]  # other partition -> rows of this one quarantined for it
    ingested_at: pd.Timestamp  # naive UTC: the source_files rows' time, and the date of rows without one

    @property
    def read(self) -> list[FileSummary]:
        """The files read whole (their rows count)."""
        return [s for s in self.summaries if s.ok]

    @property
    def failed(self) -> dict[str, str | None]:
        """File -> why it contributed nothing."""
        return {s.source_file: s.error for s in self.summaries if not s.ok}

    @property
    def accepted(self) -> int:
        return sum(s.accepted for s in self.read)

    @property
    def rejected(self) -> int:
        return sum(s.rejected for s in self.read)

    @property
    def rows_read(self) -> int:
        return sum(s.rows_read for s in self.read)

    @property
    def reconciles(self) -> bool:
        """accepted + rejected = rows read, per file and in total."""
        return (
            all(s.accepted + s.rejected == s.rows_read for s in self.summaries)
            and self.accepted + self.rejected == self.rows_read
        )


def ingest_partition(
    warehouse: Warehouse,
    key: str,
    location: str,
    role: str,
    spec: SourceSpec,
    *,
    chunk_rows: int,
    log: Any,
    s3_client=None,
) -> IngestedPartition:
    """Read every file at `location` into the partition `key` (its rows tagged with the key and
    `role`), chunk by chunk, and swap the rebuilt tables in. NoFileReadable, with nothing
    changed, when no file could be read."""
    ingested = _ids_in_other_partitions(warehouse, key) if _has_partition_column(warehouse) else None
    ingested_at = naive_utc()
    summaries: list[FileSummary] = []
    with warehouse.staged_partition("source_partition", key) as stage:
        # Empty frames first: they fix every column's type even if no row is ever accepted.
        stage.append("raw_reviews", _tagged(empty_accepted(), key, role))
        stage.append("rejected_reviews", _tagged(empty_rejected(), key, role))
        stage.append(SOURCE_FILES, source_file_rows([], key, role, ingested_at))
        carried = stage.rows_elsewhere("raw_reviews")
        batches = read_reviews(
            location,
            spec,
            ingested_at=ingested_at,
            chunk_rows=chunk_rows,
            s3_client=s3_client,
            ingested_ids=ingested,
        )
        for batch in batches:
            stage.append("raw_reviews", _tagged(batch.accepted, key, role))
            stage.append("rejected_reviews", _tagged(batch.rejected, key, role))
            if batch.summary is None:
                continue
            summary = _refused_for_role(batch.summary, role)
            summaries.append(summary)
            if not summary.ok:  # a file that broke part-way (or has the wrong role) contributes no rows
                stage.delete("raw_reviews", "source_file", batch.source_file)
                stage.delete("rejected_reviews", "source_file", batch.source_file)
                log.error(summary.error)
            else:
                log.info(
                    "%s: %d rows read, %d accepted, %d rejected (%s, role %s)",
                    batch.source_file,
                    summary.rows_read,
                    summary.accepted,
                    summary.rejected,
                    summary.preset,
                    role,
                )
        if not any(s.ok for s in summaries):
            raise NoFileReadable(
                "no file at the location could be read: " + " | ".join(s.error or "" for s in summaries)
            )
        stage.append(SOURCE_FILES, source_file_rows(summaries, key, role, ingested_at))
        held_elsewhere = _held_by_other_partitions([s for s in summaries if s.ok])
        if held_elsewhere:
            log.warning(
                "partition %r: %d rows quarantined, their review ids already held by partition(s) %s "
                "(the same reviews ingested under two partitions?)",
                key,
                sum(held_elsewhere.values()),
                ", ".join(map(repr, held_elsewhere)),
            )
    return IngestedPartition(key, role, summaries, carried, held_elsewhere, ingested_at)


def partition_rows(warehouse: Warehouse, key: str, columns: list[str] = VALIDATED_COLUMNS) -> pd.DataFrame:
    """The partition's accepted rows (by default the columns the expectations check)."""
    return warehouse.read_table("raw_reviews", columns, where={"source_partition": key})


def _tagged(frame: pd.DataFrame, key: str, role: str) -> pd.DataFrame:
    # Typed columns, so that an empty frame still says "string" (not Arrow's null type).
    return frame.assign(
        source_partition=pd.Series(key, index=frame.index, dtype="string"),
        source_role=pd.Series(role, index=frame.index, dtype="string"),
    )


def _refused_for_role(summary: FileSummary, role: str) -> FileSummary:
    """The file's summary, failed with the reason when its role needs labels it does not have."""
    error = None if summary.labelled or not summary.ok else unlabelled_file_error(summary.source_file, role)
    return replace(summary, error=error) if error else summary


def _has_partition_column(warehouse: Warehouse) -> bool:
    return warehouse.table_exists("raw_reviews") and "source_partition" in warehouse.table_columns("raw_reviews")


def _ids_in_other_partitions(warehouse: Warehouse, key: str) -> IngestedIds:
    """The review ids other partitions hold, each with where it came from ("partition 'a.csv'
    (/landing/a.csv)"): a repeat in this partition is quarantined as a duplicate naming them.
    Named by partition, not by file, because IngestedIds lets an id through when its origin is the
    file being read -- and the same file ingested under two partitions would then count twice."""
    every = warehouse.read_table("raw_reviews", ["review_id", "source_partition", "source_file"])
    held = rows_where(every, (column(every, "source_partition") != key).fillna(True).to_numpy())
    origins = (
        f"partition {partition!r} ({source_file})"
        for partition, source_file in zip(held["source_partition"], held["source_file"], strict=False)
    )
    return IngestedIds(dict(zip(held["review_id"], origins, strict=False)))


def _held_by_other_partitions(summaries: list[FileSummary]) -> dict[str, int]:
    """Other partition -> rows of this one quarantined because that partition holds their ids."""
    held: Counter[str] = Counter()
    for summary in summaries:
        for reason, rows in summary.rejection_reasons.items():
            for partition in {m.group(2) for m in _HELD_ELSEWHERE.finditer(reason)}:
                held[partition] += rows
    return dict(held)
