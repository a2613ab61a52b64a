"""SageMaker Clarify's pre-training bias metrics, with smclarify's exact semantics, from counts.

Pre-training metrics look at the data alone, before any model: is the facet group d
(e.g. one product category) under-represented, and are its labels distributed differently
from the rest a? Labels are first collapsed to binary: positive iff in `positive_label_values`.

- CI   = (n_a - n_d) / (n_a + n_d): class imbalance; > 0 means d is the smaller group.
- DPL  = q_a - q_d, q = share of positive labels: > 0 means d gets fewer positive labels.
- KL, JS, LP, TVD, KS: distances between the binary label PMFs of a and d, restricted to the
  label values present in both groups and not renormalised (see `divergences`).
- CDDL = sum_i n_i DD_i / sum_i n_i over the subgroups i of a group variable, with
  DD_i = n_d(rejected, i) / n(rejected, i) - n_d(accepted, i) / n(accepted, i):
  d's share of the rejected (negative labels) minus its share of the accepted (positive labels)
  within each subgroup, weighted by subgroup size. > 0 means d is over-represented among the
  rejected even after conditioning on the group (Simpson's paradox guard). A subgroup without
  rejected (or accepted) rows contributes 0 for that share, as in smclarify.

Undefined cases give NaN instead of smclarify's exception: an empty d or a (every metric), no
common label value (the distances), no positive or no negative label at all (CDDL).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from sentiment_assets.bias.divergences import all_distances, probabilities
from sentiment_assets.bias.groups import (
    both_groups_present,
    category_codes,
    count_table,
    facet_groups,
    positive_label_index,
    split_counts,
)
from sentiment_assets.frames import columns as select

# Clarify's own names (the first line of each smclarify metric's docstring), for analysis.json.
PRETRAINING_DESCRIPTIONS: dict[str, str] = {
    "CDDL": "Conditional Demographic Disparity in Labels (CDDL)",
    "CI": "Class Imbalance (CI)",
    "DPL": "Difference in Positive Proportions in Labels (DPL)",
    "JS": "Jensen-Shannon Divergence (JS)",
    "KL": "Kullback-Leibler Divergence (KL)",
    "KS": "Kolmogorov-Smirnov Distance (KS)",
    "LP": "L-p Norm (LP)",
    "TVD": "Total Variation Distance (TVD)",
}


def ci_and_dpl(d: np.ndarray, a: np.ndarray) -> dict[str, np.ndarray]:
    """CI, DPL and the positive shares from binary label counts d, a of shape (..., 2) = (neg, pos)."""
    n_d, n_a = d.sum(axis=-1), a.sum(axis=-1)
    defined = both_groups_present(n_d, n_a)
    with np.errstate(divide="ignore", invalid="ignore"):
        q_d = np.where(n_d > 0, d[..., 1] / n_d, np.nan)
        q_a = np.where(n_a > 0, a[..., 1] / n_a, np.nan)
        ci = np.where(defined, (n_a - n_d) / (n_a + n_d), np.nan)
    return {"n_d": n_d, "n_a": n_a, "q_d": q_d, "q_a": q_a, "CI": ci, "DPL": np.where(defined, q_a - q_d, np.nan)}


def label_distances(d: np.ndarray, a: np.ndarray) -> dict[str, np.ndarray]:
    """KL, JS, LP, TVD, KS on Clarify's common support: label values counted in both groups."""
    support = (d > 0) & (a > 0)  # empty when d or a is empty, so those come out NaN
    return all_distances(probabilities(a), probabilities(d), support)


def conditional_demographic_disparity(d: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """CDD from d's counts [..., groups, 2] and every row's counts [groups, 2] (neg, pos).

    Used with true labels (CDDL) and with predicted labels (CDDPL, post-training).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        # A subgroup without rejected (accepted) rows: that share is 0, as smclarify does.
        rejected_share = np.where(totals[:, 0] > 0, d[..., 0] / totals[:, 0], 0.0)
        accepted_share = np.where(totals[:, 1] > 0, d[..., 1] / totals[:, 1], 0.0)
    subgroup_sizes = totals.sum(axis=-1)
    cdd = ((rejected_share - accepted_share) * subgroup_sizes).sum(axis=-1) / subgroup_sizes.sum()
    n_d = d.sum(axis=(-2, -1))
    n = totals.sum()
    both_labels_seen = (totals[:, 0].sum() > 0) & (totals[:, 1].sum() > 0)
    return np.where(both_groups_present(n_d, n - n_d) & both_labels_seen, cdd, np.nan)


def pretraining_metrics(
    facet: pd.Series,
    label: pd.Series,
    positive_label_values: Iterable[object],
    *,
    sensitive_values: Sequence[object] | None = None,
    threshold: float | None = None,
    group: pd.Series | None = None,
) -> pd.DataFrame:
    """Every Clarify pre-training metric for each facet group d, one row per group.

    Columns: value_or_threshold, n_d, n_a, q_d, q_a, then CI, DPL, KL, JS, LP, TVD, KS and, when a
    group variable is given, CDDL (Clarify reports CDDL only with one).
    """
    groups = facet_groups(facet, sensitive_values=sensitive_values, threshold=threshold)
    positive = positive_label_index(label, positive_label_values).astype(np.intp)
    d, a = split_counts(count_table([groups.codes, positive], [groups.n_levels, 2]), groups.membership)
    columns = {"value_or_threshold": groups.names, **ci_and_dpl(d, a), **label_distances(d, a)}
    if group is not None:
        group_codes, group_values = category_codes(group)
        table = count_table([groups.codes, group_codes, positive], [groups.n_levels, len(group_values), 2])
        d_by_group, _ = split_counts(table, groups.membership)
        columns["CDDL"] = conditional_demographic_disparity(d_by_group, table.sum(axis=0))
    frame = pd.DataFrame(columns)
    frame[["n_d", "n_a"]] = frame[["n_d", "n_a"]].astype(int)
    return frame


def class_imbalance_and_dpl(
    facet: pd.Series, label: pd.Series, positive_label_values: Iterable[object]
) -> pd.DataFrame:
    """One row per facet value (one-vs-rest): facet_value, n_d, n_a, CI, q_d, q_a, DPL."""
    metrics = pretraining_metrics(facet, label, positive_label_values)
    return select(
        metrics.rename(columns={"value_or_threshold": "facet_value"}),
        ["facet_value", "n_d", "n_a", "CI", "q_d", "q_a", "DPL"],
    )
