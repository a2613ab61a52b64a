"""Down-sampling to the smallest group, the course's two balancing steps.

- by product_category x sentiment: every (category, sentiment) cell gets the same count, the
  bias demonstration (afterwards CI is equal across categories and DPL is 0);
- by sentiment only: the training data, equal classes.
"""

from __future__ import annotations

import pandas as pd


def balance(frame: pd.DataFrame, by: list[str], seed: int) -> pd.DataFrame:
    """Seeded down-sampling of every group in `by` to the size of the smallest group."""
    if frame.empty:
        return frame.copy()
    smallest = int(frame.groupby(by).size().min())
    sampled = frame.groupby(by, group_keys=False).sample(n=smallest, random_state=seed)
    # A stable order (not the sampling order) keeps downstream hashing and diffs reproducible.
    return sampled.sort_values(by + ["review_id"]).reset_index(drop=True)
