"""Re-create a registered model from what its training run recorded, and compare.

Before training anything, the recorded inputs are checked against what is there now: the code
version, every raw file's sha256, and the train split's content fingerprint. Any difference is a
refusal that names it (a reproduction from other inputs proves nothing). Then the model is built
from its recorded config and seed, fitted on the train split (and calibrated on the validation
split when the original was), and its probabilities on the test split are compared with the
registered version's.

In-process families are deterministic on the CPU: identical predictions are the expectation.
The fine-tuned transformer is not re-created here (minutes of training, and float reductions that
differ across thread counts): it is refused with that reason.

No Dagster here: `client` is an MlflowClient, `warehouse` the warehouse contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sentiment_assets.lineage.chain import ModelChain, model_chain
from sentiment_assets.lineage.records import TrainingLineage, code_version, split_fingerprint
from sentiment_assets.sources.provenance import file_sha256

NOT_REPRODUCED_HERE = {"minilm_finetuned": "the fine-tuned transformer takes minutes to train and is not bit-exact"}


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

    def summary(self) -> str:
        verdict = "identical predictions" if self.identical else "predictions differ"
        return (
            f"{self.model_name} v{self.version} ({self.family}) re-created: {verdict} on {self.test_reviews} "
            f"test reviews (largest probability difference {self.max_abs_difference:.3g}, "
            f"labels agree on {self.labels_agree:.1%})"
        )


def differences(training: TrainingLineage, warehouse: Any, *, s3_client: Any = None) -> list[str]:
    """What differs now from the inputs `training` recorded: the code, a raw file's bytes (or
    the file is gone), the train split's content. Empty when everything matches."""
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
    train = _split(warehouse, "train")
    fingerprint = split_fingerprint(train)
    if fingerprint != training.train_fingerprint:
        found.append(
            f"train split: fingerprint {fingerprint} ({len(train)} reviews) now, "
            f"recorded {training.train_fingerprint} ({training.train_reviews} reviews)"
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

    train, valid, test = (_split(warehouse, split) for split in ("train", "validation", "test"))
    model = build_model(training.family, None, training.config)
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
    )


def _reproducible(chain: ModelChain) -> TrainingLineage:
    training = chain.training
    if training is None or not training.config:
        raise CannotReproduce(
            f"{chain.model_name} v{chain.version} recorded no lineage with its config "
            "(registered before lineage was kept): there is nothing to re-create it from"
        )
    if training.family in NOT_REPRODUCED_HERE:
        raise CannotReproduce(
            f"{chain.model_name} v{chain.version} is a {training.family}: {NOT_REPRODUCED_HERE[training.family]}"
        )
    return training


def _split(warehouse: Any, split_type: str) -> pd.DataFrame:
    from sentiment_assets.features.feature_group import REVIEWS_FEATURE_GROUP
    from sentiment_assets.features.store import OfflineFeatureStore

    columns = ["review_body", "input_ids", "label_id", "sentiment"]
    return OfflineFeatureStore(warehouse).split(REVIEWS_FEATURE_GROUP, split_type, columns=columns)
