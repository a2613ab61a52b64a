"""Read one Women's E-Commerce Clothing Reviews CSV (Kaggle layout) into the normalised schema:
the `womens_clothing` preset of the general reader, gathered into whole frames.

Kept for callers that want one small file in memory; large or many files go through
`read_reviews`, which streams.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from .presets import CLOTHING_RENAMES, WOMENS_CLOTHING
from .reader import gather, read_reviews
from .schema import NORMALISED_COLUMNS, REJECTED_COLUMNS, SourceError
from .spec import SourceSpec

REQUIRED_COLUMNS: tuple[str, ...] = WOMENS_CLOTHING.required
SourceSchemaError = SourceError  # the name this module used before the general reader existed

__all__ = [
    "CLOTHING_RENAMES",
    "IngestResult",
    "NORMALISED_COLUMNS",
    "REJECTED_COLUMNS",
    "REQUIRED_COLUMNS",
    "SourceSchemaError",
    "read_clothing_reviews",
]


@dataclass(frozen=True)
class IngestResult:
    accepted: pd.DataFrame
    rejected: pd.DataFrame
    rows_read: int
    source_file: str

    def __post_init__(self) -> None:
        # The bookkeeping invariant the whole ingest rests on.
        assert len(self.accepted) + len(self.rejected) == self.rows_read


def read_clothing_reviews(path: str | Path, ingested_at: datetime) -> IngestResult:
    """Read one clothing-schema CSV. `ingested_at` becomes `date`: the file carries no review date.
    A file that cannot be read raises SourceError (alias SourceSchemaError) naming it."""
    batches = read_reviews(str(path), SourceSpec(preset="womens_clothing"), ingested_at, on_file_error="raise")
    [result] = gather(batches).values()
    return IngestResult(result.accepted, result.rejected, result.summary.rows_read, result.summary.source_file)
