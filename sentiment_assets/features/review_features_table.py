"""The `review_features` table: written straight from the tokenizer's stream, chunk by chunk,
through the warehouse contract alone (DuckDB locally, Iceberg on aws), so no step holds every
tokenized review in memory. No Dagster here: the asset passes the warehouse."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import pandas as pd
import pyarrow as pa

SOURCE = "balanced_reviews"
TABLE = "review_features"
SOURCE_COLUMNS = ["review_id", "date", "review_body", "sentiment", "label_id"]  # what the tokenizer passes through
# The tokenizer drops the column it reads (review_body); this copy of the text rides through the
# stream beside its chunk instead, so writing the table reads nothing back from the source.
TEXT_ALONGSIDE = "review_body_alongside"


class FeaturesWarehouse(Protocol):
    """What the table needs from the warehouse resource (resources.warehouse.Warehouse)."""

    def read_table(
        self, table: str, columns: list[str] | None = None, *, where: dict[str, object] | None = None
    ) -> pd.DataFrame: ...

    def read_batches(
        self,
        table: str,
        columns: list[str] | None = None,
        *,
        where: dict[str, object] | None = None,
        batch_rows: int = 65_536,
    ) -> Iterator[pd.DataFrame]: ...

    def write_table_in_chunks(self, table: str, chunks: Iterable[pd.DataFrame]) -> int: ...


@dataclass(frozen=True)
class TruncationSummary:
    """How many reviews the table holds, how many filled max_seq_length (cut, or exactly that
    long), and the longest review in tokens."""

    reviews: int
    truncated: int
    longest: int


def review_texts(warehouse: FeaturesWarehouse, chunk_rows: int) -> Iterator[str]:
    """The training population's review texts, read in batches of `chunk_rows`."""
    for frame in warehouse.read_batches(SOURCE, ["review_body"], batch_rows=chunk_rows):
        yield from frame["review_body"]


def feature_source(warehouse: FeaturesWarehouse, chunk_rows: int, review_ids: Iterable[str]) -> Iterator[pd.DataFrame]:
    """The reviews to tokenize, ordered by review_id, in frames of at most `chunk_rows` rows,
    each with the text also under TEXT_ALONGSIDE. `review_ids` are the source's ids (held by the
    caller already): sorted here, then each frame is one read of the next `chunk_rows` of them,
    so memory holds one frame of texts however large the table (at the cost of one filtered
    read of the source per frame)."""
    ordered = sorted(review_ids)
    for start in range(0, len(ordered), chunk_rows):
        frame = warehouse.read_table(SOURCE, SOURCE_COLUMNS, where={"review_id": ordered[start : start + chunk_rows]})
        frame = frame.sort_values("review_id", ignore_index=True)
        yield frame.assign(**{TEXT_ALONGSIDE: frame["review_body"]})


def write_review_features(
    warehouse: FeaturesWarehouse, tokens: Iterable[pa.RecordBatch], splits: pa.Table, max_seq_length: int
) -> TruncationSummary:
    """Replace `review_features` with the token stream joined to each review's split and text
    (the stream's columns, then review_body, then split_type; reviews without a split are left
    out), and count the reviews that filled `max_seq_length` tokens on the way."""
    split_of = pd.Series(splits.column("split_type").to_pylist(), index=splits.column("review_id").to_pylist())
    truncated = longest = 0

    def chunks() -> Iterator[pd.DataFrame]:
        nonlocal truncated, longest
        for batch in tokens:
            split_type = pa.array(split_of.reindex(batch.column("review_id").to_pylist()), pa.string())
            has_split = split_type.is_valid()
            table = pa.Table.from_batches([batch]).filter(has_split)
            text = table.column(TEXT_ALONGSIDE)
            table = table.drop_columns([TEXT_ALONGSIDE]).append_column("review_body", text)
            table = table.append_column("split_type", split_type.filter(has_split))
            lengths = table.column("input_ids").combine_chunks().value_lengths().to_numpy(zero_copy_only=False)
            truncated += int((lengths >= max_seq_length).sum())
            longest = max(longest, int(lengths.max(initial=0)))
            # Arrow-backed columns keep the Arrow types (list<int32> token ids) into the warehouse.
            yield table.to_pandas(types_mapper=pd.ArrowDtype)

    reviews = warehouse.write_table_in_chunks(TABLE, chunks())
    return TruncationSummary(reviews=reviews, truncated=truncated, longest=longest)
