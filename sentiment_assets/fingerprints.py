"""One digest for "has this table of rows changed?", shared by whatever needs to ask.

`frame_fingerprint` names a set of rows by content: 16 hex digits (blake2b, 8 bytes) of the rows
in a fixed order, optionally salted with settings that belong to the same identity. The same rows
give the same fingerprint on any machine, whatever their order in the frame.

Used to key a training run's checkpoint folder (`training_run.run_fingerprint`: the settings that
decide the weights, salted onto the training rows); unsalted, over all columns, it is the digest
batch scoring records to tell whether a partition's reviews changed between runs
(`monitoring.scored_partition.reviews_fingerprint`). Not to be confused with two other digests: the sha256
of each prediction's text (`prediction_freshness`, in SQL) and the sha256 of a run's token ids
stored in its checkpoints (`models.resume`), which must match exactly, row order included.
"""

from __future__ import annotations

import hashlib

import pandas as pd

# pandas.util.hash_pandas_object itself; imported from where it is defined because pandas.util
# builds its names lazily and a type checker cannot see them there.
from pandas.core.util.hashing import hash_pandas_object


def frame_fingerprint(frame: pd.DataFrame, *, sort_by: str | list[str], salt: str = "") -> str:
    """16 hex digits that change when the rows of `frame` (sorted by `sort_by`) or `salt` change."""
    digest = hashlib.blake2b(salt.encode(), digest_size=8)
    rows = hash_pandas_object(frame.sort_values(sort_by), index=False)
    digest.update(rows.to_numpy().tobytes())
    return digest.hexdigest()
