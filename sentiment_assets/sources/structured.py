"""Parquet and JSON Lines: formats whose values have types, read as strings like delimited text
so that one validation step judges every source alike."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .schema import RawChunk, SourceError

if TYPE_CHECKING:  # formats imports this module
    from .formats import PhysicalLines


def _parquet_file(path: Path, source: str) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        raise SourceError(source, f"not a readable Parquet file ({error})") from error


def parquet_columns(path: Path, source: str) -> list[str]:
    return list(_parquet_file(path, source).schema_arrow.names)  # duplicates are refused by the caller


_BINARY_TYPES = (pa.types.is_binary, pa.types.is_large_binary, pa.types.is_fixed_size_binary, pa.types.is_binary_view)
_OBJECT_TYPES = (pa.types.is_struct, pa.types.is_map)
_ARRAY_TYPES = (
    pa.types.is_list,
    pa.types.is_large_list,
    pa.types.is_fixed_size_list,
    pa.types.is_list_view,
    pa.types.is_large_list_view,
)


def _nested_kinds(column: pa.ChunkedArray | pa.Array) -> np.ndarray | None:
    """Per value "object"/"array" for a nested column (JSON text is not a review), else None."""
    data_type = column.type
    if any(test(data_type) for test in _OBJECT_TYPES):
        kind = "object"
    elif any(test(data_type) for test in _ARRAY_TYPES):
        kind = "array"
    else:
        return None
    # call_function: pyarrow.compute builds its kernel wrappers (pc.is_null, ...) at import, out
    # of a type checker's sight.
    return np.where(pc.call_function("is_null", [column]).to_numpy(zero_copy_only=False), "", kind).astype(object)


def _longest_text(column: pa.ChunkedArray | pa.Array) -> int | None:
    """An upper bound on the characters of the column's values as text (bytes >= characters):
    measured in Arrow for text and binary, short for numbers, dates and flags, None for nested."""
    data_type = column.type
    if pa.types.is_primitive(data_type) or pa.types.is_decimal(data_type):
        return 64
    try:
        return pc.call_function("max", [pc.call_function("binary_length", [column])]).as_py() or 0
    except pa.ArrowNotImplementedError:  # nested, or a type without a length kernel: measure the text
        return None


def _decoded(values: list[bytes | None]) -> tuple[list[str], np.ndarray]:
    """Binary values as UTF-8 text; one that is not UTF-8 is marked and kept with backslash
    escapes (for its raw record), never as Python's b'...' repr."""
    texts, undecodable = [], np.zeros(len(values), dtype=bool)
    for i, value in enumerate(values):
        if value is None:
            texts.append("")
            continue
        try:
            texts.append(value.decode("utf-8"))
        except UnicodeDecodeError:
            texts.append(value.decode("utf-8", "backslashreplace"))
            undecodable[i] = True
    return texts, undecodable


