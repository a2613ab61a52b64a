"""Down-sampling to the smallest group, the course's two balancing steps.

- by product_category x sentiment: every (category, sentiment) cell gets the same count, the
  bias demonstration (afterwards CI is equal across categories and DPL is 0);
- by sentiment only: the training data, equal classes.
"""

from __future__ import annotations

import pandas as pd


def values_missing_a_label(frame: pd.DataFrame, facet: str, label: str) -> list[str]:
    """Facet values that lack at least one label value: balancing their cells would empty everything."""
    labels_seen = frame.groupby(facet)[label].nunique()
    return sorted(str(v) for v in labels_seen[labels_seen < frame[label].nunique()].index)


def balance(frame: pd.DataFrame, by: list[str], seed: int) -> pd.DataFrame:
    """Seeded down-sampling of every group in `by` to the size of the smallest group.

    Groups are the observed combinations of `by`; drop facet values with an empty combination
    first (see `values_missing_a_label`), or the result is not balanced across them.
    """
    if frame.empty:
        return frame.copy()
    smallest = int(frame.groupby(by).size().min())
    sampled = frame.groupby(by, group_keys=False).sample(n=smallest, random_state=seed)
    # A stable order (not the sampling order) keeps downstream hashing and diffs reproducible.
    return sampled.sort_values(by + ["review_id"]).reset_index(drop=True)


def keep_human_labelled(balanced: pd.DataFrame, reviews: pd.DataFrame) -> pd.DataFrame:
    """`balanced` plus every human-labelled review that down-sampling left out: a label a person
    took the time to give is the most informative row there is (they are the model's doubts),
    and there are few enough of them not to unbalance the classes."""
    human = reviews[(reviews["label_source"] == "human") & ~reviews["review_id"].isin(balanced["review_id"])]
    if human.empty:
        return balanced
    return pd.concat([balanced, human]).sort_values(["sentiment", "review_id"]).reset_index(drop=True)
