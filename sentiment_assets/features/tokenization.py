"""Turn review text into token ids with a Hugging Face tokenizer (the bundled MiniLM by default).

Two ways in: `tokenize` for a list of texts already in memory, and `tokenize_stream` for a
stream of chunks of any length (SageMaker Processing's sharding on one machine): chunks are
tokenized by a pool of worker processes, a bounded number at a time, and come back in order as
Arrow record batches (`input_ids` list<int32>, `attention_mask` list<int8>), ready to be written
to DuckDB or Parquet chunk by chunk.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, islice
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from sentiment_assets.analysis.profiling import MAX_SEQ_LENGTH_CAP, next_power_of_two
from sentiment_assets.features.parallel import ordered_pool_map

Chunk = pd.DataFrame | pa.RecordBatch | pa.Table
"""A chunk of rows: the text column plus pass-through columns (e.g. review_id)."""


def load_tokenizer(name_or_path: str | os.PathLike | None = None):
    from transformers import AutoTokenizer

    from sentiment_assets.models.pretrained import resolve_model_path

    resolved = resolve_model_path(None if name_or_path is None else str(name_or_path))
    return AutoTokenizer.from_pretrained(resolved)


def tokenize(
    texts: Sequence[str], tokenizer, max_seq_length: int, batch_size: int = 2048
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """input_ids and attention_mask per text, unpadded (padding is added per batch at training),
    each at most `max_seq_length` TOKENS long, [CLS] and [SEP] included.

    Stored as int32 / int8 arrays so the feature table holds integer lists, not strings.
    """
    input_ids: list[np.ndarray] = []
    attention: list[np.ndarray] = []
    for start in range(0, len(texts), batch_size):
        chunk = list(texts[start : start + batch_size])
        encoded = tokenizer(chunk, truncation=True, max_length=max_seq_length, padding=False)
        input_ids.extend(np.asarray(ids, dtype=np.int32) for ids in encoded["input_ids"])
        attention.extend(np.asarray(mask, dtype=np.int8) for mask in encoded["attention_mask"])
    return input_ids, attention


def max_seq_length_from_tokens(
    texts: Iterable[str], tokenizer, cap: int = MAX_SEQ_LENGTH_CAP, batch_size: int = 2048
) -> tuple[int, str]:
    """The next power of two at or above the longest review in tokens ([CLS]/[SEP] included),
    capped at `cap`, and a one-line reason. The course counted words; tokens are what the model
    sees (a 122-word review is ~180 WordPiece tokens, so 128 would cut it).

    `texts` may be any iterable (e.g. a stream from DuckDB); it is read once, in batches.
    """
    longest = 0
    iterator = iter(texts)
    while batch := list(islice(iterator, batch_size)):
        # No truncation: we want the true length. verbose=False silences the "longer than
        # the model's maximum" warning that a long review would trigger here.
        encoded = tokenizer(batch, truncation=False, padding=False, verbose=False)["input_ids"]
        longest = max(longest, max(map(len, encoded)))
    wanted = next_power_of_two(longest)
    chosen = min(wanted, cap)
    reason = f"longest review has {longest} tokens; next power of two is {wanted}"
    return chosen, reason + (f", capped at {cap}" if chosen < wanted else "")


def encode_to_arrow(texts: list[str], tokenizer, max_seq_length: int) -> tuple[pa.ListArray, pa.ListArray]:
    """input_ids (list<int32>) and attention_mask (list<int8>) for `texts`, unpadded.

    Built from one flat int32 buffer plus offsets, not one small array per review: ~3x less
    memory than a list of numpy arrays and no per-row Python objects after this function.
    """
    bad = [i for i, text in enumerate(texts) if not isinstance(text, str)]
    if bad:
        raise TypeError(
            f"every text must be a str; row {bad[0]} of the chunk is {texts[bad[0]]!r} "
            "(drop or fill blank reviews first)"
        )
    encoded = tokenizer(
        texts,
        truncation=True,
        max_length=max_seq_length,
        padding=False,
        return_attention_mask=False,
        return_token_type_ids=False,
    )["input_ids"]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int32, count=len(encoded)), out=offsets[1:])
    total = int(offsets[-1])
    flat = np.fromiter(chain.from_iterable(encoded), dtype=np.int32, count=total)
    arrow_offsets = pa.array(offsets)
    input_ids = pa.ListArray.from_arrays(arrow_offsets, pa.array(flat))
    # Without padding every position is a real token, so the mask is all ones (what the
    # tokenizer itself would return); building it here skips a second list of Python ints.
    attention_mask = pa.ListArray.from_arrays(arrow_offsets, pa.array(np.ones(total, dtype=np.int8)))
    return input_ids, attention_mask


def tokenize_stream(
    chunks: Iterable[str] | Iterable[Chunk] | Chunk,
    tokenizer_name_or_path: Any = None,
    max_seq_length: int = 128,
    chunk_rows: int = 10_000,
    workers: int = 2,
    text_column: str = "review_body",
    max_in_flight: int | None = None,
) -> Iterator[pa.RecordBatch]:
    """Tokenize a stream of reviews in parallel, one Arrow record batch per chunk, in input order.

    `chunks` is either an iterable of texts (regrouped into chunks of `chunk_rows`) or an
    iterable of DataFrame / RecordBatch / Table chunks holding `text_column`; chunks longer than
    `chunk_rows` are sliced. Every other column of a chunk (e.g. review_id) is passed through
    unchanged, ahead of `input_ids` (list<int32>) and `attention_mask` (list<int8>); the text
    itself is not repeated. `tokenizer_name_or_path` is what `load_tokenizer` accepts (None or
    "bundled" = MiniLM, a local directory, a cached name) or a loaded tokenizer. Each review keeps
    at most `max_seq_length` TOKENS, [CLS] and [SEP] included (not words).

    `workers` spawned processes each load the tokenizer once; at most `max_in_flight`
    (default 2 x workers) chunks are in memory at a time. workers=1 runs in this process.
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be >= 1, got {chunk_rows}")
    if isinstance(chunks, (pd.DataFrame, pa.RecordBatch, pa.Table)):
        chunks = [chunks]  # iterating a frame directly would yield its column names
    pieces = _split(chunks, chunk_rows, text_column)  # (texts, pass-through columns) pairs
    if workers == 1:
        tokenizer = _as_tokenizer(tokenizer_name_or_path)
        for texts, passthrough in pieces:
            yield _batch(passthrough, *encode_to_arrow(texts, tokenizer, max_seq_length))
        return
    # Only the texts travel to the workers; pass-through columns wait here beside their chunk.
    held: deque[pa.Table] = deque()

    def texts_only() -> Iterator[list[str]]:
        for texts, passthrough in pieces:
            held.append(passthrough)
            yield texts

    encoded = ordered_pool_map(
        _encode_in_worker,
        texts_only(),
        workers,
        initializer=_init_worker,
        initargs=(tokenizer_name_or_path, max_seq_length),
        max_in_flight=max_in_flight,
    )
    for input_ids, attention_mask in encoded:
        yield _batch(held.popleft(), input_ids, attention_mask)


