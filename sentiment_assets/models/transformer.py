"""The fine-tuned transformer family: a pretrained encoder (MiniLM by default) with a fresh
3-class head, trained end to end on review sentiment."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from sentiment_assets.labels import LABEL_IDS, NUM_LABELS
from sentiment_assets.models.base import EpochCallback, EpochReport, SentimentClassifier
from sentiment_assets.models.batches import batched_logits, fit_to_length
from sentiment_assets.models.checkpoints import CheckpointStore
from sentiment_assets.models.finetune import EvaluateCallback, fine_tune
from sentiment_assets.models.finetune_config import FineTuneConfig
from sentiment_assets.models.pretrained import resolve_model_path
from sentiment_assets.models.safe_loading import refuse_pickle
from sentiment_assets.models.torch_setup import resolve_device, seed_everything

CONFIG_FILE = "finetune_config.json"
# How the training that produced the weights ended (steps, stop reason): what `lineage reproduce`
# needs to know that a re-run takes the same steps. Written only by a model that was fitted here.
OUTCOME_FILE = "training_outcome.json"


class TransformerClassifier(SentimentClassifier):
    """Fine-tunes a Hugging Face encoder on `label_id`; reads `input_ids` when the frame has them
    (token ids from the feature store, same tokenizer) and tokenizes `review_body` otherwise.

    With a CheckpointStore, `fit` checkpoints as it trains and resumes a run interrupted earlier
    (see `fine_tune`).

    After `fit` (or `load`): `model`, `tokenizer`; after `fit`: `training_history` (one
    EpochReport per epoch), `train_seconds`, `train_samples_per_second`, `steps`, `debug_record`
    (the debugger record, a dict), `profile` (its profiler summary), `resumed_from_step` (None
    unless resumed), `stopped_early` (the max_seconds budget ran out), `stop_reason` (why the loop
    ended; "stop_requested": asked to stop, to be moved, so half-trained) and `class_weights`
    (each label_id's weight in the training loss, see FineTuneConfig.class_weighting).
    """

    family = "minilm_finetuned"

    def __init__(self, config: FineTuneConfig | None = None, checkpoints: CheckpointStore | None = None) -> None:
        # scikit-learn style: only store the parameters; nothing is loaded until fit.
        self.config = config if config is not None else FineTuneConfig()
        self.checkpoints = checkpoints
        self.model = None
        self.tokenizer = None
        self.training_history: list[EpochReport] = []
        self.train_seconds: float | None = None
        self.train_samples_per_second: float | None = None
        self.steps: int | None = None
        self.debug_record: dict | None = None
        self.profile: dict | None = None
        self.resumed_from_step: int | None = None
        self.stopped_early: bool | None = None
        self.stop_reason: str | None = None
        self.class_weights: dict[int, float] | None = None

    def fit(
        self,
        train: pd.DataFrame,
        valid: pd.DataFrame | None = None,
        on_epoch_end: EpochCallback | None = None,
        on_evaluate: EvaluateCallback | None = None,
    ) -> TransformerClassifier:
        config = self.config
        train = self._limit(train)
        labels = _labels(train)  # checked before the (slow) model load
        path = resolve_model_path(config.model_name_or_path)
        # The new classification head is drawn from torch's global RNG while loading:
        # seed first so that the same seed starts from the same weights.
        seed_everything(config.seed)
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        # float32 master weights whatever the checkpoint's dtype; bf16 is autocast only.
        self.model = AutoModelForSequenceClassification.from_pretrained(
            path, num_labels=NUM_LABELS, dtype=torch.float32
        )
        scored = valid if valid is not None and len(valid) > 0 else None
        result = fine_tune(
            self.model,
            self._token_ids(train),
            labels,
            config,
            pad_id=self._pad_id(),
            valid_ids=self._token_ids(scored) if scored is not None else None,
            valid_labels=_labels(scored) if scored is not None else None,
            on_epoch_end=on_epoch_end,
            on_evaluate=on_evaluate,
            checkpoints=self.checkpoints,
        )
        self.training_history = result.history
        self.train_seconds = result.train_seconds
        self.train_samples_per_second = result.train_samples_per_second
        self.steps = result.steps
        self.debug_record = result.record
        self.profile = result.profile
        self.resumed_from_step = result.resumed_from_step
        self.stopped_early = result.stopped_early
        self.stop_reason = result.stop_reason
        self.class_weights = result.class_weights
        return self

    def predict_proba(self, reviews: pd.DataFrame) -> np.ndarray:
        """(n, 3) class probabilities in the order of `reviews`; columns are label_id 0, 1, 2."""
        self._require_fitted()
        if len(reviews) == 0:
            return np.zeros((0, NUM_LABELS), dtype=np.float32)
        config = self.config
        ids = self._token_ids(reviews)
        logits = batched_logits(self.model, ids, self._pad_id(), config.eval_batch_size, config.bf16)
        return torch.softmax(torch.from_numpy(logits), dim=1).numpy()

    def params(self) -> dict[str, object]:
        return dataclasses.asdict(self.config)

    def save(self, directory: Path) -> None:
        """A Hugging Face model directory (weights, config, tokenizer) plus finetune_config.json
        (and, for a model fitted here, training_outcome.json: its steps and stop reason)."""
        model, tokenizer = self._require_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(directory)
        tokenizer.save_pretrained(directory)
        (directory / CONFIG_FILE).write_text(json.dumps(self.params(), indent=2))
        if self.steps is not None:
            outcome = {"steps": self.steps, "stop_reason": self.stop_reason}
            (directory / OUTCOME_FILE).write_text(json.dumps(outcome, indent=2))

    @classmethod
    def load(cls, directory: Path, device: str | None = None) -> TransformerClassifier:
        """A classifier ready to predict. `device` overrides the saved one (e.g. "cpu" for a
        model trained on a GPU)."""
        directory = Path(directory)
        refuse_pickle(directory, "pytorch_model.bin", "model.safetensors")
        config = FineTuneConfig(**json.loads((directory / CONFIG_FILE).read_text()))
        if device is not None:
            config = dataclasses.replace(config, device=device)
        classifier = cls(config)
        if (directory / OUTCOME_FILE).is_file():
            outcome = json.loads((directory / OUTCOME_FILE).read_text())
            classifier.steps, classifier.stop_reason = int(outcome["steps"]), outcome.get("stop_reason")
        classifier.tokenizer = AutoTokenizer.from_pretrained(directory)
        # Only the safetensors weights that save() writes: a pickled pytorch_model.bin is refused.
        classifier.model = AutoModelForSequenceClassification.from_pretrained(
            directory, dtype=torch.float32, use_safetensors=True
        )
        classifier.model.to(resolve_device(config.device)).eval()
        return classifier

    # --- helpers -------------------------------------------------------------------------------

    def _token_ids(self, frame: pd.DataFrame) -> list[list[int]]:
        """Token ids per review, at most max_seq_length long, [CLS] ... [SEP]."""
        max_len, tokenizer = self.config.max_seq_length, self._loaded_tokenizer()
        if "input_ids" in frame.columns:
            sep_id, pad_id = tokenizer.sep_token_id, self._pad_id()
            return [fit_to_length(_as_ids(i), max_len, sep_id, pad_id) for i in frame["input_ids"]]
        texts = frame["review_body"].fillna("").astype(str).tolist()
        return tokenizer(texts, truncation=True, max_length=max_len)["input_ids"]

    def _pad_id(self) -> int:
        pad_id = self._loaded_tokenizer().pad_token_id
        if pad_id is None:
            raise ValueError("the tokenizer has no pad token; dynamic padding needs one")
        return pad_id

    def _loaded_tokenizer(self) -> Any:
        if self.tokenizer is None:
            raise RuntimeError("TransformerClassifier has no tokenizer: call fit() or load() first")
        return self.tokenizer

    def _limit(self, train: pd.DataFrame) -> pd.DataFrame:
        # A seeded random sample, so a small CPU run sees every class in about its real share.
        n = self.config.max_train_samples
        if n is None or len(train) <= n:
            return train
        return train.sample(n=n, random_state=self.config.seed)

    def _require_fitted(self) -> tuple[Any, Any]:
        """(model, tokenizer), or a RuntimeError before fit() or load()."""
        if self.model is None or self.tokenizer is None:
            raise RuntimeError("TransformerClassifier is not fitted: call fit() or load() first")
        return self.model, self.tokenizer


def _labels(frame: pd.DataFrame) -> np.ndarray:
    labels = frame["label_id"].to_numpy(dtype=np.int64)
    unknown = sorted(set(labels.tolist()) - set(LABEL_IDS))
    if unknown:
        raise ValueError(f"label_id must be one of {LABEL_IDS}, found {unknown}")
    return labels


def _as_ids(ids) -> list[int]:
    # Feature stores may keep token ids as a JSON string rather than a list.
    return json.loads(ids) if isinstance(ids, str) else ids
