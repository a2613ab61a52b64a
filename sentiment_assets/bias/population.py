"""Which rows a bias report can measure, and whether there is anything to compare.

Clarify compares a facet group d (say, the reviews of one category) with a, every other row.
A row needs a facet value to be in d or a, and a label to have a positive or negative outcome,
so rows lacking either are left out (and counted, so the report can say so). With fewer than
two facet values left there is no a to compare with: the bias is not measurable, which is a
result to report, not an error (user data often has no category column at all).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import pandas as pd

from sentiment_assets.bias.groups import facet_groups
from sentiment_assets.frames import column as col

MIN_FACET_VALUES = 2  # d and a


@dataclass(frozen=True)
class BiasPopulation:
    """The rows the metrics use, and what was left out of them."""

    facet: str
    frame: pd.DataFrame  # rows with a facet value and a label
    rows_in: int  # rows before anything was left out
    rows_without_facet: int  # facet null (a row can also lack its label)
    rows_without_label: int  # label null
    facet_values: int  # distinct facet values among the rows used
    examples: tuple[str, ...]  # up to a few of those values, for the note
    split: str | None = None  # "threshold 40" or "sensitive values X,Y"; None for one-vs-rest
    both_sides: bool = True  # with a split: rows fall both in d and in a

    @property
    def measurable(self) -> bool:
        return self.facet_values >= MIN_FACET_VALUES and self.both_sides

    def note(self) -> str:
        """Why the bias is (not) measurable, in one sentence people can act on."""
        if self.measurable:
            return f"Facet `{self.facet}` has {self.facet_values} values: each is compared with the rest."
        if self.facet_values >= MIN_FACET_VALUES:
            return (
                f"Not enough facet groups: every row with a `{self.facet}` value and a label falls on the same "
                f"side of the {self.split}. Clarify compares the group d with the rest a; with one of them "
                "empty there is nothing to compare, so bias is not measurable (every metric is undefined)."
            )
        found = "no value" if self.facet_values == 0 else f"a single value ({', '.join(self.examples)})"
        return (
            f"Not enough facet values: `{self.facet}` has {found} among the {len(self.frame)} rows with a "
            "facet value and a label. Clarify compares a facet value d with the rest a; with fewer than "
            "two values there is no a, so bias is not measurable (every metric is undefined)."
        )

    def left_out(self) -> str:
        """Which rows the metrics leave out, as a sentence."""
        return (
            f"{len(self.frame)} of {self.rows_in} rows used: rows without a `{self.facet}` value "
            f"({self.rows_without_facet}) and without a label ({self.rows_without_label}) are left out "
            "of every metric."
        )


def bias_population(
    frame: pd.DataFrame,
    facet: str,
    label: str,
    *,
    sensitive_values: Sequence[object] | None = None,
    threshold: float | None = None,
) -> BiasPopulation:
    """The rows of `frame` with both a `facet` value and a `label`, and counts of the others.

    With `sensitive_values` or `threshold` (d = those values, or values above it) the bias is
    measurable only if rows fall both in d and in a."""
    no_facet = col(frame, facet).isna()
    no_label = col(frame, label).isna()
    used = frame.loc[~no_facet & ~no_label].reset_index(drop=True)
    if pd.api.types.is_float_dtype(used[label]) and len(used) and col(used, label).mod(1).eq(0).all():
        used[label] = used[label].astype("int64")  # whole numbers made float by a null: ints again
    values = sorted(map(str, pd.unique(used[facet])))
    split, both_sides = None, True
    if threshold is not None:
        split = f"threshold {threshold}"
    elif sensitive_values is not None:
        split = f"sensitive values {','.join(map(str, sensitive_values))}"
    if split is not None:
        codes = facet_groups(col(used, facet), sensitive_values=sensitive_values, threshold=threshold).codes
        both_sides = len(set(codes.tolist())) == 2
    return BiasPopulation(
        facet=facet,
        frame=used,
        rows_in=len(frame),
        rows_without_facet=int(no_facet.sum()),
        rows_without_label=int(no_label.sum()),
        facet_values=len(values),
        examples=tuple(values[:3]),
        split=split,
        both_sides=both_sides,
    )


def largest_abs(metrics: pd.DataFrame, metric: str) -> dict[str, object]:
    """The facet value with the largest |metric| and its value; both None when every value is
    undefined (NaN) or there are no rows, e.g. with a single facet value."""
    values = (
        cast(pd.Series, pd.to_numeric(col(metrics, metric), errors="coerce")).abs()  # of a Series: a Series
        if metric in metrics
        else pd.Series(dtype=float)
    )
    if values.notna().sum() == 0:
        return {"facet_value": None, metric: None}
    row = metrics.loc[values.idxmax()]
    return {"facet_value": str(row["value_or_threshold"]), metric: float(row[metric])}


def max_abs(values: Sequence[float] | pd.Series) -> float | None:
    """max |value| over the defined values; None when none is defined (no NaN warnings)."""
    finite = [abs(float(v)) for v in values if v is not None and not math.isnan(float(v))]
    return max(finite) if finite else None
