"""The entry point the ingest asset calls: read every review file at a location, chunk by chunk,
into accepted rows (the normalised schema) and rejected rows (with reasons).

Memory stays bounded by `chunk_rows` plus the review ids seen (for duplicates within and across
files), so a caller can stream each batch into the warehouse and never hold a whole file.

A file's rows count only once its summary arrives: the last batch of every file carries
`summary`. If `summary.error` is set, the file failed (possibly part-way, e.g. a truncated gzip)
and the caller must discard the batches it already received for that file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

import pandas as pd

from sentiment_assets.timestamps import naive_utc

from .formats import ReadOptions, format_for, iter_chunks, read_header
from .locations import SourceFile, expand_location, local_copy
from .normalise import normalise
from .presets import Preset, choose_preset
from .schema import UNKNOWN_CATEGORY, SourceError, empty_accepted, empty_rejected
from .spec import ColumnMapping, SourceSpec
from .validate import IngestedIds, SeenIds, validate, value_problems


@dataclass(frozen=True)
class FileSummary:
    """What happened to one file: the preset it was read with, whether it is `labelled` (its
    resolved mapping has a star_rating or label column; an unlabelled file has null sentiment
    throughout: fine to score, not to train on), the row counts (accepted + rejected ==
    rows_read), the reasons for rejection, notes for the asset's metadata (a header-only file,
    dates defaulted to the ingestion time, no labels, no category) and the error if it failed
    (then `labelled` is False: nothing of it was read)."""

    source_file: str
    sha256: str
    size_bytes: int
    preset: str | None = None
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    rejection_reasons: Mapping[str, int] = field(default_factory=dict)
    date_defaulted_rows: int = 0
    notes: tuple[str, ...] = ()
    error: str | None = None
    labelled: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_metadata(self) -> dict[str, Any]:
        """Plain JSON-able values, for asset metadata."""
        return {**asdict(self), "rejection_reasons": dict(self.rejection_reasons), "notes": list(self.notes)}


@dataclass(frozen=True)
class FileBatch:
    """One chunk of one file: accepted rows (NORMALISED_COLUMNS) and rejected rows
    (REJECTED_COLUMNS), `rows_read` so far in this file, and on the file's last batch its summary."""

    source_file: str
    preset: str | None
    accepted: pd.DataFrame
    rejected: pd.DataFrame
    rows_read: int
    summary: FileSummary | None = None


def _options(spec: SourceSpec, preset: Preset | None) -> ReadOptions:
    quoted = {"minimal": True, "none": False}.get(spec.quoting, preset.quoted_fields if preset else True)
    return ReadOptions(
        encoding=spec.encoding, delimiter=spec.delimiter, quoted_fields=quoted, max_record_chars=spec.max_record_chars
    )


def _notes(summary: dict, mapping: ColumnMapping) -> tuple[str, ...]:
    notes = []
    if summary["rows_read"] == 0:
        notes.append("header only: the file has no data rows")
    if not mapping.labelled:
        notes.append(
            "unlabelled: the file has no star_rating or label column, sentiment is null (to score, not to train on)"
        )
    if mapping.product_category is None:
        notes.append(f"no category column: product_category is {UNKNOWN_CATEGORY!r}")
    if summary["date_defaulted_rows"]:
        notes.append(
            f"{summary['date_defaulted_rows']} rows have no date "
            f"({'blank date' if mapping.date is not None else 'the source has no date column'}): "
            "`date` is the ingestion time (UTC)"
        )
    return tuple(notes)


