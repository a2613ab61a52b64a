"""Parquet and JSON Lines: formats whose values have types, read as strings like delimited text
so that one validation step judges every source alike."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .schema import RawChunk, SourceError


def _parquet_file(path: Path, source: str) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        raise SourceError(source, f"not a readable Parquet file ({error})") from error


def parquet_columns(path: Path, source: str) -> list[str]:
    return list(_parquet_file(path, source).schema_arrow.names)


def _as_strings(column: pa.ChunkedArray | pa.Array) -> list[str] | pd.Series:
    """A typed column as text: 5.0 -> "5", true -> "true", null -> ""; nested values as JSON."""
    try:
        text = pc.cast(column, pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        return ["" if v is None else json.dumps(v, default=str, ensure_ascii=False) for v in column.to_pylist()]
    return text.to_pandas().fillna("")


def parquet_chunks(path: Path, chunk_rows: int, source: str):
    """Record batches of at most chunk_rows rows; only one row group is decoded at a time."""
    first_row = 1
    try:
        for batch in _parquet_file(path, source).iter_batches(batch_size=chunk_rows):
            frame = pd.DataFrame({name: _as_strings(batch.column(i)) for i, name in enumerate(batch.schema.names)})
            yield RawChunk(frame, first_row)
            first_row += len(frame)
    except (pa.ArrowException, OSError) as error:
        raise SourceError(source, f"the Parquet file is corrupt after {first_row - 1} rows ({error})") from error


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _records(path: Path, encoding: str, compressed: bool, source: str) -> Iterator[tuple[str, dict]]:
    """(original line, object) for every non-blank line; a line that is not a JSON object is an error."""
    opener = gzip.open if compressed else open
    with opener(path, "rt", encoding=encoding) as handle:
        for line_number, line in enumerate(handle, start=1):
            text = line.strip()
            if not text:
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as error:
                hint = " (the file is a JSON array; JSON Lines holds one object per line)" if text == "[" or (
                    line_number == 1 and text.startswith("[")) else ""
                raise SourceError(source, f"line {line_number} is not valid JSON: {error.msg} at column "
                                          f"{error.colno}{hint}", row=line_number) from error
            if not isinstance(record, dict):
                raise SourceError(source, f"line {line_number} is a JSON {type(record).__name__}, not an object; "
                                          "JSON Lines holds one object per line", row=line_number)
            yield text, record


def jsonl_columns(path: Path, encoding: str, compressed: bool, source: str) -> list[str]:
    """The keys of the first record: the "header" a preset is detected from."""
    for _, record in _records(path, encoding, compressed, source):
        return list(record)
    raise SourceError(source, "the file is empty (no JSON records)")


def jsonl_chunks(path: Path, encoding: str, compressed: bool, chunk_rows: int, source: str):
    """Chunks of records as string frames; a key missing from a record reads as ""."""
    columns: dict[str, None] = {}  # ordered union of the keys seen so far
    lines: list[str] = []
    records: list[dict] = []
    first_row = 1

    def chunk() -> RawChunk:
        rows = [[_text(r.get(c)) for c in columns] for r in records]
        return RawChunk(pd.DataFrame(rows, columns=list(columns), dtype=object), first_row, list(lines))

    for line, record in _records(path, encoding, compressed, source):
        columns.update(dict.fromkeys(record))
        lines.append(line)
        records.append(record)
        if len(records) == chunk_rows:
            yield chunk()
            first_row += len(records)
            lines.clear()
            records.clear()
    if records:
        yield chunk()
