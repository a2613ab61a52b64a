"""The model families candidate_models tries, by name, and how to rebuild one from saved files."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from sentiment_assets.models.base import SentimentClassifier

FAMILY_FILE = "family.txt"

# family -> (module, classifier class, config dataclass). Imported lazily: the transformer
# families pull in torch, which a TF-IDF user need not load. Cheapest first: the order in which
# a candidate round tries them by default.
_FAMILIES: dict[str, tuple[str, str, str]] = {
    "tfidf_logreg": ("sentiment_assets.models.tfidf", "TfidfLogisticRegression", "TfidfConfig"),
    "tfidf_linear_svm": ("sentiment_assets.models.tfidf_svm", "TfidfLinearSvm", "TfidfSvmConfig"),
    "tfidf_gbm": ("sentiment_assets.models.tfidf_gbm", "TfidfGradientBoosting", "TfidfGbmConfig"),
    "minilm_embeddings_linear": (
        "sentiment_assets.models.embeddings",
        "EmbeddingLogisticRegression",
        "EmbeddingConfig",
    ),
    "minilm_finetuned": ("sentiment_assets.models.transformer", "TransformerClassifier", "FineTuneConfig"),
}
FAMILY_NAMES: tuple[str, ...] = tuple(_FAMILIES)


def _family_attribute(family: str, position: int):
    if family not in _FAMILIES:
        raise ValueError(f"unknown model family {family!r}; known: {', '.join(FAMILY_NAMES)}")
    module_name, *names = _FAMILIES[family]
    return getattr(importlib.import_module(module_name), names[position])


def family_class(family: str) -> type[SentimentClassifier]:
    return _family_attribute(family, 0)


def config_class(family: str) -> type:
    return _family_attribute(family, 1)


def config_from_json(family: str, config_json: str):
    """Rebuild a family's config dataclass from the JSON the leaderboard stored."""
    return config_class(family)(**json.loads(config_json))


def save_model(model: SentimentClassifier, directory: Path) -> Path:
    """Save a model with a marker naming its family, so `load_model` needs no other hint."""
    directory = Path(directory)
    model.save(directory)
    (directory / FAMILY_FILE).write_text(model.family)
    return directory


def load_model(directory: Path) -> SentimentClassifier:
    """The saved model, with its probability calibration when one was saved beside it."""
    from sentiment_assets.models.calibration import with_saved_calibration

    family = (Path(directory) / FAMILY_FILE).read_text().strip()
    return with_saved_calibration(family_class(family).load(Path(directory)), Path(directory))
