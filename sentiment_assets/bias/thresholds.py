"""When a bias metric is worth a warning: configurable limits and the (facet value, metric) pairs past them.

Every metric is 0 when d and a look alike, so a limit is on its size: a pair breaches when
|value| > limit. DI is a ratio whose parity value is 1, so it breaches outside [DI_low, DI_high]
(the default 0.8 .. 1.25 is the "four-fifths rule" and its mirror). NaN (undefined) never breaches.
Field names are the metrics' own acronyms so a limit is found by the column it applies to.

The defaults are starting points, not standards: CI of 0.5 means d is a quarter of the data or
less next to the rest in a two-group split; a DPL of 0.1 is a 10-point gap in positive share.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

RANGE_METRICS = {"DI": ("DI_low", "DI_high")}


@dataclass(frozen=True)
class BiasThresholds:
    """Warning limits per metric (None switches a metric's warning off)."""

    # pre-training
    CI: float | None = 0.5
    DPL: float | None = 0.1
    KL: float | None = 0.1
    JS: float | None = 0.05
    LP: float | None = 0.14  # sqrt(2) x 0.1: on binary labels LP = sqrt(2) |DPL|, so it warns with DPL
    TVD: float | None = 0.1
    KS: float | None = 0.1
    CDDL: float | None = 0.1
    # post-training
    DPPL: float | None = 0.1
    DI_low: float | None = 0.8
    DI_high: float | None = 1.25
    DCA: float | None = 0.1
    DCR: float | None = 0.1
    RD: float | None = 0.1
    SD: float | None = 0.1
    DAR: float | None = 0.1
    DRR: float | None = 0.1
    AD: float | None = 0.1
    TE: float | None = 1.0
    CDDPL: float | None = 0.1

    def limits(self) -> dict[str, float]:
        """The |value| limits that are switched on, by metric name (DI's band excluded)."""
        band = {name for pair in RANGE_METRICS.values() for name in pair}
        return {name: limit for name, limit in asdict(self).items() if limit is not None and name not in band}

    def describe(self, metric: str) -> str:
        """The rule as text, e.g. '|DPL| > 0.1' or 'DI outside [0.8, 1.25]'."""
        if metric in RANGE_METRICS:
            low, high = (getattr(self, name) for name in RANGE_METRICS[metric])
            return f"{metric} outside [{low}, {high}]"
        return f"|{metric}| > {getattr(self, metric)}"


def breach_mask(metrics: pd.DataFrame, thresholds: BiasThresholds) -> pd.DataFrame:
    """Boolean frame shaped like `metrics`: True where a value crosses its metric's limit."""
    mask = pd.DataFrame(False, index=metrics.index, columns=metrics.columns)
    for metric, limit in thresholds.limits().items():
        if metric in metrics.columns:
            mask[metric] = metrics[metric].abs().to_numpy(dtype=float) > limit
    for metric, (low_name, high_name) in RANGE_METRICS.items():
        if metric in metrics.columns:
            values = metrics[metric].to_numpy(dtype=float)
            low, high = getattr(thresholds, low_name), getattr(thresholds, high_name)
            low, high = -np.inf if low is None else low, np.inf if high is None else high
            with np.errstate(invalid="ignore"):
                mask[metric] = (values < low) | (values > high)
    return mask


def breaches(metrics: pd.DataFrame, thresholds: BiasThresholds) -> pd.DataFrame:
    """The (value_or_threshold, metric) pairs past their limit, with the value and the rule.

    `metrics` is any frame from this package with a `value_or_threshold` column and one column
    per metric (pre-training, multi-class or post-training).
    """
    mask = breach_mask(metrics, thresholds)
    keys = metrics["value_or_threshold"].to_numpy()
    rows, cols = np.nonzero(mask.to_numpy())
    names = mask.columns[cols]
    return pd.DataFrame(
        {
            "value_or_threshold": keys[rows],
            "metric": names,
            "value": metrics.to_numpy(dtype=object)[rows, cols].astype(float),
            "rule": [thresholds.describe(n) for n in names],
        }
    )
