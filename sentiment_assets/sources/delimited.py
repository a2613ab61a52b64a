"""CSV and TSV (plain or gzip): the header, then the rows in chunks, every value a string.

The csv module parses lines that formats.PhysicalLines reads with a size cap, so no line or
record is held beyond `max_record_chars`, a NUL stays in the text as read (pandas' C parser cut
the value there), and every record is counted with the physical lines it came from.

How an unterminated quote is caught. A quote opened and never closed swallows the lines after
it, up to the next quote in the file, into one value: two records read as one, and the row
counts still reconcile. The rule: quoting is strict, and a record may span lines only as a
well-formed quoted value that leaves the record exactly as wide as the header.
- A quote inside a quoted value must be doubled and a closing quote must end the value (the
  csv module's `strict`). A swallowing quote is nearly always "closed" by the opening quote of a
  later value, which is followed by text, not by a delimiter: broken quoting.
- Broken quoting on one line is that row's problem: it is quarantined, the next line is a new
  record. Broken quoting on a later line than the record started on, a quoted value still open
  at the end of the file, a record over `max_record_chars`, or a record spanning lines whose
  field count differs from the header's, means the record boundaries cannot be trusted: the file
  is refused, naming the line the record started on.
Multi-line reviews in a well-formed file pass all of this. What it cannot see is a swallowing
quote "closed" by a stray quote that ends a later value right where the merged record comes out
exactly header-wide (`size 27"` followed by the delimiter, in the open quote's column).

Surplus fields (an unquoted delimiter in a value) are kept out of the frame and the row is
quarantined, however many there are; a short row is padded with "" (its missing values are
then judged as blank).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .schema import RawChunk, SourceError

if TYPE_CHECKING:  # formats imports this module
    from .formats import PhysicalLines

SURPLUS_FIELDS = "more fields than the header (an unquoted delimiter in a value?)"
BROKEN_QUOTING = "malformed quoting (a quote inside a quoted value not doubled, or text after a closing quote)"
#: The key a quarantined row's raw record keeps its unparsed line under.
UNPARSED_KEY = "_unparsed_line"


@dataclass(frozen=True)
class Header:
    """Column names and how many physical lines (blank lines and the header) precede the data."""

    columns: list[str]
    lines: int


def _dialect(delimiter: str, quoted: bool) -> dict:
    return {"delimiter": delimiter, "quoting": csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE, "strict": True}


def _hint(quoted: bool) -> str:
    return " If the file does not quote its values, read it with quoting='none'." if quoted else ""


def _allow_fields_up_to(chars: int) -> None:
    # The csv module's field limit is one process-wide setting (default 128 Ki characters, less
    # than a long review). Every record parsed here is already capped by PhysicalLines and
    # _Record, so the limit is only ever raised, never lowered below what another caller set.
    if csv.field_size_limit() < chars:
        csv.field_size_limit(chars)


def read_header(lines: PhysicalLines, delimiter: str, quoted: bool) -> Header:
    """The first non-blank line parsed as the header; a blank name becomes "Unnamed: <i>" (as
    pandas names it). An empty file or a header that is not valid delimited text is a SourceError."""
    _allow_fields_up_to(lines.max_chars)
    for line in lines:
        line = line.removeprefix("\ufeff") if lines.number == 1 else line  # a byte order mark is no name
        if line.strip():
            break
    else:
        raise SourceError(lines.source, "the file is empty (no header row)")
    try:
        [names] = list(csv.reader([line], **_dialect(delimiter, quoted)))
    except csv.Error as error:
        raise SourceError(
            lines.source,
            f"the header (line {lines.number}) is not valid delimited text ({error}).{_hint(quoted)}",
            row=lines.number,
        ) from error
    return Header([name or f"Unnamed: {i}" for i, name in enumerate(names)], lines.number)


class _Record:
    """Hands the csv reader the lines of one record at a time and knows where that record
    started, how many lines and characters it has taken, and whether the text has ended."""

    def __init__(self, lines: PhysicalLines, delimiter: str):
        self.lines = lines
        self.blank = "".join(c for c in " \t\r\n" if c != delimiter)
        self.first_line = self.line_count = self.chars = 0
        self.last_line = ""
        self.ended = False

    def __iter__(self) -> Iterator[str]:
        lines, blank, max_chars = self.lines, self.blank, self.lines.max_chars
        for line in lines:
            if not self.line_count:
                if not line.strip(blank):
                    continue  # a blank line between records is no record (as pandas reads it)
                self.first_line = lines.number
            self.line_count += 1
            self.chars += len(line)
            if self.chars > max_chars:
                raise SourceError(
                    lines.source,
                    (
                        f"line {self.first_line}: the record starting on this line is longer than {max_chars:,} "
                        f"characters by line {lines.number} (max_record_chars in the source spec): a quoted value that "
                        "is never closed? The file was not ingested."
                    ),
                    row=self.first_line,
                )
            self.last_line = line
            yield line
        self.ended = True

    def done(self) -> None:
        self.line_count = self.chars = 0


def _refuse_spanning(record: _Record, problem: str, quoted: bool) -> None:
    raise SourceError(
        record.lines.source,
        (
            f"line {record.first_line}: {problem} in the record starting on this line: an unterminated quote "
            f"that swallowed the line(s) after it? The file was not ingested.{_hint(quoted)}"
        ),
        row=record.first_line,
    )


def _spare_names(columns: list[str], count: int) -> list[str]:
    # Named after their field position, so a quarantined row's raw record says where they were.
    names, taken = [], set(columns)
    for position in range(len(columns) + 1, len(columns) + 1 + count):
        name = f"_field_{position}"
        while name in taken:
            name = "_" + name
        names.append(name)
    return names


class _Rows:
    """One chunk's rows, each exactly header-wide, and the rows the header cannot describe."""

    def __init__(self, columns: list[str]):
        self.columns, self.width = columns, len(columns)
        self.rows: list[list[str]] = []
        self.problems: dict[str, list[int]] = {BROKEN_QUOTING: [], SURPLUS_FIELDS: []}
        self.raw: dict[int, str] = {}
        self.longest = 0  # characters of the longest record: no value is longer

    def add(self, fields: list[str]) -> None:
        if len(fields) > self.width:
            names = self.columns + _spare_names(self.columns, len(fields) - self.width)
            self._quarantine(SURPLUS_FIELDS, dict(zip(names, fields, strict=False)))
            fields = fields[: self.width]
        elif len(fields) < self.width:
            fields = fields + [""] * (self.width - len(fields))
        self.rows.append(fields)

    def add_unparsed(self, line: str) -> None:
        self._quarantine(BROKEN_QUOTING, {UNPARSED_KEY: line})
        self.rows.append([""] * self.width)

    def _quarantine(self, reason: str, raw: dict) -> None:
        self.problems[reason].append(len(self.rows))
        self.raw[len(self.rows)] = json.dumps(raw, ensure_ascii=False)

    def chunk(self, first_row: int) -> RawChunk:
        n = len(self.rows)
        masks = {}
        for reason, rows in self.problems.items():
            if rows:
                masks[reason] = np.zeros(n, dtype=bool)
                masks[reason][rows] = True
        frame = pd.DataFrame(self.rows, columns=pd.Index(self.columns), dtype=object)
        return RawChunk(frame, first_row, row_problems=masks, raw_records=self.raw, longest_value=self.longest)


