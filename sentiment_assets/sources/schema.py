"""The contract every source is read into: the normalised review table, the rejected-rows table,
and the one error type that names the file a problem was found in.

dbt staging reads the normalised table by column name, so columns are only ever added (at the
end), never renamed. Every chunk carries the same dtypes: a chunk whose titles are all blank must
still say "string", or the first chunk streamed into DuckDB would fix the column type to NULL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

TEXT = "string"  # pandas' string dtype: stays a string column in Arrow/DuckDB even when all-null
WHOLE = "Int64"  # nullable integer
#: product_category of a row whose file has no category column, or whose category is blank.
UNKNOWN_CATEGORY = "unknown"

#: The normalised review table (`raw_reviews`), in order, with its dtypes.
#: `sentiment` (-1/0/1) comes from an existing label, or from the stars when the source has
#: them, and is null for every row of an unlabelled file (one to score, not to train on);
#: `extra` is a JSON object of the source columns the preset or mapping keeps verbatim;
#: `review_body` is the text exactly as read, `review_body_normalised` its cleaned twin
#: (sentiment_assets.features.text_normalisation), never blank in an accepted row.
ACCEPTED_DTYPES: dict[str, str] = {
    "review_id": TEXT,
    "date": "datetime64[ns]",  # naive UTC (sentiment_assets.timestamps)
    "title": TEXT,
    "review_body": TEXT,
    "star_rating": WHOLE,  # 1..5, or null when the source has a sentiment label instead, or no label
    "product_category": TEXT,  # UNKNOWN_CATEGORY when the source has none for the row
    "division_name": TEXT,
    "department_name": TEXT,
    "clothing_id": WHOLE,
    "age": WHOLE,
    "recommended": WHOLE,
    "positive_feedback_count": WHOLE,
    "source_file": TEXT,
    "source_row": "int64",  # 1-based data row (record) in the file, header excluded
    "sentiment": WHOLE,
    "extra": TEXT,
    "review_body_normalised": TEXT,
}
NORMALISED_COLUMNS: tuple[str, ...] = tuple(ACCEPTED_DTYPES)

#: Rows that could not be accepted: where they came from, why, and the original row as JSON.
REJECTED_DTYPES: dict[str, str] = {
    "source_file": TEXT,
    "source_row": "int64",
    "reason": TEXT,
    "raw_record": TEXT,
}
REJECTED_COLUMNS: tuple[str, ...] = tuple(REJECTED_DTYPES)


@dataclass(frozen=True)
class RawChunk:
    """What a format reader hands on: up to chunk_rows data rows with every value a string ("" for
    missing), `first_row` the 1-based number of the first, and for JSON Lines the original lines
    (else None: a rejected row's raw record is rebuilt from the frame).

    What the reader found, per row, for validation to judge:
    - `row_problems`: reason -> mask of rows the header cannot describe (surplus fields, broken
      quoting); their values are not what the header says, so they are judged by this alone;
    - `raw_records`: row -> the original record as JSON, where the frame cannot show it;
    - `nested`: column -> per row "object", "array" or "": a JSON object/array read as its JSON text;
    - `undecodable`: column -> mask of binary values that are not UTF-8 (read with backslash escapes);
    - `longest_value`: no value has more characters than this (the longest record read), or None
      when the reader cannot say: values are measured only when it may exceed max_field_chars.
    """

    frame: pd.DataFrame
    first_row: int
    records: list[str] | None = None
    row_problems: Mapping[str, np.ndarray] = field(default_factory=dict)
    raw_records: Mapping[int, str] = field(default_factory=dict)
    nested: Mapping[str, np.ndarray] = field(default_factory=dict)
    undecodable: Mapping[str, np.ndarray] = field(default_factory=dict)
    longest_value: int | None = None


class SourceError(ValueError):
    """A file (or location) cannot be read as reviews. The message starts with the file's name
    and says where (row, column, byte offset) when there is a where."""

    def __init__(self, source: str, message: str, *, row: int | None = None, column: str | None = None):
        super().__init__(f"{source}: {message}")
        self.source = source
        self.row = row
        self.column = column


def json_lines(frame: pd.DataFrame) -> list[str]:
    """Each row as one compact JSON object (null for missing). pandas' C encoder is ~6x faster than
    json.dumps per row; it writes "/" as "\\/", which every JSON reader reads back as "/"."""
    if frame.empty:
        return []
    # JSON escapes newlines inside strings, so "\n" separates records exactly.
    lines = frame.to_json(orient="records", lines=True, force_ascii=False)
    if lines is None:  # only when given a path to write to
        raise RuntimeError("DataFrame.to_json returned no text")
    return lines.split("\n")[: len(frame)]


def empty_accepted() -> pd.DataFrame:
    """A zero-row normalised table with the contract's dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in ACCEPTED_DTYPES.items()})


def empty_rejected() -> pd.DataFrame:
    """A zero-row rejected table with the contract's dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in REJECTED_DTYPES.items()})
