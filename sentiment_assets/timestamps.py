"""One convention for timestamps in tables: naive UTC, so DuckDB, Parquet and Athena agree."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd


def naive_utc(moment: datetime | None = None) -> pd.Timestamp:
    """`moment` (default: now) as a timezone-naive UTC timestamp."""
    stamp = pd.Timestamp(moment or datetime.now(UTC))
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp
