"""pandas values at the types they have, where a type checker infers wider ones.

pandas ships no type information, so a checker infers `frame[name]` from pandas' source as a
Series or a whole DataFrame (and `pd.to_numeric` of a Series as anything `to_numeric` returns).
These helpers check what a caller relies on and say so when it does not hold.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """`frame[name]`, the one column of that name: a name that several columns share is an error
    (`frame[name]` would be a DataFrame of them)."""
    values = frame[name]
    if not isinstance(values, pd.Series):
        raise TypeError(f"column {name!r} is not unique: {values.shape[1]} columns have that name")
    return values


def columns(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """`frame[names]`: those columns in that order (a list of names always selects a DataFrame)."""
    return cast(pd.DataFrame, frame[names])


def rows_where(frame: pd.DataFrame, keep: pd.Series | np.ndarray) -> pd.DataFrame:
    """The rows of `frame` where the boolean mask `keep` is true, numbered from 0 again."""
    return cast(pd.DataFrame, frame[np.asarray(keep, dtype=bool)]).reset_index(drop=True)
