"""Naming a training run by what determines its result, so a retry finds its own checkpoints."""

from __future__ import annotations

import json

import pandas as pd

from sentiment_assets.fingerprints import frame_fingerprint
from sentiment_assets.models.finetune_config import FineTuneConfig
from sentiment_assets.models.resume import config_fingerprint


def run_fingerprint(config: FineTuneConfig, train: pd.DataFrame) -> str:
    """16 hex digits from the settings that decide the weights and the training rows (review
    ids and labels): the name of the run's checkpoint folder.

    The same settings on the same data give the same fingerprint on any machine and device, so a
    run re-executed after a crash -- here or on a GPU box -- resumes from the same checkpoints,
    while a changed setting or a new data version starts a fresh folder."""
    settings = json.dumps(config_fingerprint(config), sort_keys=True, default=str)
    rows = pd.DataFrame(train[["review_id", "label_id"]].astype(str))
    return frame_fingerprint(rows, sort_by="review_id", salt=settings)
