"""Who is in the facet group d and who in the rest a, which labels count as positive, and the counts.

Every bias metric here is a function of counts, so the rows are touched once: each row gets a
facet *level* (an integer code), the levels are cross-tabulated with the outcome by one
`np.bincount`, and a boolean membership matrix says which levels make up each reported group d.
The rest a is always "every row not in d", so a's counts are the column totals minus d's.
The membership matrix is sparse: one-vs-rest over a free-text facet can have as many levels as
rows, and a dense [levels, levels] identity grows with levels² (200,000 levels: 40 GB as bools).

Three ways to choose d, as SageMaker Clarify (smclarify) does:
- one-vs-rest (the default): one report row per facet value, d = rows with that value;
- a list of sensitive values: one report row, d = rows whose value is in the list;
- a threshold on a continuous facet (e.g. age): one report row, d = rows with value > threshold.
  smclarify builds the interval (threshold, max] and tests membership, which is the same set of
  rows; its report names the group by that interval, e.g. "(40, 89]", and so do we.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
from scipy import sparse

#: A list or a threshold makes two levels, 0 (in a) and 1 (in d), and one group d.
_D_IS_LEVEL_ONE = sparse.csr_array(np.array([[False, True]]))


def _shape(matrix: sparse.csr_array | np.ndarray) -> tuple[int, ...]:
    shape = matrix.shape
    if shape is None:  # scipy's attribute before the array is built: never so once it is
        raise ValueError("a membership matrix without a shape")
    return shape


@dataclass(frozen=True)
class FacetGroups:
    """The facet split: a level per row and, for each reported group d, the levels it contains."""

    codes: np.ndarray  # int level of every row, 0..n_levels-1
    membership: sparse.csr_array  # bool [groups, levels]: row k marks the levels that form group d_k
    names: list[str]  # Clarify's "value_or_threshold" for each group d_k

    @property
    def n_levels(self) -> int:
        return _shape(self.membership)[1]


def facet_groups(
    facet: pd.Series,
    *,
    sensitive_values: Sequence[object] | None = None,
    threshold: float | None = None,
) -> FacetGroups:
    """Split rows into facet groups: one-vs-rest per value, a sensitive-value list, or a threshold.

    Missing facet values form a level of their own (named "nan") in one-vs-rest: missingness is
    itself something a bias report should show. With a list or a threshold they fall in a.
    """
    if sensitive_values is not None and threshold is not None:
        raise ValueError("give sensitive_values or threshold, not both")
    if threshold is not None:
        return _threshold_groups(facet, threshold)
    if sensitive_values is not None:
        values = list(sensitive_values)
        if not values:
            raise ValueError("sensitive_values must name at least one facet value")
        in_d = _isin_with_str_fallback(facet, values)
        return FacetGroups(in_d.astype(np.intp), _D_IS_LEVEL_ONE, [",".join(map(str, values))])
    codes, uniques = pd.factorize(facet, sort=True, use_na_sentinel=False)
    one_vs_rest = cast(sparse.csr_array, sparse.eye_array(len(uniques), dtype=bool, format="csr"))
    return FacetGroups(codes.astype(np.intp), one_vs_rest, [str(u) for u in uniques])


def _threshold_groups(facet: pd.Series, threshold: float) -> FacetGroups:
    numeric = cast(pd.Series, pd.to_numeric(facet))  # of a Series: a Series
    in_d = numeric.gt(threshold).to_numpy(dtype=bool)  # NaN compares False: missing ages fall in a
    return FacetGroups(in_d.astype(np.intp), _D_IS_LEVEL_ONE, [_interval_name(numeric, threshold)])


def _interval_name(numeric: pd.Series, threshold: float) -> str:
    """Clarify's name for a threshold split: the interval(s) from the threshold to the maximum."""
    maximum = numeric.max()
    breaks = [threshold] if pd.isna(maximum) or maximum == threshold else [threshold, maximum]
    # pandas prints the interval, so ints stay "(40, 89]" and floats "(40.0, 89.5]" as in Clarify.
    return ",".join(map(str, pd.IntervalIndex.from_breaks(sorted(breaks))))


def positive_label_index(label: pd.Series, positive_label_values: Iterable[object]) -> np.ndarray:
    """True where the label is one of `positive_label_values` (labels collapsed to binary).

    Like smclarify, when no label matches (say the labels are the strings "4", "5" and the values
    the ints 4, 5) the comparison is retried on the values' text before giving up.
    """
    values = list(positive_label_values)
    if not values:
        raise ValueError("positive_label_values must name at least one label value")
    return _isin_with_str_fallback(label, values)


def _isin_with_str_fallback(series: pd.Series, values: list[object]) -> np.ndarray:
    hit = series.isin(values).to_numpy(dtype=bool)
    if not hit.any() and len(series):
        hit = series.astype(str).isin([str(v) for v in values]).to_numpy(dtype=bool)
    return hit


def category_codes(series: pd.Series) -> tuple[np.ndarray, list[object]]:
    """Integer codes of a grouping column (e.g. Clarify's group variable), missing as its own code."""
    codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=False)
    return codes.astype(np.intp), list(uniques)


def count_table(codes: Sequence[np.ndarray], sizes: Sequence[int]) -> np.ndarray:
    """Cross-tabulation of several integer codes in one pass: shape `sizes`, counts as float.

    `codes[0]` is normally the facet level; later codes are outcomes (label, prediction, group).
    """
    flat = np.ravel_multi_index(tuple(np.asarray(c, dtype=np.intp) for c in codes), tuple(sizes))
    counts = np.bincount(flat, minlength=int(np.prod(sizes)))
    return counts.reshape(tuple(sizes)).astype(float)


def split_counts(table: np.ndarray, membership: sparse.csr_array | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts of d and of a for every reported group, from a table whose first axis is the level.

    Returns arrays of shape [groups, *table.shape[1:]]: d sums its levels, a is the rest.
    `membership` may be sparse (then the work is linear in its entries) or a dense bool array.
    """
    # A sparse matrix multiplies 2-D arrays only: flatten every axis after the level.
    levels_by_cell = table.reshape(table.shape[0], int(np.prod(table.shape[1:])))
    d = np.asarray(membership.astype(float) @ levels_by_cell).reshape((_shape(membership)[0], *table.shape[1:]))
    a = table.sum(axis=0, keepdims=True) - d
    return d, a


def both_groups_present(n_d: np.ndarray, n_a: np.ndarray) -> np.ndarray:
    """Where a metric is defined at all: d and a each have at least one row.

    smclarify raises for an empty d or a; a report must not crash on one odd facet value, so we
    return NaN there instead (the JSON report writes it as null with an error note).
    """
    return (np.asarray(n_d) > 0) & (np.asarray(n_a) > 0)
