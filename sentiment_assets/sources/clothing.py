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

from .reader import gather, read_reviews
from .spec import SourceSpec

__all__ = ["IngestResult", "read_clothing_reviews"]


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
    A file that cannot be read raises SourceError (sentiment_assets.sources) naming it."""
    batches = read_reviews(str(path), SourceSpec(preset="womens_clothing"), ingested_at, on_file_error="raise")
    [result] = gather(batches).values()
    return IngestResult(result.accepted, result.rejected, result.summary.rows_read, result.summary.source_file)
