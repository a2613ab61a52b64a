"""The drift statistics, on plain numbers: population stability index and the KS distance.

PSI compares two share vectors over the same buckets: sum((actual - expected) * ln(actual /
expected)). The usual reading: below 0.1 stable, 0.1-0.2 worth watching, 0.2 or more a
significant shift. An empty bucket would make the logarithm infinite, so shares are floored at
`epsilon` first; the floor bounds what a bucket that appears from nowhere can add.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

DEFAULT_EPSILON = 1e-4
# The bucket for categories the baseline never saw; they have no bucket of their own there.
UNSEEN_CATEGORY = "(unseen)"
#: Numbers as a list or as a numpy array: every function here reads them with np.asarray.
Numbers = Sequence[float] | np.ndarray


def psi(expected_shares: Numbers, actual_shares: Numbers, epsilon: float = DEFAULT_EPSILON) -> float:
    """Population stability index of `actual_shares` against `expected_shares` (same buckets)."""
    expected = np.asarray(expected_shares, dtype="float64")
    actual = np.asarray(actual_shares, dtype="float64")
    if expected.size == 0 or actual.size == 0:
        raise ValueError("psi needs at least one bucket in both share vectors")
    if expected.shape != actual.shape:
        raise ValueError(f"psi needs the same buckets on both sides, got {expected.size} and {actual.size}")
    if (expected < 0).any() or (actual < 0).any():
        raise ValueError("shares must not be negative")
    expected = np.maximum(expected, epsilon)
    actual = np.maximum(actual, epsilon)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def bin_shares(values: Numbers, edges: Sequence[float]) -> np.ndarray:
    """Share of `values` per bin; `edges` are the inner cut points, so there are len(edges) + 1
    bins, the outer two open-ended (a review longer than any in training still lands in one)."""
    numbers = np.asarray(values, dtype="float64")
    if numbers.size == 0:
        raise ValueError("no values to bin")
    # side="right": a value equal to an edge belongs to the bin that starts at it, [a, b).
    bins = np.searchsorted(np.asarray(edges, dtype="float64"), numbers, side="right")
    return np.bincount(bins, minlength=len(edges) + 1) / numbers.size


def bin_labels(edges: Sequence[float]) -> list[str]:
    """Readable names of the bins `bin_shares` uses, e.g. ['< 12', '[12, 20)', '>= 20']."""
    if len(edges) == 0:
        return ["all"]
    labels = [f"< {edges[0]:g}"]
    labels += [f"[{low:g}, {high:g})" for low, high in zip(edges[:-1], edges[1:], strict=False)]
    return labels + [f">= {edges[-1]:g}"]


def numeric_psi(
    expected_shares: Numbers, edges: Sequence[float], values: Numbers, epsilon: float = DEFAULT_EPSILON
) -> tuple[float, dict[str, dict[str, float]]]:
    """PSI of `values` over the baseline's bins; also the shares per bin, for the report."""
    actual = bin_shares(values, edges)
    shares = {
        label: {"expected": float(e), "actual": float(a)}
        for label, e, a in zip(bin_labels(edges), expected_shares, actual, strict=False)
    }
    return psi(expected_shares, actual, epsilon), shares


def category_shares(values: Sequence[object]) -> dict[str, float]:
    """Share of each category among `values`, missing ones counted as '(missing)'."""
    names = ["(missing)" if v is None or v != v else str(v) for v in values]  # v != v: NaN
    if not names:
        raise ValueError("no categories to count")
    unique, counts = np.unique(np.asarray(names, dtype=object), return_counts=True)
    return {str(name): float(count) / len(names) for name, count in zip(unique, counts, strict=False)}


def categorical_psi(
    expected: Mapping[str, float], actual: Mapping[str, float], epsilon: float = DEFAULT_EPSILON
) -> tuple[float, dict[str, dict[str, float]]]:
    """PSI over the baseline's categories plus one bucket holding every category it never saw."""
    buckets = list(expected) + [UNSEEN_CATEGORY]
    unseen = sum(share for name, share in actual.items() if name not in expected)
    expected_shares = [expected[name] for name in expected] + [0.0]
    actual_shares = [actual.get(name, 0.0) for name in expected] + [unseen]
    shares = {
        name: {"expected": float(e), "actual": float(a)}
        for name, e, a in zip(buckets, expected_shares, actual_shares, strict=False)
    }
    return psi(expected_shares, actual_shares, epsilon), shares


def ks(baseline_sample: Numbers, values: Numbers) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov: the largest gap between the two cumulative distributions,
    and its p-value. With thousands of reviews the p-value flags even harmless shifts, so drift
    is judged on the gap itself."""
    if len(baseline_sample) == 0 or len(values) == 0:
        raise ValueError("ks needs values on both sides")
    # Any: scipy builds its result class (statistic, pvalue) at run time, out of a checker's sight.
    result: Any = stats.ks_2samp(np.asarray(baseline_sample, dtype="float64"), np.asarray(values, dtype="float64"))
    return float(result.statistic), float(result.pvalue)
