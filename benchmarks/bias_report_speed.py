"""Seconds for the full pre-training bias report on 1,000,000 rows x 20 facet values.

"Full" = every Clarify pre-training metric (CI, DPL, KL, JS, LP, TVD, KS, and CDDL with a group
variable) for every facet value, the multi-class distances, 1,000-replicate bootstrap intervals
for CI and DPL, and the analysis.json and markdown renderings. The data is seeded and synthetic;
the facet is a plain string column, as it comes out of the warehouse (the slow case to factorise).
The target (issue #4) is <= 10 s on the 2-core development machine.

    python benchmarks/bias_report_speed.py [--rows 1000000] [--values 20] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import pandas as pd

from sentiment_assets.bias.analysis_json import analysis_json
from sentiment_assets.bias.markdown import markdown_report
from sentiment_assets.bias.report import pretraining_report


def make_reviews(rows: int, values: int, seed: int = 42) -> pd.DataFrame:
    """Seeded rows: a skewed category facet, a group variable, sentiment that depends on the category."""
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.full(values, 0.8))
    category = rng.choice(values, size=rows, p=weights)
    # Each category gets its own sentiment mix so the metrics are not all zero.
    positive_share = rng.uniform(0.55, 0.85, size=values)
    draw = rng.random(rows)
    share = positive_share[category]
    sentiment = np.where(draw < share, 1, np.where(draw < share + (1 - share) / 2, 0, -1))
    names = np.array([f"category_{v:02d}" for v in range(values)], dtype=object)
    return pd.DataFrame(
        {
            "product_category": names[category],
            "division": rng.choice(np.array(["General", "General Petite", "Intimates"], dtype=object), size=rows),
            "sentiment": sentiment,
        }
    )


def full_report(reviews: pd.DataFrame) -> tuple[dict, str]:
    report = pretraining_report(
        reviews, "product_category", "sentiment", [1], group="division", n_resamples=1000, seed=0
    )
    return analysis_json([report]), markdown_report("Pre-training bias", [("product_category", report)])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--values", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    reviews = make_reviews(args.rows, args.values)
    seconds = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        document, _ = full_report(reviews)
        seconds.append(time.perf_counter() - start)
    assert len(document["pre_training_bias_metrics"]["facets"]["product_category"]) == args.values
    print(
        json.dumps(
            {
                "rows": args.rows,
                "facet_values": args.values,
                "seconds_each": [round(s, 3) for s in seconds],
                "seconds_median": round(statistics.median(seconds), 3),
                "target_seconds": 10,
            }
        )
    )


if __name__ == "__main__":
    main()
