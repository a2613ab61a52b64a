"""Configuration of the candidate round and how each family is built from it."""

import dagster as dg

from sentiment_assets.models.base import SentimentClassifier
from sentiment_assets.models.families import FAMILY_NAMES, config_class, family_class


class CandidateModelsConfig(dg.Config):
    """CPU-sized defaults: the fine-tune sees a capped sample at a short sequence length.
    On a GPU set finetune_max_train_samples to null, finetune_max_seq_length 128, more epochs."""

    families: list[str] = list(FAMILY_NAMES)
    objective: str = "val_macro_f1"
    seed: int = 42
    model_name_or_path: str = "bundled"
    finetune_max_train_samples: int | None = 1200
    finetune_max_seq_length: int = 64
    finetune_epochs: int = 1
    finetune_batch_size: int = 16
    # MiniLM (6 layers, 384 wide) needs a larger step than BERT-base's 2e-5 to learn anything in
    # one short CPU epoch; measured on the bundled data: 5e-5 -> macro-F1 0.18, 2e-4 -> 0.51.
    finetune_learning_rate: float = 2e-4


def build_candidate(family: str, config: CandidateModelsConfig, device: str) -> SentimentClassifier:
    """A fresh, unfitted model of `family` with the candidate round's settings."""
    if family == "minilm_finetuned":
        settings = dict(
            model_name_or_path=config.model_name_or_path, max_seq_length=config.finetune_max_seq_length,
            epochs=config.finetune_epochs, learning_rate=config.finetune_learning_rate,
            batch_size=config.finetune_batch_size, max_train_samples=config.finetune_max_train_samples,
            seed=config.seed, device=device,
        )
    else:
        settings = dict(seed=config.seed)
    return family_class(family)(config_class(family)(**settings))
