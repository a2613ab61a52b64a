"""Re-create a registered model from what its training run recorded, and compare.

Before training anything, the recorded inputs are checked against what is there now: the code
version, every raw file's sha256, the feature table's snapshot (where the table format keeps
them), and the content fingerprint of the train split read as the feature store stood when
training read it (data that landed since does not count). Any difference is a refusal that names
it (a reproduction from other inputs proves nothing). Then the model is built
from its recorded config and seed, fitted on the train split (and calibrated on the validation
split when the original was), and its probabilities on the test split are compared with the
registered version's.

The in-process families are deterministic on the CPU: identical predictions are the expectation.
The fine-tuned transformer is re-trained for the same steps from the same seed, batch order and
weights, but its float reductions (matrix products, softmax, AdamW) are summed in an order that
depends on the kernels and thread count, and such differences grow over the steps: it is held to
TRANSFORMER_TOLERANCE instead. A transformer stopped by its time budget is refused (a re-run would
stop at another step), as is one trained on a GPU where none is present.

No Dagster here: `client` is an MlflowClient, `warehouse` the warehouse contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from sentiment_assets.features.training_splits import FEATURE_TABLE, read_split
from sentiment_assets.lineage.chain import ModelChain, model_chain
from sentiment_assets.lineage.records import TrainingLineage, code_version, split_fingerprint
from sentiment_assets.sources.provenance import file_sha256

TRANSFORMER_FAMILY = "minilm_finetuned"


@dataclass(frozen=True)
class Tolerance:
    """How far a re-created model's test predictions may be from the registered model's."""

    max_abs_difference: float  # of any class probability of any review
    min_labels_agree: float  # share of test reviews given the same label

    def allows(self, max_abs_difference: float, labels_agree: float) -> bool:
        return max_abs_difference <= self.max_abs_difference and labels_agree >= self.min_labels_agree

    def describe(self) -> str:
        return f"probabilities within {self.max_abs_difference:g}, labels agreeing on >= {self.min_labels_agree:.0%}"


# Measured (benchmarks/transformer_reproduce_tolerance.py): the same CPU fine-tune trained with 1
# and with 2 torch threads differs by 9e-8 in probability after 32 steps and 6e-7 after 96, every
# label the same. The differences grow with the steps and differ between CPUs' kernels: the
# tolerance leaves three orders of magnitude for that, and still catches a changed recipe.
TRANSFORMER_TOLERANCE = Tolerance(max_abs_difference=1e-3, min_labels_agree=0.99)
# How a fine-tune ends: on its own (every epoch run, or early stopping, which follows the scores
# alone), or cut short by its time budget at a step that depends on the machine's speed.
ENDED_ON_ITS_OWN = ("completed", "early_stopping")
STOPPED_BY_BUDGET = "max_seconds"


class CannotReproduce(RuntimeError):
    """The recorded inputs are not what is there now, or the version recorded none."""


@dataclass(frozen=True)
class Reproduction:
    """A re-created model against the registered one, on the test split."""

    model_name: str
    version: int
    family: str
    test_reviews: int
    identical: bool  # every probability equal, bit for bit
    max_abs_difference: float
    labels_agree: float  # share of test reviews given the same label
    tolerance: Tolerance | None = None  # None: only identical predictions reproduce the model

    @property
    def reproduced(self) -> bool:
        """Identical predictions, or (for the transformer) predictions within its tolerance."""
        if self.identical:
            return True
        return self.tolerance is not None and self.tolerance.allows(self.max_abs_difference, self.labels_agree)

    def summary(self) -> str:
        if self.identical:
            verdict = "identical predictions"
        elif self.tolerance is not None:
            within = "within" if self.reproduced else "outside"
            verdict = f"predictions {within} tolerance ({self.tolerance.describe()})"
        else:
            verdict = "predictions differ"
        return (
            f"{self.model_name} v{self.version} ({self.family}) re-created: {verdict} on {self.test_reviews} "
            f"test reviews (largest probability difference {self.max_abs_difference:.3g}, "
            f"labels agree on {self.labels_agree:.1%})"
        )


def differences(training: TrainingLineage, warehouse: Any, *, s3_client: Any = None) -> list[str]:
    """What differs now from the inputs `training` recorded: the code, a raw file's bytes (or
    the file is gone), the feature table's recorded snapshot (gone from its history), the train
    split as of the recorded read. Empty when everything matches."""
    found: list[str] = []
    now = code_version()
    if now != training.code_version:
        found.append(f"code: recorded {training.code_version}, now {now}")
    for recorded in training.source_files:
        try:
            sha256, size = file_sha256(recorded.source_file, s3_client)
        except (OSError, ValueError) as error:
            found.append(f"raw file {recorded.source_file}: cannot be read now ({error})")
            continue
        if sha256 != recorded.sha256:
            found.append(
                f"raw file {recorded.source_file}: sha256 {sha256} ({size} bytes) now, "
                f"recorded {recorded.sha256} ({recorded.size_bytes} bytes)"
            )
    if training.feature_snapshot is not None:
        history = [snapshot for snapshot, _ in warehouse.table_snapshots(FEATURE_TABLE)]
        if training.feature_snapshot not in history:
            found.append(
                f"feature table {FEATURE_TABLE}: snapshot {training.feature_snapshot} the training read is no "
                "longer in its history (the table was rebuilt or the snapshot expired)"
            )
    train = read_split(warehouse, "train", as_of=_read_at(training))
    fingerprint = split_fingerprint(train)
    if fingerprint != training.train_fingerprint:
        found.append(
            f"train split as of {training.features_read_at}: fingerprint {fingerprint} ({len(train)} reviews) "
            f"now, recorded {training.train_fingerprint} ({training.train_reviews} reviews)"
        )
    return found


def reproduce(
    warehouse: Any, client: Any, model_name: str, version: int, *, tracking_uri: str, s3_client: Any = None
) -> Reproduction:
    """Re-create version `version` of `model_name` from its recorded inputs and compare its test
    predictions with the registered model's; CannotReproduce, naming why, when that is not possible."""
    chain = model_chain(client, model_name, version)
    training = _reproducible(chain)
    found = differences(training, warehouse, s3_client=s3_client)
    if found:
        raise CannotReproduce(f"{model_name} v{version} cannot be re-created: " + "; ".join(found))

    from sentiment_assets.models.calibration import Calibrated
    from sentiment_assets.models.mlflow_model import load_logged_model
    from sentiment_assets.models.tuning.registry import build_model

    read_at = _read_at(training)
    train, valid, test = (read_split(warehouse, split, as_of=read_at) for split in ("train", "validation", "test"))
    model = build_model(training.family, None, _training_config(training))
    model.fit(train, valid)
    recreated = Calibrated.fitted_on(model, valid) if training.calibrated else model
    registered = load_logged_model(
        client.get_model_version_download_uri(model_name, str(version)), tracking_uri=tracking_uri
    ).model
    ours, theirs = np.asarray(recreated.predict_proba(test)), np.asarray(registered.predict_proba(test))
    return Reproduction(
        model_name=model_name,
        version=version,
        family=training.family,
        test_reviews=len(test),
        identical=bool(np.array_equal(ours, theirs)),
        max_abs_difference=float(np.max(np.abs(ours - theirs))) if len(test) else 0.0,
        labels_agree=float(np.mean(ours.argmax(axis=1) == theirs.argmax(axis=1))) if len(test) else 1.0,
        tolerance=TRANSFORMER_TOLERANCE if training.family == TRANSFORMER_FAMILY else None,
    )


