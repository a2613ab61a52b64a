"""Balancing: down-sampling to the smallest group (the course's two steps) and up-sampling.

- by product_category x sentiment: every (category, sentiment) cell gets the same count, the
  bias demonstration (afterwards CI is equal across categories and DPL is 0);
- by sentiment only: the training data, equal classes.
"""

from __future__ import annotations

from typing import cast

import pandas as pd


def values_missing_a_label(frame: pd.DataFrame, facet: str, label: str) -> list[str]:
    """Facet values that lack at least one label value: balancing their cells would empty everything."""
    labels_seen = frame.groupby(facet)[label].nunique()
    return sorted(str(v) for v in labels_seen.loc[labels_seen < frame[label].nunique()].index)


def balance(frame: pd.DataFrame, by: list[str], seed: int) -> pd.DataFrame:
    """Seeded down-sampling of every group in `by` to the size of the smallest group.

    Groups are the observed combinations of `by`; drop facet values with an empty combination
    first (see `values_missing_a_label`), or the result is not balanced across them.
    """
    if frame.empty:
        return frame.copy()
    smallest = int(frame.groupby(by).size().min())
    sampled = cast(pd.DataFrame, frame.groupby(by, group_keys=False).sample(n=smallest, random_state=seed))
    # A stable order (not the sampling order) keeps downstream hashing and diffs reproducible.
    return sampled.sort_values(by + ["review_id"]).reset_index(drop=True)


def keep_human_labelled(balanced: pd.DataFrame, reviews: pd.DataFrame) -> pd.DataFrame:
    """`balanced` plus every human-labelled review that down-sampling left out: a label a person
    took the time to give is the most informative row there is (they are the model's doubts),
    and there are few enough of them not to unbalance the classes."""
    human = reviews.loc[(reviews["label_source"] == "human") & ~reviews["review_id"].isin(balanced["review_id"])]
    if human.empty:
        return balanced
    return pd.concat([balanced, human]).sort_values(["sentiment", "review_id"]).reset_index(drop=True)


COPY_MARK = "#copy"  # review_id of an up-sampled copy: <original id>#copy<k>


def upsample(frame: pd.DataFrame, by: list[str], seed: int) -> pd.DataFrame:
    """Seeded up-sampling of every group in `by` to the size of the largest, by drawing copies
    of its reviews with replacement. A copy's review_id is `<id>#copy<k>` (ids stay unique, as
    the feature store needs) and `original_review_id` names the review it repeats, which is what
    the train/validation/test split is decided on: a review and its copies share a split."""
    frame = frame.assign(original_review_id=frame["review_id"])
    if frame.empty:
        return frame
    largest = int(frame.groupby(by).size().max())
    copies = []
    for _, group in frame.groupby(by):
        missing = largest - len(group)
        if missing:
            drawn = group.sample(n=missing, replace=True, random_state=seed)
            k = drawn.groupby("review_id").cumcount() + 1
            copies.append(drawn.assign(review_id=drawn["review_id"] + COPY_MARK + k.astype(str)))
    return pd.concat([frame, *copies]).sort_values(by + ["review_id"]).reset_index(drop=True)


def training_population(reviews: pd.DataFrame, balancing: str, seed: int) -> pd.DataFrame:
    """The training rows for a balancing choice: `none` keeps every review (the models weight the
    classes in their losses), `downsample` is the course's (human-labelled reviews always stay),
    `upsample` repeats reviews of the smaller classes. Every row has `original_review_id`."""
    if balancing == "none":
        return (
            reviews.assign(original_review_id=reviews["review_id"])
            .sort_values(["sentiment", "review_id"])
            .reset_index(drop=True)
        )
    if balancing == "downsample":
        kept = keep_human_labelled(balance(reviews, by=["sentiment"], seed=seed), reviews)
        return kept.assign(original_review_id=kept["review_id"])
    if balancing == "upsample":
        return upsample(reviews, by=["sentiment"], seed=seed)
    raise ValueError(f"unknown balancing {balancing!r}; choose none, downsample or upsample")
