"""Bootstrap confidence intervals for CI and DPL: how much of a measured bias is sampling noise.

A small category's DPL can be large by chance alone. Resampling the rows with replacement and
recomputing the metric shows the spread a repeat of the same data collection could give.

Vectorised: CI and DPL depend only on the (facet level x positive label) counts, and resampling
n rows with replacement is the same as drawing those counts from a multinomial with the observed
cell shares, so each replicate is one multinomial draw over a few dozen cells, never n rows.
The interval is the percentile interval of the replicates (replicates in which d or a came out
empty give NaN and are left out). Seeded: the same inputs and seed give the same interval.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from sentiment_assets.bias.groups import count_table, facet_groups, positive_label_index, split_counts
from sentiment_assets.bias.pretraining import ci_and_dpl


def resampled_tables(table: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    """`n_resamples` bootstrap copies of a count table: shape [first axis, n_resamples, rest]."""
    flat = table.ravel()
    total = int(flat.sum())
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(total, flat / total, size=n_resamples).astype(float)
    # Keep the facet level as the first axis so `split_counts` works on replicates unchanged.
    return np.moveaxis(draws.reshape((n_resamples, *table.shape)), 0, 1)


def bootstrap_ci_dpl(
    facet: pd.Series,
    label: pd.Series,
    positive_label_values: Iterable[object],
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    sensitive_values: Sequence[object] | None = None,
    threshold: float | None = None,
) -> pd.DataFrame:
    """CI and DPL with percentile bootstrap intervals, one row per facet group d.

    Columns: value_or_threshold, CI, CI_low, CI_high, DPL, DPL_low, DPL_high (point estimates
    are the plain metrics on the data as given).
    """
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    groups = facet_groups(facet, sensitive_values=sensitive_values, threshold=threshold)
    positive = positive_label_index(label, positive_label_values).astype(np.intp)
    table = count_table([groups.codes, positive], [groups.n_levels, 2])
    point = ci_and_dpl(*split_counts(table, groups.membership))
    frame = pd.DataFrame({"value_or_threshold": groups.names})
    if table.sum() == 0:
        for name in ("CI", "DPL"):
            frame[[name, f"{name}_low", f"{name}_high"]] = np.nan
        return frame
    replicate = ci_and_dpl(*split_counts(resampled_tables(table, n_resamples, seed), groups.membership))
    tail = 100 * (1 - confidence) / 2
    for name in ("CI", "DPL"):
        frame[name] = point[name]
        with np.errstate(all="ignore"):
            low, high = _nanpercentile(replicate[name], [tail, 100 - tail])
        frame[f"{name}_low"], frame[f"{name}_high"] = low, high
    return frame


def _nanpercentile(values: np.ndarray, percentiles: list[float]) -> np.ndarray:
    """Percentiles along the replicate axis; all-NaN rows give NaN without a RuntimeWarning."""
    out = np.full((len(percentiles), values.shape[0]), np.nan)
    usable = ~np.isnan(values).all(axis=1)
    if usable.any():
        out[:, usable] = np.nanpercentile(values[usable], percentiles, axis=1)
    return out
