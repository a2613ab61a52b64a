"""File formats by suffix, and reading one file's header and its rows in bounded chunks.

Every value comes out as a string ("" for missing): nothing is coerced while reading, so the
validation step sees exactly what the file holds and can quarantine what does not fit.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pandas as pd

from . import delimited, structured
from .delimited import Header
from .diagnostics import delimiter_message, encoding_message, other_delimiter
from .schema import RawChunk, SourceError


@dataclass(frozen=True)
class Format:
    """How a suffix is read: delimited text (with its default delimiter), Parquet or JSON Lines."""

    kind: str  # "delimited" | "parquet" | "jsonl"
    delimiter: str | None = None
    compressed: bool = False


#: Longest suffixes first, so "x.csv.gz" is gzip-compressed CSV and not "gz".
SUFFIX_FORMATS: dict[str, Format] = {
    ".csv.gz": Format("delimited", ",", compressed=True),
    ".tsv.gz": Format("delimited", "\t", compressed=True),
    ".jsonl.gz": Format("jsonl", compressed=True),
    ".csv": Format("delimited", ","),
    ".tsv": Format("delimited", "\t"),
    ".parquet": Format("parquet"),
    ".jsonl": Format("jsonl"),
    ".json": Format("jsonl"),
}


@dataclass(frozen=True)
class ReadOptions:
    encoding: str = "utf-8"
    delimiter: str | None = None  # None: the format's
    quoted_fields: bool = True


def is_review_file(name: str) -> bool:
    return name.lower().endswith(tuple(SUFFIX_FORMATS))


def format_for(name: str) -> Format:
    """The format a file name's suffix says, or a SourceError listing the supported suffixes."""
    lowered = name.lower()
    for suffix, fmt in SUFFIX_FORMATS.items():
        if lowered.endswith(suffix):
            return fmt
    raise SourceError(name, f"unsupported file type; supported suffixes: {list(SUFFIX_FORMATS)}")


def read_header(path: Path, fmt: Format, options: ReadOptions, source: str) -> Header:
    """The file's column names. An empty file, a file in another encoding, a broken gzip stream or a
    header split by another delimiter is a SourceError naming `source`."""
    if fmt.kind == "parquet":
        return Header(structured.parquet_columns(path, source), 0)
    with _translated(path, fmt, options, source, rows_read=0):
        if fmt.kind == "jsonl":
            return Header(structured.jsonl_columns(path, options.encoding, fmt.compressed, source), 0)
        delimiter = options.delimiter or fmt.delimiter
        header = delimited.read_header(path, fmt.compressed, delimiter, options.encoding, options.quoted_fields)
    if len(header.columns) == 1 and (really := other_delimiter(header.columns[0], delimiter)):
        raise SourceError(source, delimiter_message(header.columns[0], delimiter, really))
    return header


def iter_chunks(path: Path, fmt: Format, options: ReadOptions, header: Header, chunk_rows: int,
                source: str) -> Iterator[RawChunk]:
    """The file's data rows in chunks of at most `chunk_rows`. A problem part-way (a truncated
    gzip, a bad byte, a malformed row) is a SourceError that says how many rows came before it."""
    if fmt.kind == "parquet":
        yield from structured.parquet_chunks(path, chunk_rows, source)
        return
    rows_read = 0
    with _translated(path, fmt, options, source, rows_read=lambda: rows_read):
        if fmt.kind == "jsonl":
            chunks = structured.jsonl_chunks(path, options.encoding, fmt.compressed, chunk_rows, source)
        else:
            chunks = delimited.read_chunks(path, fmt.compressed, options.delimiter or fmt.delimiter,
                                           options.encoding, options.quoted_fields, header, chunk_rows)
        for chunk in chunks:
            rows_read += len(chunk.frame)
            yield chunk


class _translated:
    """Re-raise what a reader throws as a SourceError that names the file and says what to do."""

    def __init__(self, path: Path, fmt: Format, options: ReadOptions, source: str, rows_read):
        self.path, self.fmt, self.options, self.source = path, fmt, options, source
        self.rows_read = rows_read if callable(rows_read) else (lambda: rows_read)

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, traceback) -> bool:
        if error is None or isinstance(error, SourceError):
            return False
        after = f" after {self.rows_read()} data rows" if self.rows_read() else ""
        if isinstance(error, UnicodeDecodeError):
            message = encoding_message(self.path, self.options.encoding, self.fmt.compressed, str(error))
        elif isinstance(error, (EOFError, zlib.error, gzip.BadGzipFile)):
            message = (f"the gzip stream is truncated or corrupt ({error}){after}; the file was not "
                       "ingested: upload it again")
        elif isinstance(error, pd.errors.EmptyDataError):
            message = "the file is empty (no header row)"
        elif isinstance(error, pd.errors.ParserError):
            message = f"malformed delimited text{after}: {str(error).strip()}"
        else:
            return False
        raise SourceError(self.source, message) from error