def _as_strings(column: pa.ChunkedArray | pa.Array) -> tuple[list[str] | pd.Series, np.ndarray | None]:
    """A typed column as text: 5.0 -> "5", true -> "true", null -> ""; nested values as JSON.
    Also, for a binary column with values that are not UTF-8, their mask (else None)."""
    try:
        text = pc.cast(column, pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        values = column.to_pylist()
        if any(test(column.type) for test in _BINARY_TYPES):
            return _decoded(values)
        return ["" if v is None else json.dumps(v, default=str, ensure_ascii=False) for v in values], None
    return text.to_pandas().fillna(""), None


def parquet_chunks(path: Path, chunk_rows: int, source: str):
    """Record batches of at most chunk_rows rows; only one row group is decoded at a time."""
    first_row = 1
    try:
        for batch in _parquet_file(path, source).iter_batches(batch_size=chunk_rows):
            texts, nested, undecodable, longest, unmeasured = {}, {}, {}, [0], False
            for name, column in zip(batch.schema.names, batch.columns, strict=False):
                length = _longest_text(column)
                if length is None:
                    unmeasured = True
                else:
                    longest.append(length)
                texts[name], bad = _as_strings(column)
                if bad is not None and bad.any():
                    undecodable[name] = bad
                if (kinds := _nested_kinds(column)) is not None:
                    nested[name] = kinds
            frame = pd.DataFrame(texts)
            bound = None if unmeasured else max(longest)
            yield RawChunk(frame, first_row, nested=nested, undecodable=undecodable, longest_value=bound)
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


def _records(lines: PhysicalLines) -> Iterator[tuple[str, dict]]:
    """(original line, object) for every non-blank line; a line that is not a JSON object is an error.

    A UTF-8 byte order mark before the first record is dropped (Windows editors write one).
    Control characters inside a string (a raw tab, a NUL) are kept as read, as in CSV, rather
    than refusing the file (`strict=False`)."""
    for line in lines:
        line_number = lines.number
        text = (line.removeprefix("\ufeff") if line_number == 1 else line).strip()
        if not text:
            continue
        try:
            record = json.loads(text, strict=False)
        except json.JSONDecodeError as error:
            hint = (
                " (the file is a JSON array; JSON Lines holds one object per line)"
                if text == "[" or (line_number == 1 and text.startswith("["))
                else ""
            )
            raise SourceError(
                lines.source,
                f"line {line_number} is not valid JSON: {error.msg} at column {error.colno}{hint}",
                row=line_number,
            ) from error
        except (ValueError, RecursionError) as error:  # an integer of over 4300 digits, nesting too deep
            raise SourceError(
                lines.source, f"line {line_number} cannot be read as JSON: {error}", row=line_number
            ) from error
        if not isinstance(record, dict):
            raise SourceError(
                lines.source,
                f"line {line_number} is a JSON {type(record).__name__}, not an object; "
                "JSON Lines holds one object per line",
                row=line_number,
            )
        yield text, record


def jsonl_columns(lines: PhysicalLines, source: str) -> list[str]:
    """The keys of the first record: the "header" a preset is detected from."""
    for _, record in _records(lines):
        return list(record)
    raise SourceError(source, "the file is empty (no JSON records)")


def _column(records: list[dict], name: str) -> tuple[list[str], np.ndarray | None]:
    """One key's values as text ("" when missing) and, if any is an object or array, their kinds."""
    values = [r.get(name) for r in records]
    nested = [i for i, v in enumerate(values) if isinstance(v, (dict, list))]
    kinds = None
    if nested:
        kinds = np.full(len(values), "", dtype=object)
        kinds[nested] = ["object" if isinstance(values[i], dict) else "array" for i in nested]
    return [_text(v) for v in values], kinds


def jsonl_chunks(lines: PhysicalLines, chunk_rows: int):
    """Chunks of records as string frames; a key missing from a record reads as ""."""
    columns: dict[str, None] = {}  # ordered union of the keys seen so far
    texts: list[str] = []
    records: list[dict] = []
    first_row = 1

    def chunk() -> RawChunk:
        data, nested = {}, {}
        for name in columns:
            data[name], kinds = _column(records, name)
            if kinds is not None:
                nested[name] = kinds
        frame = pd.DataFrame(data, columns=pd.Index(list(columns)), dtype=object)
        # A decoded string is never longer than its line, a number prints at most 24 characters
        # longer ("1e5" -> "100000.0"); nested values are printed anew: measure them.
        longest = None if nested else max(map(len, texts)) + 24
        return RawChunk(frame, first_row, list(texts), nested=nested, longest_value=longest)

    for text, record in _records(lines):
        columns.update(dict.fromkeys(record))
        texts.append(text)
        records.append(record)
        if len(records) == chunk_rows:
            yield chunk()
            first_row += len(records)
            texts.clear()
            records.clear()
    if records:
        yield chunk()
