"""Model fairness by category with fairlearn: per-group performance and two parity gaps.

Clarify's post-training metrics compare d with the rest one value at a time; fairlearn's
`MetricFrame` puts every category side by side, which is how a reader spots the category the
model serves worst.

- by group: accuracy (3-class), recall of each sentiment class, selection rate (the share of
  reviews predicted as the positive class) and the group's size.
- demographic-parity difference: the largest gap in selection rate between any two groups.
- equalized-odds difference: the larger of the largest gaps in true-positive rate and in
  false-positive rate between any two groups.

Both gaps are binary notions. For the 3-class problem we binarise one way, stated here and in the
report: positive = the label (or prediction) is in `positive_label_values` (sentiment 1), the
rest (-1 and 0) is negative — the same collapsing as Clarify's metrics. A group with no positive
(or no negative) labels has an undefined true- (false-) positive rate; fairlearn then counts it
as 0, so check the group sizes before trusting a large equalized-odds gap from a tiny category.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    equalized_odds_difference,
    selection_rate,
)
from sklearn.metrics import accuracy_score, recall_score


@dataclass(frozen=True)
class FairnessSummary:
    """fairlearn's view of a model by group, and the two gaps the report headlines."""

    by_group: pd.DataFrame  # one row per group: accuracy, recall_<class>..., selection_rate, count
    overall: pd.Series  # the same metrics on all rows
    demographic_parity_difference: float
    equalized_odds_difference: float
    positive_label_values: tuple[object, ...]


def _recall_of(label: object):
    # One class's recall; NaN (not 0) when a group has no review of that class.
    # cast: untyped scikit-learn, whose default "warn" a checker reads as the parameter's only type.
    return functools.partial(recall_score, labels=[label], average="macro", zero_division=cast(Any, np.nan))


def fairness_by_group(
    label: pd.Series,
    prediction: pd.Series,
    sensitive: pd.Series,
    *,
    classes: Sequence[object] = (-1, 0, 1),
    positive_label_values: Iterable[object] = (1,),
) -> FairnessSummary:
    """MetricFrame by `sensitive` (e.g. product_category) plus demographic-parity and
    equalized-odds differences on the binarised problem (positive = in positive_label_values)."""
    positives = list(positive_label_values)
    y_true, y_pred = np.asarray(label), np.asarray(prediction)
    y_true_binary = np.isin(y_true, np.asarray(positives)).astype(int)
    y_pred_binary = np.isin(y_pred, np.asarray(positives)).astype(int)
    features = np.asarray(sensitive).astype(str)
    metrics = {"accuracy": accuracy_score, **{f"recall_{c}": _recall_of(c) for c in classes}}
    frame = MetricFrame(metrics=metrics, y_true=y_true, y_pred=y_pred, sensitive_features=features)
    # Selection rate and count on the binarised predictions: "predicted positive" as in Clarify.
    binary = MetricFrame(
        metrics={"selection_rate": functools.partial(selection_rate, pos_label=1), "count": count},
        y_true=y_true_binary,
        y_pred=y_pred_binary,
        sensitive_features=features,
    )
    by_group = pd.concat([frame.by_group, binary.by_group], axis=1).astype({"count": int})
    by_group.index.name = getattr(sensitive, "name", None) or "group"
    return FairnessSummary(
        by_group=by_group,
        overall=cast(pd.Series, pd.concat([frame.overall, binary.overall])),  # both Series
        demographic_parity_difference=float(
            demographic_parity_difference(y_true_binary, y_pred_binary, sensitive_features=features)
        ),
        equalized_odds_difference=float(
            equalized_odds_difference(y_true_binary, y_pred_binary, sensitive_features=features)
        ),
        positive_label_values=tuple(positives),
    )
