"""File formats by suffix, and reading one file's header and its rows in bounded chunks.

Every value comes out as a string ("" for missing): nothing is coerced while reading, so the
validation step sees exactly what the file holds and can quarantine what does not fit.
"""

from __future__ import annotations

import contextlib
import gzip
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from . import delimited, structured
from .delimited import Header
from .diagnostics import delimiter_message, encoding_message, other_delimiter
from .schema import RawChunk, SourceError
from .spec import MAX_RECORD_CHARS


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
    max_record_chars: int = MAX_RECORD_CHARS

    def delimiter_for(self, fmt: Format) -> str:
        """The delimiter a delimited file is split by: this option's, else the format's."""
        delimiter = self.delimiter or fmt.delimiter
        if delimiter is None:
            raise ValueError(f"a {fmt.kind} file has no delimiter: only delimited text is split by one")
        return delimiter


class PhysicalLines:
    """The lines of a text, counted, none longer than `max_chars` (line ending included).

    `readline(max_chars + 1)` never holds more than that: a longer line -- a gzip bomb of one 2 GB
    line, a binary file, an unterminated quote in a file without newlines -- is refused after
    reading at most max_chars + 1 characters of it, naming the line."""

    def __init__(self, handle: TextIO, max_chars: int, source: str):
        self.handle, self.max_chars, self.source = handle, max_chars, source
        self.number = 0  # physical lines read so far
        self._lines = self._read()

    def _read(self) -> Iterator[str]:
        readline, limit = self.handle.readline, self.max_chars + 1
        while line := readline(limit):
            self.number += 1
            if len(line) == limit:
                raise SourceError(
                    self.source,
                    f"line {self.number} is longer than {self.max_chars:,} characters "
                    "(max_record_chars in the source spec); the file was not ingested",
                    row=self.number,
                )
            yield line

    def __iter__(self) -> Iterator[str]:
        return self._lines

    def __next__(self) -> str:
        return next(self._lines)

    def skip(self, count: int) -> None:
        for _ in range(count):
            next(self._lines, None)


@contextlib.contextmanager
def _lines(path: Path, fmt: Format, options: ReadOptions, source: str) -> Iterator[PhysicalLines]:
    # Delimited text: newline="" as the csv module asks, so a "\r\n" inside a quoted value is kept
    # as read. JSON Lines: only "\n" ends a record (a JSON string cannot hold a raw newline).
    newline = "\n" if fmt.kind == "jsonl" else ""
    opener = gzip.open if fmt.compressed else open
    with opener(path, "rt", encoding=options.encoding, newline=newline) as handle:
        yield PhysicalLines(handle, options.max_record_chars, source)


def _refuse_duplicate_columns(columns: list[str], source: str) -> None:
    # A reader would silently take one of two same-named columns (pandas the first, a dict the
    # last): which one holds the reviews is a guess, so the file is refused instead.
    repeated = [name for name, count in Counter(columns).items() if count > 1]
    if repeated:
        places = {name: [i + 1 for i, c in enumerate(columns) if c == name] for name in repeated}
        listed = "; ".join(f"{name!r} (columns {', '.join(map(str, at))})" for name, at in places.items())
        raise SourceError(
            source,
            f"duplicate column name(s) in the header: {listed}; rename them so that each column has its own name",
            column=repeated[0],
        )


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
    """The file's column names. An empty file, a file in another encoding, a broken gzip stream, a
    header split by another delimiter or naming a column twice is a SourceError naming `source`."""
    if fmt.kind == "parquet":
        header = Header(structured.parquet_columns(path, source), 0)
    else:
        with _translated(path, fmt, options, source, rows_read=0), _lines(path, fmt, options, source) as lines:
            if fmt.kind == "jsonl":
                header = Header(structured.jsonl_columns(lines, source), 0)
            else:
                delimiter = options.delimiter_for(fmt)
                header = delimited.read_header(lines, delimiter, options.quoted_fields)
                if len(header.columns) == 1 and (really := other_delimiter(header.columns[0], delimiter)):
                    raise SourceError(source, delimiter_message(header.columns[0], delimiter, really))
    _refuse_duplicate_columns(header.columns, source)
    return header


def iter_chunks(
    path: Path, fmt: Format, options: ReadOptions, header: Header, chunk_rows: int, source: str
) -> Iterator[RawChunk]:
    """The file's data rows in chunks of at most `chunk_rows`. A problem part-way is a SourceError
    that says how many rows came before it (a truncated gzip, a bad byte) or names the line (a
    line or record over max_record_chars, a quote left open: see delimited)."""
    if fmt.kind == "parquet":
        yield from structured.parquet_chunks(path, chunk_rows, source)
        return
    rows_read = 0
    translated = _translated(path, fmt, options, source, rows_read=lambda: rows_read)
    with translated, _lines(path, fmt, options, source) as lines:
        if fmt.kind == "jsonl":
            chunks = structured.jsonl_chunks(lines, chunk_rows)
        else:
            lines.skip(header.lines)
            chunks = delimited.read_chunks(lines, options.delimiter_for(fmt), options.quoted_fields, header, chunk_rows)
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
            message = (
                f"the gzip stream is truncated or corrupt ({error}){after}; the file was not ingested: upload it again"
            )
        else:
            return False
        raise SourceError(self.source, message) from error
