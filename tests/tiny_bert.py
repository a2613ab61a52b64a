"""A BERT small enough to train in well under a second per epoch on a CPU, for the tests of
checkpointing, resuming and the training entry point (not a test module itself).

It uses the bundled MiniLM's tokenizer, so texts tokenize as in production; only the network is
shrunk (2 layers, hidden size 32).
"""

import contextlib
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification  # noqa: E402

from sentiment_assets.models.finetune import FineTuneConfig  # noqa: E402
from sentiment_assets.models.pretrained import resolve_model_path  # noqa: E402

FILLER = ["the fabric is soft", "it arrived on time", "the colour matches the photo", "I wore it"]


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


def toy_reviews(per_class: int = 16, seed: int = 0) -> pd.DataFrame:
    """Reviews whose sentiment is given away by one word (hate/okay/love), padded with neutral
    filler of varying length."""
    rng = np.random.default_rng(seed)
    rows = []
    for label_id, word in enumerate(["hate", "okay", "love"]):
        for _ in range(per_class):
            filler = ", ".join(rng.choice(FILLER, size=rng.integers(0, 5)))
            rows.append({"review_body": f"I {word} this dress. {filler}".strip(), "label_id": label_id})
    return pd.DataFrame(rows).sample(frac=1.0, random_state=seed).reset_index(drop=True)


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
