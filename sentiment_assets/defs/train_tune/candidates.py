"""Configuration of the candidate round and how each family is built from it."""


import dagster as dg

from sentiment_assets.models.base import SentimentClassifier


class CandidateModelsConfig(dg.Config):
    """CPU-sized defaults: the fine-tune sees a capped sample at a short sequence length.
    On a GPU set finetune_max_train_samples to null, finetune_max_seq_length 128, more epochs."""

    families: list[str] = ["tfidf_logreg", "minilm_finetuned"]
    objective: str = "val_macro_f1"
    seed: int = 42
    model_name_or_path: str = "bundled"
    finetune_max_train_samples: int | None = 1200
    finetune_max_seq_length: int = 64
    finetune_epochs: int = 1
    finetune_batch_size: int = 16
    # Above the course's 2e-5 because the CPU default trains one short epoch.
    finetune_learning_rate: float = 5e-5


def build_candidate(family: str, config: CandidateModelsConfig, device: str) -> SentimentClassifier:
    if family == "tfidf_logreg":
        from sentiment_assets.models.tfidf import TfidfConfig, TfidfLogisticRegression

        return TfidfLogisticRegression(TfidfConfig(seed=config.seed))
    if family == "minilm_finetuned":
        from sentiment_assets.models.finetune import FineTuneConfig
        from sentiment_assets.models.transformer import TransformerClassifier

        return TransformerClassifier(FineTuneConfig(
            model_name_or_path=config.model_name_or_path,
            max_seq_length=config.finetune_max_seq_length,
            epochs=config.finetune_epochs,
            learning_rate=config.finetune_learning_rate,
            batch_size=config.finetune_batch_size,
            max_train_samples=config.finetune_max_train_samples,
            seed=config.seed,
            device=device,
        ))
    raise ValueError(f"unknown model family {family!r}; known: tfidf_logreg, minilm_finetuned")
