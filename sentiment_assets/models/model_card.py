"""Model cards: what a training asset logged to MLflow, for the assets after it.

finetuned_minilm writes a FinetunedModelCard, which candidate_models puts on the leaderboard;
tuned_model writes a TunedModelCard, which model_evaluation scores. Each card is one JSON file
in the artifact store (see sentiment_assets.artifact_records for how files are checked).
Framework-free: no Dagster.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, ClassVar

from sentiment_assets.artifact_records import ArtifactRecord
from sentiment_assets.redaction import redact


@dataclass(frozen=True)
class Calibration:
    """The calibration fitted on the validation split (models/calibration.py: a temperature
    and a bias per class) and what it did to the expected calibration error (ECE) there."""

    temperature: float
    validation_reviews: int
    val_ece_before: float  # the uncalibrated model's
    val_ece: float  # after calibration, fitted and measured on the same reviews
    # The ECE a perfectly calibrated model would show on this many reviews (the estimator's
    # noise), and the 95th percentile of it: an ECE below these is as good as it can be measured.
    val_ece_if_calibrated: float
    val_ece_if_calibrated_p95: float
    # Per class, added to log p / T (zeros: temperature only, as cards from before the biases).
    class_bias: list[float] = dataclasses.field(default_factory=lambda: [0.0, 0.0, 0.0])
    # After calibration fitted on the other validation folds: the honest validation figure
    # (None when a class has too few validation reviews for five folds).
    val_ece_cross_fitted: float | None = None

    def metrics(self) -> dict[str, float]:
        """The figures MLflow logs as metrics (the review count and the biases are not)."""
        return {
            k: v
            for k, v in dataclasses.asdict(self).items()
            if k not in ("validation_reviews", "class_bias") and v is not None
        }


@dataclass(frozen=True)
class StudyReference:
    """Where the Optuna study behind a tuned model is kept, so that it can be opened again."""

    name: str
    storage: str  # the storage URL, password replaced
    trials: int  # trials in the study, earlier runs' warm-start trials included
    warm_start_from: str | None  # the earlier study this one started from


@dataclass(frozen=True)
class ModelCard(ArtifactRecord):
    """A model logged to MLflow: its family, the run that logged it and where the model is."""

    family: str  # a name in models.families, e.g. "tfidf_logreg" or "minilm_finetuned"
    run_id: str
    experiment_id: str
    model_uri: str  # what mlflow.pyfunc.load_model takes: runs:/<run_id>/model

    def to_dict(self) -> dict[str, Any]:
        """The card as written: people read it, so secrets (e.g. a storage password) are replaced."""
        return redact(dataclasses.asdict(self))


@dataclass(frozen=True)
class FinetunedModelCard(ModelCard):
    """The fine-tuned transformer as finetuned_minilm trained and logged it."""

    ARTIFACT: ClassVar[str] = "models/finetuned_minilm.json"
    WRITTEN_BY: ClassVar[str] = "finetuned_minilm"

    # The training process's metrics.json: the last validation pass's val_* scores,
    # train_seconds, steps, stopped_early (the max_seconds budget ran out), class_weights, ...
    metrics: dict[str, Any]
    inference_reviews_per_s: float  # validation reviews scored per second, measured after training
    config_json: str  # the FineTuneConfig trained with, as JSON (what the leaderboard stores)
    validation_reviews: int

    @property
    def config(self) -> dict[str, Any]:
        """The FineTuneConfig trained with, as a dict."""
        return json.loads(self.config_json)


@dataclass(frozen=True)
class TunedModelCard(ModelCard):
    """The leaderboard winner after its Optuna study and temperature calibration, as
    tuned_model logged it: the model that goes to evaluation and the registry."""

    ARTIFACT: ClassVar[str] = "models/tuned_model.json"
    WRITTEN_BY: ClassVar[str] = "tuned_model"

    # The best trial's validation (or cross-validated) accuracy, macro_f1 and
    # balanced_accuracy, and its trial_number.
    validation: dict[str, float]
    evaluation: str  # how trials were judged: "validation split" or "k-fold cross-validation ..."
    calibration: Calibration
    params: dict[str, Any]  # the best model's full config
    study: StudyReference
