"""Beyond Clarify: label-distribution distances over all classes (negative / neutral / positive).

Clarify collapses labels to binary first, so a category whose reviews shift from neutral to
negative looks unbiased as long as its share of positives holds. Here the distributions run
over every class in `classes` (default: the label values seen anywhere in the data, sorted;
for sentiment that is -1, 0, 1), with no collapsing and no common-support trimming.

Smoothing (stated, because it changes the numbers): KL and JS use additively smoothed PMFs,
P(c) = (n_c + alpha) / (n + alpha * C), alpha = 1 by default (Laplace), so a class that one group
never shows gives a large but finite KL instead of infinity. LP, TVD and KS are always finite
and use the raw empirical PMFs. An empty d or a gives NaN (smoothing would otherwise invent a
uniform distribution for a group that has no rows).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sentiment_assets.bias.divergences import (
    js_divergence,
    kl_divergence,
    kolmogorov_smirnov,
    lp_norm,
    probabilities,
    smoothed_probabilities,
    total_variation,
)
from sentiment_assets.bias.groups import both_groups_present, count_table, facet_groups, split_counts

MULTICLASS_DESCRIPTIONS: dict[str, str] = {
    "KL": "Kullback-Leibler Divergence over all classes, additively smoothed (KL)",
    "JS": "Jensen-Shannon Divergence over all classes, additively smoothed (JS)",
    "LP": "L-2 Norm of the class-distribution difference (LP)",
    "TVD": "Total Variation Distance over all classes (TVD)",
    "KS": "Largest class-probability difference (KS)",
}


def class_codes(label: pd.Series, classes: Sequence[object] | None) -> tuple[np.ndarray, list[object]]:
    """Integer class index per row; every label must be one of `classes`."""
    classes = sorted(pd.unique(label.dropna())) if classes is None else list(classes)
    codes = pd.Categorical(label, categories=classes).codes.astype(np.intp)
    if (codes < 0).any():
        unknown = sorted(map(str, pd.unique(label[codes < 0])))
        raise ValueError(f"labels outside classes {classes}: {unknown}")
    return codes, classes


def multiclass_distances(d: np.ndarray, a: np.ndarray, alpha: float = 1.0) -> dict[str, np.ndarray]:
    """KL, JS (smoothed), LP, TVD, KS (raw) from class counts d, a of shape (..., C)."""
    defined = both_groups_present(d.sum(axis=-1), a.sum(axis=-1))
    every_class = np.ones(d.shape, dtype=bool)
    s_a, s_d = smoothed_probabilities(a, alpha), smoothed_probabilities(d, alpha)
    p_a, p_d = probabilities(a), probabilities(d)
    metrics = {
        "KL": kl_divergence(s_a, s_d, every_class),
        "JS": js_divergence(s_a, s_d, every_class),
        "LP": lp_norm(p_a, p_d, every_class, 2.0),
        "TVD": total_variation(p_a, p_d, every_class),
        "KS": kolmogorov_smirnov(p_a, p_d, every_class),
    }
    return {name: np.where(defined, values, np.nan) for name, values in metrics.items()}


def multiclass_metrics(
    facet: pd.Series,
    label: pd.Series,
    *,
    classes: Sequence[object] | None = None,
    alpha: float = 1.0,
    sensitive_values: Sequence[object] | None = None,
    threshold: float | None = None,
) -> pd.DataFrame:
    """Multi-class KL, JS, LP, TVD, KS for each facet group d (one row per group).

    Columns: value_or_threshold, n_d, n_a, P_d(c) and P_a(c) for every class c (raw shares, so a
    reader sees what moved), then KL, JS, LP, TVD, KS.
    """
    groups = facet_groups(facet, sensitive_values=sensitive_values, threshold=threshold)
    codes, classes = class_codes(label, classes)
    d, a = split_counts(count_table([groups.codes, codes], [groups.n_levels, len(classes)]), groups.membership)
    columns: dict[str, object] = {
        "value_or_threshold": groups.names,
        "n_d": d.sum(axis=-1).astype(int),
        "n_a": a.sum(axis=-1).astype(int),
    }
    p_d, p_a = probabilities(d), probabilities(a)
    for index, value in enumerate(classes):
        columns[f"P_d({value})"] = p_d[:, index]
        columns[f"P_a({value})"] = p_a[:, index]
    return pd.DataFrame({**columns, **multiclass_distances(d, a, alpha)})