def read_chunks(
    lines: PhysicalLines, delimiter: str, quoted: bool, header: Header, chunk_rows: int
) -> Iterator[RawChunk]:
    """Data rows in chunks (`lines` positioned after the header); see the module docstring for
    which rows are quarantined and which files refused."""
    _allow_fields_up_to(lines.max_chars)
    record = _Record(lines, delimiter)
    reader = csv.reader(record, **_dialect(delimiter, quoted))
    rows, first_row = _Rows(header.columns), 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            if record.ended:
                _refuse_spanning(
                    record, f"a quoted value is still open at the end of the file (line {lines.number})", quoted
                )
            if record.line_count > 1:
                _refuse_spanning(
                    record, f"a quoted value is not closed properly at line {lines.number} ({error})", quoted
                )
            rows.add_unparsed(record.last_line)
        else:
            rows.longest = max(rows.longest, record.chars)
            if record.line_count > 1 and len(fields) != rows.width:
                _refuse_spanning(
                    record,
                    f"a quoted value spans lines {record.first_line}-{lines.number} and "
                    f"leaves {len(fields)} fields, not the header's {rows.width},",
                    quoted,
                )
            rows.add(fields)
        record.done()
        if len(rows.rows) == chunk_rows:
            yield rows.chunk(first_row)
            first_row += chunk_rows
            rows = _Rows(header.columns)
    if rows.rows:
        yield rows.chunk(first_row)
