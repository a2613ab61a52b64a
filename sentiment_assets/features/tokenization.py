"""Turn review text into token ids with a Hugging Face tokenizer (the bundled MiniLM by default)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def load_tokenizer(name_or_path: str | None = None):
    from transformers import AutoTokenizer

    from sentiment_assets.models.pretrained import resolve_model_path

    return AutoTokenizer.from_pretrained(resolve_model_path(name_or_path))


def tokenize(
    texts: Sequence[str], tokenizer, max_seq_length: int, batch_size: int = 2048
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """input_ids and attention_mask per text, unpadded (padding is added per batch at training).

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
