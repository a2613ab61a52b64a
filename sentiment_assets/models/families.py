"""The model families candidate_models tries, by name, and how to rebuild one from saved files."""

from __future__ import annotations

from pathlib import Path

from sentiment_assets.models.base import SentimentClassifier

FAMILY_FILE = "family.txt"


def family_class(family: str) -> type[SentimentClassifier]:
    # Imported lazily: the transformer family pulls in torch, which TF-IDF users need not load.
    if family == "tfidf_logreg":
        from sentiment_assets.models.tfidf import TfidfLogisticRegression

        return TfidfLogisticRegression
    if family == "minilm_finetuned":
        from sentiment_assets.models.transformer import TransformerClassifier

        return TransformerClassifier
    raise ValueError(f"unknown model family {family!r}; known: tfidf_logreg, minilm_finetuned")


def save_model(model: SentimentClassifier, directory: Path) -> Path:
    """Save a model with a marker naming its family, so `load_model` needs no other hint."""
    directory = Path(directory)
    model.save(directory)
    (directory / FAMILY_FILE).write_text(model.family)
    return directory


def load_model(directory: Path) -> SentimentClassifier:
    family = (Path(directory) / FAMILY_FILE).read_text().strip()
    return family_class(family).load(Path(directory))


def config_from_json(family: str, config_json: str):
    """Rebuild a family's config dataclass from the JSON the leaderboard stored."""
    import json

    if family == "tfidf_logreg":
        from sentiment_assets.models.tfidf import TfidfConfig

        return TfidfConfig(**json.loads(config_json))
    if family == "minilm_finetuned":
        from sentiment_assets.models.finetune import FineTuneConfig

        return FineTuneConfig(**json.loads(config_json))
    raise ValueError(f"unknown model family {family!r}")
