"""Naming a training run by what determines its result, so a retry finds its own checkpoints."""

from __future__ import annotations

import hashlib
import json

import pandas as pd

from sentiment_assets.models.finetune import FineTuneConfig
from sentiment_assets.models.resume import config_fingerprint


def run_fingerprint(config: FineTuneConfig, train: pd.DataFrame) -> str:
    """16 hex digits from the settings that decide the weights and the training rows (review
    ids and labels).

    The same settings on the same data give the same fingerprint on any machine and device, so a
    run re-executed after a crash -- here or on a GPU box -- resumes from the same checkpoints,
    while a changed setting or a new data version starts a fresh folder."""
    settings = json.dumps(config_fingerprint(config), sort_keys=True, default=str)
    digest = hashlib.blake2b(settings.encode(), digest_size=8)
    rows = train[["review_id", "label_id"]].astype(str).sort_values("review_id")
    digest.update(pd.util.hash_pandas_object(rows, index=False).to_numpy().tobytes())
    return digest.hexdigest()