def _reproducible(chain: ModelChain) -> TrainingLineage:
    training = chain.training
    name = f"{chain.model_name} v{chain.version}"
    if training is None or not training.config:
        raise CannotReproduce(
            f"{name} recorded no lineage with its config "
            "(registered before lineage was kept): there is nothing to re-create it from"
        )
    if training.family == TRANSFORMER_FAMILY:
        _check_transformer_run(name, training)
    return training


def _check_transformer_run(name: str, training: TrainingLineage) -> None:
    """A fine-tune re-runs the same steps only when it ended on its own (every epoch, or early
    stopping, which depends on the scores alone), and only on the kind of device it ran on."""
    budget = training.config.get("max_seconds")
    if training.stop_reason == STOPPED_BY_BUDGET:
        raise CannotReproduce(
            f"{name}: its fine-tune was stopped by its time budget (max_seconds={budget}) after "
            f"{training.steps} steps; a re-run would stop at another step"
        )
    if training.stop_reason not in (None, *ENDED_ON_ITS_OWN):
        raise CannotReproduce(f"{name}: its fine-tune ended with stop reason {training.stop_reason!r}, not on its own")
    if training.stop_reason is None and budget is not None:
        raise CannotReproduce(
            f"{name}: its fine-tune recorded no stop reason and had a time budget (max_seconds={budget}): "
            "whether it ran every step is not known"
        )
    if training.config.get("device") == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise CannotReproduce(f"{name}: it was fine-tuned on a GPU (device=cuda) and this machine has none")


def _training_config(training: TrainingLineage) -> dict[str, Any]:
    """The recorded config, as the re-run uses it: a fine-tune that ended on its own needs no
    time budget (on a busy machine it could cut the re-run short)."""
    if training.family == TRANSFORMER_FAMILY:
        return {**training.config, "max_seconds": None}
    return dict(training.config)


def _read_at(training: TrainingLineage) -> datetime | None:
    """When training read the feature store; None (now) for lineage that recorded no time."""
    return datetime.fromisoformat(training.features_read_at) if training.features_read_at else None
