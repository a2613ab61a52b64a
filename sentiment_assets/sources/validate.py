"""Decide row by row what is accepted and what is quarantined, with every reason that applies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from sentiment_assets.frames import column as col

from .normalise import Normalised
from .schema import ACCEPTED_DTYPES, NORMALISED_COLUMNS, REJECTED_DTYPES, RawChunk, json_lines
from .spec import ColumnMapping

DUPLICATE_IN_FILE = "duplicate review_id"
_UNKNOWN_FILE = object()
#: How a reason names a normalised text column whose source value is a JSON object or array.
_TEXT_TARGETS = {
    "review_id": "review_id",
    "review_body": "review text",
    "title": "title",
    "product_category": "product_category",
    "division_name": "division_name",
    "department_name": "department_name",
}


class IngestedIds:
    """review_ids already ingested, with the file each came from when it is known.

    Built from what the warehouse holds (`from_frame`) and grown file by file during a read, so a
    review that appears in two files is kept once: the first file to bring it wins. An id known
    from the very file being read is not a duplicate: re-reading a changed file replaces its rows.
    """

    def __init__(self, ids: Mapping[str, str] | Iterable[str] | None = None):
        if ids is None:
            self._files: dict[str, object] = {}
        elif isinstance(ids, Mapping):
            self._files = dict(ids)
        else:
            tolist = getattr(ids, "tolist", None)  # numpy arrays, pandas Series
            values = tolist() if tolist is not None else ids
            self._files = dict.fromkeys(values, _UNKNOWN_FILE)

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, id_column: str = "review_id", file_column: str = "source_file"
    ) -> IngestedIds:
        return cls(dict(zip(frame[id_column], frame[file_column], strict=False)))

    def copy(self) -> IngestedIds:
        twin = IngestedIds()
        twin._files = dict(self._files)
        return twin

    def __len__(self) -> int:
        return len(self._files)

    def add(self, ids: Iterable[str], source_file: str) -> None:
        for review_id in ids:
            self._files.setdefault(review_id, source_file)

    def reasons(self, ids: pd.Series, source_file: str) -> np.ndarray:
        """Per id: "duplicate review_id already ingested from <file>", or "" when it is new."""
        out = np.full(len(ids), "", dtype=object)
        if not self._files:
            return out
        for i, review_id in enumerate(ids.to_numpy(dtype=object)):
            known = self._files.get(review_id)
            if known is not None and known != source_file:
                origin = "another file" if known is _UNKNOWN_FILE else known
                out[i] = f"duplicate review_id already ingested from {origin}"
        return out


class SeenIds:
    """The review_ids accepted so far from one file: a duplicate is caught across chunks, and the
    first occurrence that is otherwise acceptable is the one kept."""

    def __init__(self) -> None:
        self.ids: set[str] = set()

    def duplicates(self, ids: pd.Series, candidates: np.ndarray) -> np.ndarray:
        values = ids.to_numpy(dtype=object)
        duplicate = np.zeros(len(values), dtype=bool)
        seen = self.ids
        for i in np.flatnonzero(candidates):
            if values[i] in seen:
                duplicate[i] = True
            else:
                seen.add(values[i])
        return duplicate


def _append(reasons: np.ndarray, mask: np.ndarray, reason: str | np.ndarray) -> None:
    """Add `reason` (one text, or one per row) to the rows in `mask`, joined by "; "."""
    if not mask.any():
        return
    new = reason[mask] if isinstance(reason, np.ndarray) else reason
    old = reasons[mask]
    reasons[mask] = np.where(old == "", new, old + "; " + new)


def _raw_records(chunk: RawChunk, rows: np.ndarray) -> list[str]:
    """The original rows as JSON: the file's own line for JSON Lines, else {header: text} unless
    the reader kept the record itself (a row with surplus fields, an unparsed line)."""
    if chunk.records is not None:
        return [chunk.records[i] for i in rows]
    rebuilt = json_lines(chunk.frame.iloc[rows])
    return [chunk.raw_records.get(row, text) for row, text in zip(rows.tolist(), rebuilt, strict=False)]


def value_problems(chunk: RawChunk, mapping: ColumnMapping, max_field_chars: int) -> dict[str, np.ndarray]:
    """Problems with the values of the columns `mapping` reads (a column it ignores may hold
    anything): bytes that are not UTF-8, a JSON object or array where text belongs, and a value
    longer than `max_field_chars` -- reason (naming the column) -> mask."""
    n = len(chunk.frame)
    problems: dict[str, np.ndarray] = {}

    def add(reason: str, mask: np.ndarray) -> None:
        if mask.any():
            problems[reason] = problems.get(reason, np.zeros(n, dtype=bool)) | mask

    for target, column in mapping.fields().items():
        if column in chunk.undecodable:
            add(f"column {column!r} is not valid UTF-8 text", chunk.undecodable[column])
        if target in _TEXT_TARGETS and column in chunk.nested:
            for kind in ("object", "array"):
                add(
                    f"{_TEXT_TARGETS[target]} is a JSON {kind}, not a string (column {column!r})",
                    chunk.nested[column] == kind,
                )
        if column in chunk.frame and (chunk.longest_value is None or chunk.longest_value > max_field_chars):
            too_long = chunk.frame[column].str.len().to_numpy(dtype="float64", na_value=0) > max_field_chars
            add(f"column {column!r} holds more than {max_field_chars:,} characters (max_field_chars)", too_long)
    return problems


def validate(
    chunk: RawChunk,
    normalised: Normalised,
    source_file: str,
    seen: SeenIds,
    ingested: IngestedIds,
    read_problems: Mapping[str, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """(accepted, rejected, accepted mask) for one chunk; every row lands in exactly one of them.
    `read_problems` are value_problems of the chunk."""
    frame = normalised.frame
    n = len(frame)
    reasons = np.full(n, "", dtype=object)
    for reason, mask in chunk.row_problems.items():
        _append(reasons, mask, reason)
    # A row the header cannot describe is judged by that alone: its values are shifted or
    # missing, and "blank review text" or "missing review_id" would send the reader astray.
    readable = reasons == ""
    for reason, mask in {**(read_problems or {}), **normalised.problems}.items():
        _append(reasons, mask & readable, reason)
    # Duplicates are judged among rows that are otherwise fine: a broken earlier copy of an id
    # must not push out a good one.
    already = ingested.reasons(col(frame, "review_id"), source_file)
    candidates = reasons == ""
    _append(reasons, candidates & (already != ""), already)
    candidates = reasons == ""
    _append(reasons, seen.duplicates(col(frame, "review_id"), candidates), DUPLICATE_IN_FILE)

    ok = reasons == ""
    source_row = np.arange(chunk.first_row, chunk.first_row + n, dtype="int64")
    accepted = frame.loc[ok].assign(source_file=source_file, source_row=source_row[ok])
    accepted = accepted[list(NORMALISED_COLUMNS)].astype(ACCEPTED_DTYPES).reset_index(drop=True)
    bad = np.flatnonzero(~ok)
    rejected = pd.DataFrame(
        {
            "source_file": source_file,
            "source_row": source_row[bad],
            "reason": reasons[bad],
            "raw_record": _raw_records(chunk, bad),
        }
    ).astype(REJECTED_DTYPES)
    assert len(accepted) + len(rejected) == n, "every row read is accepted or rejected"
    return accepted, rejected, ok
