"""Clarify pre-training bias metrics CI and DPL, one-vs-rest per value of a categorical facet.

Definitions follow smclarify: facet d = rows with the value, a = all other rows; labels are
collapsed to binary (positive iff in `positive_label_values`).
  CI  = (n_a - n_d) / (n_a + n_d)
  DPL = q_a - q_d, q = share of positive labels within the group
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


def class_imbalance_and_dpl(
    facet: pd.Series, label: pd.Series, positive_label_values: Iterable[object]
) -> pd.DataFrame:
    """One row per facet value: n_d, n_a, CI, q_d, q_a, DPL. Vectorised: one groupby, no row loops."""
    positive = label.isin(list(positive_label_values)).to_numpy()
    values = facet.astype("object").to_numpy()
    counts = pd.DataFrame({"facet": values, "positive": positive}).groupby("facet", sort=True)["positive"].agg(["size", "sum"])
    n_total, positives_total = len(values), int(positive.sum())
    n_d = counts["size"].to_numpy(dtype=float)
    pos_d = counts["sum"].to_numpy(dtype=float)
    n_a = n_total - n_d
    pos_a = positives_total - pos_d
    with np.errstate(divide="ignore", invalid="ignore"):
        q_d = np.where(n_d > 0, pos_d / n_d, np.nan)
        q_a = np.where(n_a > 0, pos_a / n_a, np.nan)
    return pd.DataFrame(
        {
            "facet_value": counts.index.astype(str),
            "n_d": n_d.astype(int),
            "n_a": n_a.astype(int),
            "CI": (n_a - n_d) / n_total,
            "q_d": q_d,
            "q_a": q_a,
            "DPL": q_a - q_d,
        }
    ).reset_index(drop=True)
