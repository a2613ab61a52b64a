"""The online feature store: the latest row of every record in memory, for serving-time lookups.

Loaded from the offline store by one query (`refresh`), kept column by column: scalar columns as
Python lists, list columns (input_ids) as one flat numpy array plus offsets, so 100,000 reviews of
~60 token ids take tens of MB, not hundreds. A lookup is a dict hit and a slice (microseconds).
`refresh` builds a new snapshot and swaps it in with one assignment: readers see the old or the
new snapshot, never half of one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from sentiment_assets.features.feature_group import FeatureGroup
from sentiment_assets.features.store import OfflineFeatureStore


@dataclass(frozen=True)
class _Snapshot:
    positions: dict[Any, int]
    scalars: dict[str, list]
    lists: dict[str, tuple[np.ndarray, np.ndarray]]  # column -> (flat values, offsets)
    loaded_at: datetime

    @classmethod
    def from_arrow(cls, table: pa.Table, record_identifier: str) -> _Snapshot:
        scalars, lists = {}, {}
        for name in table.column_names:
            column = table.column(name).combine_chunks()
            if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
                offsets = column.offsets.to_numpy()
                values = column.values.to_numpy(zero_copy_only=False)
                # Sliced arrays start at a non-zero offset; rebase so offsets index `values`.
                lists[name] = (values[offsets[0] : offsets[-1]], offsets - offsets[0])
            else:
                scalars[name] = column.to_pylist()
        ids = scalars[record_identifier]
        return cls(dict(zip(ids, range(len(ids)), strict=False)), scalars, lists, datetime.now(UTC))

    def row(self, position: int) -> dict[str, Any]:
        record = {name: values[position] for name, values in self.scalars.items()}
        for name, (values, offsets) in self.lists.items():
            # A null list has equal offsets, so it reads as []; the offline column is never null in practice.
            record[name] = values[offsets[position] : offsets[position + 1]].tolist()
        return record


class OnlineFeatureStore:
    """Latest features per record id of one feature group, served from memory.

    `OnlineFeatureStore(offline, group)` only stores its arguments; `refresh()` (or the
    `load` shortcut) reads the latest rows from the offline store."""

    def __init__(self, offline: OfflineFeatureStore, group: FeatureGroup):
        self.offline = offline
        self.group = group
        self._snapshot: _Snapshot | None = None

    @classmethod
    def load(cls, offline: OfflineFeatureStore, group: FeatureGroup) -> OnlineFeatureStore:
        store = cls(offline, group)
        store.refresh()
        return store

    def refresh(self) -> int:
        """Reload the latest row per record from the offline store; returns the record count."""
        snapshot = _Snapshot.from_arrow(self.offline.latest_arrow(self.group), self.group.record_identifier)
        self._snapshot = snapshot
        return len(snapshot.positions)

    def get(self, record_id) -> dict[str, Any] | None:
        """The record's latest features (group columns + ingested_at), or None if unknown."""
        snapshot = self._loaded()
        position = snapshot.positions.get(record_id)
        return None if position is None else snapshot.row(position)

    def get_many(self, record_ids: Iterable) -> list[dict[str, Any] | None]:
        """`get` for each id, in the given order (None for unknown ids)."""
        snapshot = self._loaded()
        positions = (snapshot.positions.get(record_id) for record_id in record_ids)
        return [None if position is None else snapshot.row(position) for position in positions]

    @property
    def loaded_at(self) -> datetime | None:
        return None if self._snapshot is None else self._snapshot.loaded_at

    def __len__(self) -> int:
        return len(self._loaded().positions)

    def __contains__(self, record_id) -> bool:
        return record_id in self._loaded().positions

    def _loaded(self) -> _Snapshot:
        if self._snapshot is None:
            raise RuntimeError(
                f"online store for {self.group.name} v{self.group.version} is empty: call refresh() first"
            )
        return self._snapshot