def _read_one(
    source: SourceFile,
    spec: SourceSpec,
    ingested_at: pd.Timestamp,
    chunk_rows: int,
    s3_client: Any,
    ingested: IngestedIds,
) -> Iterator[FileBatch]:
    """Batches of one file; raises SourceError when the file cannot be read."""
    fmt = format_for(source.uri)
    if source.size == 0:
        raise SourceError(source.uri, "the file is empty (0 bytes, no header row)")
    with local_copy(source, s3_client) as path:
        header = read_header(path, fmt, _options(spec, None), source.uri)
        preset = choose_preset(spec, header.columns, source.uri)
        mapping = preset.resolve(header.columns)
        seen = SeenIds()
        totals = {"rows_read": 0, "accepted": 0, "rejected": 0, "date_defaulted_rows": 0}
        reasons: Counter[str] = Counter()
        for chunk in iter_chunks(path, fmt, _options(spec, preset), header, chunk_rows, source.uri):
            normalised = normalise(chunk.frame, mapping, ingested_at)
            problems = value_problems(chunk, mapping, spec.max_field_chars)
            accepted, rejected, ok = validate(chunk, normalised, source.uri, seen, ingested, problems)
            totals["rows_read"] += len(chunk.frame)
            totals["accepted"] += len(accepted)
            totals["rejected"] += len(rejected)
            totals["date_defaulted_rows"] += int(normalised.date_defaulted[ok].sum())
            reasons.update(rejected["reason"].tolist())
            yield FileBatch(source.uri, preset.name, accepted, rejected, totals["rows_read"])
    # The invariant the ingest rests on, per file: nothing read is lost.
    assert totals["accepted"] + totals["rejected"] == totals["rows_read"]
    ingested.add(seen.ids, source.uri)
    summary = FileSummary(
        source.uri,
        source.sha256,
        source.size,
        preset.name,
        rows_read=totals["rows_read"],
        accepted=totals["accepted"],
        rejected=totals["rejected"],
        date_defaulted_rows=totals["date_defaulted_rows"],
        rejection_reasons=dict(reasons),
        notes=_notes(totals, mapping),
        labelled=mapping.labelled,
    )
    yield FileBatch(source.uri, preset.name, empty_accepted(), empty_rejected(), totals["rows_read"], summary)


def read_reviews(
    location: str,
    spec: SourceSpec,
    ingested_at: datetime,
    chunk_rows: int = 100_000,
    s3_client: Any = None,
    ingested_ids: IngestedIds | Mapping[str, str] | Iterable[str] | None = None,
    on_file_error: Literal["report", "raise"] = "report",
) -> Iterator[FileBatch]:
    """Every review file at `location` (file, glob, directory or s3:// prefix), in sorted order,
    as batches of at most `chunk_rows` rows.

    `ingested_ids` are review ids already in the warehouse (IngestedIds.from_frame of its
    review_id/source_file columns, a mapping id -> source file, or just ids): a row
    whose id is among them is rejected as a duplicate, as is a row whose id an earlier file of this
    read brought. With on_file_error="report" a file that cannot be read ends with a summary whose
    `error` names it and the next file is read; with "raise" its SourceError propagates. A location
    with no review files is always an error.
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be >= 1, got {chunk_rows}")
    stamp = naive_utc(ingested_at)
    # A copy: this read adds each finished file's ids to it, the caller's stays as it was.
    ingested = ingested_ids.copy() if isinstance(ingested_ids, IngestedIds) else IngestedIds(ingested_ids)
    for source in expand_location(location, s3_client):
        preset = None
        try:
            for batch in _read_one(source, spec, stamp, chunk_rows, s3_client, ingested):
                preset = batch.preset
                yield batch
        except SourceError as error:
            if on_file_error == "raise":
                raise
            # A failed file contributes no rows: its counts are zero, the error says how far it got.
            summary = FileSummary(source.uri, source.sha256, source.size, preset, error=str(error))
            yield FileBatch(source.uri, preset, empty_accepted(), empty_rejected(), 0, summary)


@dataclass(frozen=True)
class FileResult:
    """One file's batches gathered into whole frames."""

    accepted: pd.DataFrame
    rejected: pd.DataFrame
    summary: FileSummary


def gather(batches: Iterable[FileBatch]) -> dict[str, FileResult]:
    """For small reads and tests: each file's batches concatenated, keyed by file in read order.
    A failed file's partial batches are dropped, as the streaming contract asks of every caller."""
    pending: dict[str, list[FileBatch]] = {}
    results: dict[str, FileResult] = {}
    for batch in batches:
        pending.setdefault(batch.source_file, []).append(batch)
        if batch.summary is not None:
            parts = pending.pop(batch.source_file) if batch.summary.ok else [batch]
            results[batch.source_file] = FileResult(
                pd.concat([p.accepted for p in parts], ignore_index=True),
                pd.concat([p.rejected for p in parts], ignore_index=True),
                batch.summary,
            )
    return results
