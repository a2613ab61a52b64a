"""CSV and TSV (plain or gzip): the header, then the rows in chunks, every value a string.

pandas is given the column names explicitly, plus a few spare ones. Left to itself it silently
shifts every column by one when a row has one field too many (it takes the first field as an
index), or drops the surplus. With spare columns a row with surplus fields is visible, and
quarantined as such; more surplus than there are spares is a parser error naming the line.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pandas as pd

from .schema import RawChunk

SPARE_FIELDS = 8
MAX_HEADER_CHARS = 1 << 20


@dataclass(frozen=True)
class Header:
    """Column names and how many physical lines (blank lines and the header) precede the data."""

    columns: list[str]
    lines: int


def _arguments(delimiter: str, encoding: str, quoted: bool) -> dict:
    return {
        "sep": delimiter,
        "dtype": str,
        "keep_default_na": False,
        "na_filter": False,  # "" stays "", "NA" stays "NA": the text is data, not a null marker
        "encoding": encoding,
        "quoting": csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE,
        "engine": "c",
    }


def read_header(path: Path, compressed: bool, delimiter: str, encoding: str, quoted: bool) -> Header:
    """The first non-blank line parsed as the header (pandas names a blank name "Unnamed: <i>").
    Raises pandas' EmptyDataError when there is no such line, UnicodeDecodeError on bad bytes."""
    opener = gzip.open if compressed else open
    lines = 0
    with opener(path, "rt", encoding=encoding, newline="") as handle:
        while line := handle.readline(MAX_HEADER_CHARS):
            lines += 1
            if line.strip():
                break
    arguments = {**_arguments(delimiter, encoding, quoted), "encoding": None}
    columns = pd.read_csv(io.StringIO(line.removeprefix("\ufeff")), nrows=0, **arguments).columns
    return Header([str(c) for c in columns], lines)


def _spare_names(columns: list[str]) -> list[str]:
    # Named after their field position, so a quarantined row's raw record says where they were.
    names, taken = [], set(columns)
    for position in range(len(columns) + 1, len(columns) + 1 + SPARE_FIELDS):
        name = f"_field_{position}"
        while name in taken:
            name = "_" + name
        names.append(name)
    return names


def read_chunks(path: Path, compressed: bool, delimiter: str, encoding: str, quoted: bool,
                header: Header, chunk_rows: int) -> Iterator[RawChunk]:
    """Data rows in chunks; `surplus_fields` marks rows with more fields than the header."""
    spares = _spare_names(header.columns)
    first_row = 1
    with pd.read_csv(
        path, chunksize=chunk_rows, header=None, skiprows=header.lines, names=header.columns + spares,
        index_col=False, compression="gzip" if compressed else None, **_arguments(delimiter, encoding, quoted),
    ) as reader:
        for frame in reader:
            if frame.empty:
                continue
            frame.index = pd.RangeIndex(len(frame))
            surplus = (frame[spares] != "").to_numpy()
            used = [s for s, any_value in zip(spares, surplus.any(axis=0)) if any_value]
            frame = frame.drop(columns=[s for s in spares if s not in used])
            yield RawChunk(frame, first_row, surplus_fields=surplus.any(axis=1) if used else None)
            first_row += len(frame)
