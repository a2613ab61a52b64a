"""A BERT small enough to train in well under a second per epoch on a CPU, for the tests of
checkpointing, resuming and the training entry point (not a test module itself).

It uses the bundled MiniLM's tokenizer, so texts tokenize as in production; only the network is
shrunk (2 layers, hidden size 32).
"""

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

from sentiment_assets.models.finetune_config import FineTuneConfig
from sentiment_assets.models.pretrained import resolve_model_path

FILLER = ["the fabric is soft", "it arrived on time", "the colour matches the photo", "I wore it"]
WORDS = ["the", "dress", "fits", "well", "but", "zipper", "broke", "love", "colour", "soft", "runs", "small"]


def make_tiny_bert(directory: Path, **config) -> Path:
    """Save a freshly initialised (seeded) tiny BERT classifier and the MiniLM tokenizer.
    `config`: BertConfig fields to change (e.g. hidden_dropout_prob=0.0)."""
    tokenizer = AutoTokenizer.from_pretrained(resolve_model_path("bundled"))
    torch.manual_seed(0)
    model = BertForSequenceClassification(
        BertConfig(
            **{
                "vocab_size": tokenizer.vocab_size,
                "hidden_size": 32,
                "num_hidden_layers": 2,
                "num_attention_heads": 2,
                "intermediate_size": 64,
                "num_labels": 3,
                **config,
            }
        )
    )
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return Path(directory)


def tiny_classifier(directory: Path, max_seq_length: int = 24):
    """A tiny BERT with random weights, saved and loaded as a TransformerClassifier (for scoring
    tests, which need no training)."""
    import json

    from sentiment_assets.models.transformer import CONFIG_FILE, TransformerClassifier

    make_tiny_bert(directory)
    settings = FineTuneConfig(model_name_or_path=str(directory), max_seq_length=max_seq_length, eval_batch_size=8)
    (directory / CONFIG_FILE).write_text(json.dumps(vars(settings)))
    return TransformerClassifier.load(directory)


def toy_reviews(per_class: int = 16, seed: int = 0, max_fillers: int = 4) -> pd.DataFrame:
    """Reviews whose sentiment is given away by one word (hate/okay/love), padded with 0 to
    `max_fillers` neutral phrases, so that lengths vary and batches really are length-sorted."""
    rng = np.random.default_rng(seed)
    rows = []
    for label_id, word in enumerate(["hate", "okay", "love"]):
        for _ in range(per_class):
            filler = ", ".join(rng.choice(FILLER, size=rng.integers(0, max_fillers + 1)))
            rows.append({"review_body": f"I {word} this dress. {filler}".strip(), "label_id": label_id})
    return pd.DataFrame(rows).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def imbalanced_reviews(counts: tuple[int, int, int], seed: int = 0) -> pd.DataFrame:
    """toy_reviews with `counts[k]` reviews of label k, shuffled: the (default) balanced class
    weights are then not all 1."""
    reviews = toy_reviews(per_class=max(counts), seed=seed)
    parts = [reviews.loc[reviews["label_id"] == label].head(n) for label, n in enumerate(counts)]
    return pd.concat(parts).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def random_length_reviews(n: int, seed: int) -> pd.DataFrame:
    """Unlabelled reviews of 1 to 40 random words, so that length sorting reorders them and the
    longest are truncated (the scoring tests)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"review_body": [" ".join(rng.choice(WORDS, size=rng.integers(1, 41))) for _ in range(n)]})


def write_training_inputs(root: Path, model_dir: Path, train: pd.DataFrame) -> None:
    """The training entry point's inputs under `root`: train.parquet (text) and valid.parquet
    (toy_reviews(per_class=4, seed=1), as token ids of `model_dir`'s tokenizer)."""
    train.to_parquet(root / "train.parquet")
    valid = toy_reviews(per_class=4, seed=1)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    valid.assign(input_ids=tokenizer(valid["review_body"].tolist())["input_ids"]).drop(
        columns="review_body"
    ).to_parquet(root / "valid.parquet")


def tiny_config(model_dir: Path, **overrides) -> FineTuneConfig:
    """A fast config for the tiny BERT: short sequences, small batches, a high learning rate."""
    fields = dict(
        model_name_or_path=str(model_dir),
        max_seq_length=24,
        batch_size=8,
        eval_batch_size=32,
        learning_rate=1e-3,
        epochs=2,
        log_every_steps=1000,
    )
    return FineTuneConfig(**{**fields, **overrides})


def weights_equal(first: dict, second: dict) -> bool:
    """Same parameter names and bit-for-bit equal tensors."""
    return first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """torch on one thread while inside. Tiny models gain nothing from more, and on a busy
    machine the threads' spin-waits make each step several times slower. Subprocesses get
    ONE_THREAD_ENV, so that they run the very same kernels as the test process."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


ONE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
