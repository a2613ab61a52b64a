"""One convention for timestamps in tables: naive UTC, so DuckDB, Parquet and Athena agree."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd


def naive_utc(moment: datetime | None = None) -> pd.Timestamp:
    """`moment` (default: now) as a timezone-naive UTC timestamp."""
    stamp = pd.Timestamp(moment or datetime.now(UTC))
    if not isinstance(stamp, pd.Timestamp):  # NaT: never made from a datetime
        raise ValueError(f"not a moment in time: {moment!r}")
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp
