"""Single-record latency of the online feature store (issue #5's target: p99 <= 5 ms locally).

Builds a store of seeded synthetic review features (default 100,000 records, ~60 token ids each)
in a temporary DuckDB file, loads the online store from it, then times random single lookups
one by one and prints p50/p95/p99 and the build times.

    python benchmarks/online_lookup_latency.py [--records 100000] [--lookups 10000] [--seed 42]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sentiment_assets.features.feature_group import REVIEWS_FEATURE_GROUP
from sentiment_assets.features.online_store import OnlineFeatureStore
from sentiment_assets.features.store import OfflineFeatureStore

WORDS = np.array(
    ["soft", "fabric", "runs", "small", "lovely", "color", "cheap", "seams", "returned", "perfect", "fit", "dress"]
)


def synthetic_features(records: int, seed: int) -> pd.DataFrame:
    """Rows in the reviews feature group's schema; input_ids lengths ~ N(60, 15) within [8, 128]."""
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.normal(60, 15, records).astype(int), 8, 128)
    token_ids = rng.integers(1000, 30_000, lengths.sum(), dtype=np.int32)
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    sentiment = rng.choice([-1, 0, 1], records, p=[0.1, 0.12, 0.78])
    return pd.DataFrame(
        {
            "review_id": [f"r{i:07d}" for i in range(records)],
            "date": pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365 * 86_400, records), unit="s"),
            "sentiment": sentiment,
            "label_id": sentiment + 1,
            "input_ids": [token_ids[bounds[i] : bounds[i + 1]] for i in range(records)],
            "review_body": [" ".join(rng.choice(WORDS, 12)) for _ in range(records)],
            "split_type": rng.choice(["train", "validation", "test"], records, p=[0.9, 0.05, 0.05]),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    features = synthetic_features(args.records, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        offline = OfflineFeatureStore.at_path(Path(folder) / "features.duckdb")
        started = time.perf_counter()
        offline.ingest(REVIEWS_FEATURE_GROUP, features, ingested_at=datetime(2024, 1, 1))
        ingested = time.perf_counter()
        online = OnlineFeatureStore.load(offline, REVIEWS_FEATURE_GROUP)
        loaded = time.perf_counter()

    rng = np.random.default_rng(args.seed + 1)
    ids = features["review_id"].to_numpy()[rng.integers(0, args.records, args.lookups)].tolist()
    timings = np.empty(args.lookups)
    for i, record_id in enumerate(ids):
        begin = time.perf_counter_ns()
        record = online.get(record_id)
        timings[i] = time.perf_counter_ns() - begin
        assert record is not None and record["review_id"] == record_id
    p50, p95, p99 = np.percentile(timings, [50, 95, 99]) / 1e6

    print(
        f"records: {args.records:,}  mean input_ids: {features['input_ids'].map(len).mean():.1f}  "
        f"lookups: {args.lookups:,}"
    )
    print(f"build: offline ingest {ingested - started:.2f} s, online load {loaded - ingested:.2f} s")
    print(f"single get(): p50 {p50:.4f} ms  p95 {p95:.4f} ms  p99 {p99:.4f} ms  max {timings.max() / 1e6:.3f} ms")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
