"""Rows/s and peak memory for ingesting a 1,000,000-row generic review CSV with the streaming reader.

The CSV is seeded and synthetic: review texts, titles, stars and categories come from
sentiment_assets.synthetic (realistic lengths: ~63 words a review, ~4% blank texts), generated
once for a base of rows and tiled with fresh review ids, dates and vote counts. It is written
under /tmp (not committed). The ingest runs in a child process, so its peak RSS is the reader's
alone, not the generator's. Issue #3's target: peak memory < 2 GB.

    python benchmarks/ingest_speed.py [--rows 1000000] [--chunk-rows 100000] [--duckdb]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

BASE_ROWS = 20_000  # distinct synthetic reviews, tiled up to --rows
MAPPING = {
    "review_id": "id",
    "review_body": "text",
    "title": "headline",
    "star_rating": "stars",
    "product_category": "category",
    "date": "created_at",
    "extra": ["helpful_votes", "channel"],
}


def write_generic_csv(path: Path, rows: int, seed: int = 42, block: int = 100_000) -> Path:
    """A seeded generic CSV (id, created_at, headline, text, stars, category, helpful_votes, channel)."""
    from sentiment_assets.synthetic.generator import generate_clothing_reviews

    base = generate_clothing_reviews(min(rows, BASE_ROWS), seed)
    rng = np.random.default_rng(seed)
    start = np.datetime64("2015-01-01T00:00:00")
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8", newline="") as out:
        for first in range(0, rows, block):
            n = min(block, rows - first)
            picks = rng.integers(0, len(base), n)
            seconds = rng.integers(0, 10 * 365 * 86400, n)
            frame = pd.DataFrame(
                {
                    "id": [f"r{i:08d}" for i in range(first, first + n)],
                    "created_at": np.datetime_as_string(start + seconds.astype("timedelta64[s]"), unit="s"),
                    "headline": base["Title"].to_numpy()[picks],
                    "text": base["Review Text"].to_numpy()[picks],
                    "stars": base["Rating"].to_numpy()[picks],
                    "category": base["Class Name"].to_numpy()[picks],
                    "helpful_votes": rng.negative_binomial(0.3, 0.1, n),
                    "channel": rng.choice(np.array(["web", "app", "store"]), n),
                }
            )
            frame.to_csv(out, index=False, header=first == 0, lineterminator="\n")
    partial.rename(path)
    return path


def measure(path: Path, chunk_rows: int, duckdb_path: str | None) -> dict:
    """Stream the file through read_reviews (and optionally into DuckDB); count what came out."""
    from sentiment_assets.sources import ColumnMapping, SourceSpec, read_reviews

    spec = SourceSpec(preset="generic", mapping=ColumnMapping(**MAPPING))
    connection = None
    if duckdb_path:
        import duckdb

        Path(duckdb_path).unlink(missing_ok=True)
        connection = duckdb.connect(duckdb_path)
    counts = {"accepted": 0, "rejected": 0, "batches": 0}
    began = time.perf_counter()
    for batch in read_reviews(str(path), spec, datetime.now(UTC), chunk_rows=chunk_rows):
        counts["accepted"] += len(batch.accepted)
        counts["rejected"] += len(batch.rejected)
        counts["batches"] += 1
        if connection is not None and len(batch.accepted):
            connection.register("chunk", batch.accepted)
            exists = counts["batches"] > 1
            connection.execute(
                ("INSERT INTO raw_reviews " if exists else "CREATE TABLE raw_reviews AS ") + "SELECT * FROM chunk"
            )
            connection.unregister("chunk")
        if batch.summary is not None:
            summary = batch.summary
    seconds = time.perf_counter() - began
    assert summary.ok and counts["accepted"] + counts["rejected"] == summary.rows_read
    return {
        "rows": summary.rows_read,
        **counts,
        "seconds": round(seconds, 2),
        "rows_per_s": round(summary.rows_read / seconds),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),  # Linux: KiB
        "rejection_reasons": dict(summary.rejection_reasons),
        "file_mb": round(path.stat().st_size / 2**20),
        "chunk_rows": chunk_rows,
        "duckdb": bool(duckdb_path),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--duckdb", action="store_true", help="also stream accepted rows into a DuckDB file under /tmp")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.measure:
        duckdb_path = "/tmp/ingest_speed.duckdb" if args.duckdb else None
        print(json.dumps(measure(args.measure, args.chunk_rows, duckdb_path)))
        return
    path = Path(f"/tmp/ingest_speed_generic_{args.rows}.csv")
    if not path.exists():
        began = time.perf_counter()
        write_generic_csv(path, args.rows)
        print(f"wrote {path} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - began:.1f} s")
    child = [sys.executable, __file__, "--measure", str(path), "--chunk-rows", str(args.chunk_rows)]
    result = subprocess.run(child + (["--duckdb"] if args.duckdb else []), check=True, capture_output=True, text=True)
    print(result.stdout.strip())


if __name__ == "__main__":
    main()
