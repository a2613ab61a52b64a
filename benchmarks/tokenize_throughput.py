"""Reviews/s and peak memory for tokenizing 1,000,000 generated reviews with tokenize_stream.

Review texts come from sentiment_assets.synthetic (~63 words, ~84 MiniLM tokens a review):
a base of 50,000 rows is generated once and cycled, chunk by chunk, with fresh review ids, so
the 1M texts never exist as Python strings at the same time. Each configuration (workers=1,
workers=2) runs in its own child process that streams (review_id, review_body) chunks through
tokenize_stream and writes every result batch to a Parquet file under /tmp with ParquetWriter.
Issue #5's target: peak RSS <= 2 GB.

    python benchmarks/tokenize_throughput.py [--rows 1000000] [--workers 1 2] [--chunk-rows 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator

import numpy as np
import pandas as pd

BASE_ROWS = 50_000  # distinct synthetic reviews, cycled up to --rows
MAX_SEQ_LENGTH = 256  # what max_seq_length_from_tokens picks for this data (longest ~185 tokens)


def review_chunks(rows: int, chunk_rows: int, seed: int = 42) -> Iterator[pd.DataFrame]:
    """(review_id, review_body) chunks of generated reviews, as a DuckDB query would stream them."""
    from sentiment_assets.synthetic.generator import generate_clothing_reviews

    base = generate_clothing_reviews(BASE_ROWS, seed)["Review Text"].dropna().to_numpy()
    for first in range(0, rows, chunk_rows):
        ids = np.arange(first, min(first + chunk_rows, rows), dtype=np.int64)
        yield pd.DataFrame({"review_id": ids, "review_body": base[ids % len(base)]})


def measure(rows: int, workers: int, chunk_rows: int) -> dict:
    """Tokenize `rows` reviews with `workers` processes into a Parquet file; time and memory."""
    import pyarrow.parquet as pq

    from sentiment_assets.features.tokenization import tokenize_stream

    chunks = review_chunks(rows, chunk_rows)
    first_chunk = next(chunks)  # generate the base before the clock starts
    path = f"/tmp/tokenize_throughput_w{workers}.parquet"
    began = time.perf_counter()
    done = tokens = first_rows = 0
    writer = None
    stream = tokenize_stream(_chain(first_chunk, chunks), None, MAX_SEQ_LENGTH, chunk_rows, workers)
    for batch in stream:
        if writer is None:
            first_batch_s = time.perf_counter() - began  # includes loading the tokenizer(s)
            writer = pq.ParquetWriter(path, batch.schema)
            first_rows = batch.num_rows
        writer.write_batch(batch)
        done += batch.num_rows
        tokens += len(batch.column("input_ids").values)
    if writer is None:
        raise RuntimeError(f"tokenize_stream yielded no batches for {rows} rows")
    writer.close()
    seconds = time.perf_counter() - began
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    # RUSAGE_CHILDREN reports the largest single worker, once the pool has been joined.
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 if workers > 1 else 0.0
    return {
        "workers": workers,
        "rows": done,
        "chunk_rows": chunk_rows,
        "seconds": round(seconds, 1),
        "reviews_per_s": round(done / seconds),
        "first_batch_s": round(first_batch_s, 1),
        # After the first batch: the rate a long run settles at, without the start-up.
        "steady_reviews_per_s": round((done - first_rows) / max(seconds - first_batch_s, 1e-9)),
        "tokens_per_review": round(tokens / done, 1),
        "peak_rss_main_mb": round(own),
        "peak_rss_largest_worker_mb": round(child),
        "peak_rss_total_mb_upper_bound": round(own + child * (workers if workers > 1 else 0)),
        "parquet_mb": round(os.path.getsize(path) / 2**20, 1),
    }


def _chain(first, rest):
    yield first
    yield from rest


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--chunk-rows", type=int, default=10_000)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.rows, args.workers[0], args.chunk_rows)))
        return
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    for workers in args.workers:
        # A fresh process per configuration, so each peak RSS is its own.
        child = [
            sys.executable,
            __file__,
            "--measure",
            "--rows",
            str(args.rows),
            "--workers",
            str(workers),
            "--chunk-rows",
            str(args.chunk_rows),
        ]
        result = subprocess.run(child, check=True, capture_output=True, text=True)
        print(result.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