def as_record_batch_reader(batches: Iterator[pa.RecordBatch]) -> pa.RecordBatchReader:
    """A stream of batches as one RecordBatchReader, which DuckDB (`CREATE TABLE t AS SELECT *
    FROM reader`) and Parquet writers consume chunk by chunk without materialising it."""
    batches = iter(batches)
    first = next(batches, None)
    if first is None:
        raise ValueError("no batches to read (the input stream was empty)")
    return pa.RecordBatchReader.from_batches(first.schema, chain([first], batches))


def _split(chunks, chunk_rows: int, text_column: str) -> Iterator[tuple[list[str], pa.Table]]:
    """(texts, pass-through columns) per piece of at most chunk_rows rows."""
    iterator = iter(chunks)
    first = next(iterator, None)
    if first is None:
        return
    iterator = chain([first], iterator)
    if isinstance(first, str):
        while texts := list(islice(iterator, chunk_rows)):
            yield texts, pa.table({})
        return
    for chunk in iterator:
        table = _as_table(chunk)
        if text_column not in table.column_names:
            raise KeyError(f"chunk has no {text_column!r} column (columns: {table.column_names})")
        for start in range(0, max(table.num_rows, 1), chunk_rows):
            piece = table.slice(start, chunk_rows)
            if piece.num_rows:
                yield piece.column(text_column).to_pylist(), piece.drop_columns([text_column])


def _as_table(chunk: Chunk) -> pa.Table:
    if isinstance(chunk, pd.DataFrame):
        return pa.Table.from_pandas(chunk, preserve_index=False)
    if isinstance(chunk, pa.RecordBatch):
        return pa.Table.from_batches([chunk])
    if isinstance(chunk, pa.Table):
        return chunk
    raise TypeError(f"expected texts or DataFrame/RecordBatch/Table chunks, got {type(chunk).__name__}")


def _batch(passthrough: pa.Table, input_ids: pa.ListArray, attention_mask: pa.ListArray) -> pa.RecordBatch:
    columns = [c.combine_chunks() for c in passthrough.columns] + [input_ids, attention_mask]
    names = passthrough.column_names + ["input_ids", "attention_mask"]
    return pa.RecordBatch.from_arrays(columns, names=names)


def _as_tokenizer(tokenizer_or_name):
    if tokenizer_or_name is None or isinstance(tokenizer_or_name, (str, os.PathLike)):
        return load_tokenizer(tokenizer_or_name)
    return tokenizer_or_name


# Per-worker state, set once by the pool's initializer in each spawned process.
_WORKER: dict[str, Any] = {}


def _init_worker(tokenizer_name_or_path, max_seq_length: int) -> None:
    _WORKER["tokenizer"] = _as_tokenizer(tokenizer_name_or_path)
    _WORKER["max_seq_length"] = max_seq_length


def _encode_in_worker(texts: list[str]) -> tuple[pa.ListArray, pa.ListArray]:
    return encode_to_arrow(texts, _WORKER["tokenizer"], _WORKER["max_seq_length"])
