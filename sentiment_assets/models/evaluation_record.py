"""The Evaluation record: how the tuned model did on reviews it never saw, as model_evaluation
measured it and registered_model's promotion gate reads it.

One JSON file in the artifact store (see sentiment_assets.artifact_records for how files are
checked). Framework-free: no Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sentiment_assets.artifact_records import ArtifactRecord
from sentiment_assets.models.model_card import Calibration


@dataclass(frozen=True)
class ClassScores:
    """One sentiment class on the test split."""

    precision: float
    recall: float
    f1: float
    support: int  # test reviews of this class


@dataclass(frozen=True)
class HoldoutScore:
    """The model on one holdout file, or on all of them pooled (partition "all holdout files")."""

    partition: str
    reviews: int
    accuracy: float
    macro_f1: float
    balanced_accuracy: float


@dataclass(frozen=True)
class Evaluation(ArtifactRecord):
    """The tuned model, scored through its logged MLflow model, on the test split (the figures
    and the confusion matrix), on every holdout file, and against the baselines trained on the
    same rows."""

    ARTIFACT: ClassVar[str] = "evaluation/evaluation.json"
    WRITTEN_BY: ClassVar[str] = "model_evaluation"

    # The test split.
    accuracy: float
    macro_f1: float
    balanced_accuracy: float
    n_reviews: int
    per_class: dict[str, ClassScores]  # by class name: negative, neutral, positive
    class_names: list[str]  # in label_id order: the confusion matrix's row and column order
    confusion_matrix: list[list[int]]  # rows: true label, columns: predicted
    ece: float  # expected calibration error of the served probabilities
    ece_if_calibrated: float  # what a perfectly calibrated model would show on this many reviews
    # The model evaluated (what registered_model registers).
    model_uri: str
    run_id: str
    family: str
    # Reviews the pipeline never trained on: one row per holdout file and a pooled row; empty
    # without holdout files (holdout_ece is then null).
    holdout: list[HoldoutScore]
    holdout_ece: float | None
    calibration: Calibration | None  # the temperature fitted at tuning, as the model card says
    # Per baseline (models.baselines): its test accuracy, macro_f1 and balanced_accuracy, and the
    # candidate's macro-F1 lead over it with a paired bootstrap interval (candidate_difference,
    # candidate_low, candidate_high, candidate_n).
    baselines: dict[str, dict[str, float]]

    def test_reviews_per_class(self) -> dict[str, int]:
        """How many test reviews each class had: the gate warns when a class has too few."""
        return {name: scores.support for name, scores in self.per_class.items()}

    def test_metrics(self) -> dict[str, float]:
        """The test-split figures MLflow logs on the model's run, named test_<figure>."""
        return {f"test_{k}": getattr(self, k) for k in ("accuracy", "macro_f1", "balanced_accuracy", "ece")}

    def baseline_metrics(self) -> dict[str, float]:
        """Each baseline's test accuracy and macro-F1, named test_<baseline>_<figure>."""
        return {
            f"test_{name}_{k}": v
            for name, scores in self.baselines.items()
            for k, v in scores.items()
            if k in ("accuracy", "macro_f1")
        }
