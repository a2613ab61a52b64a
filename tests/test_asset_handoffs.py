"""What one asset hands to the next is a typed record in the artifact store: it loads back as it
was saved, and a file that is not what its reader expects fails where it is read, naming the
file and the key. (That no asset module imports another: test_asset_module_imports.py.)"""

import dataclasses
import json

import boto3
import pandas as pd
import pytest

from resources.artifacts import LocalArtifactStore
from resources.s3_artifacts import S3ArtifactStore
from sentiment_assets.artifact_records import MalformedArtifact, MissingArtifact
from sentiment_assets.models.evaluation_record import Evaluation
from sentiment_assets.models.model_card import FinetunedModelCard, TunedModelCard
from sentiment_assets.monitoring import DriftBaseline
from sentiment_assets.monitoring.baseline_file import BASELINE_FILE, load_drift_baseline, save_drift_baseline

FINETUNED_CARD = {  # the layout finetuned_minilm has written since the card had validation_reviews
    "family": "minilm_finetuned",
    "run_id": "3f2a",
    "experiment_id": "1",
    "model_uri": "runs:/3f2a/model",
    "metrics": {"val_accuracy": 0.71, "val_macro_f1": 0.64, "train_seconds": 41.5, "stopped_early": False},
    "inference_reviews_per_s": 812.0,
    "config_json": json.dumps({"max_seq_length": 64, "max_seconds": 600.0}),
    "validation_reviews": 120,
}
CALIBRATION = {
    "temperature": 1.4,
    "validation_reviews": 120,
    "val_ece_before": 0.11,
    "val_ece": 0.04,
    "val_ece_if_calibrated": 0.03,
    "val_ece_if_calibrated_p95": 0.06,
    "class_bias": [0.0, -1.9, 0.2],
    "val_ece_cross_fitted": 0.045,
}
TUNED_CARD = {
    "family": "tfidf_logreg",
    "run_id": "9b1c",
    "experiment_id": "1",
    "model_uri": "runs:/9b1c/model",
    "validation": {"accuracy": 0.7, "macro_f1": 0.66, "balanced_accuracy": 0.65, "trial_number": 2},
    "evaluation": "validation split",
    "calibration": CALIBRATION,
    "params": {"C": 4.0, "max_ngram": 2, "min_df": 1},
    "study": {
        "name": "tuned_model-tfidf_logreg-1a2b3c4d",
        "storage": "sqlite:///optuna.db",
        "trials": 8,
        "warm_start_from": None,
    },
}
EVALUATION = {
    "accuracy": 0.7,
    "macro_f1": 0.66,
    "balanced_accuracy": 0.65,
    "n_reviews": 10,
    "per_class": {
        name: {"precision": 0.7, "recall": 0.6, "f1": 0.65, "support": n}
        for name, n in (("negative", 3), ("neutral", 2), ("positive", 5))
    },
    "class_names": ["negative", "neutral", "positive"],
    "confusion_matrix": [[2, 1, 0], [0, 1, 1], [0, 1, 4]],
    "ece": 0.05,
    "ece_if_calibrated": 0.04,
    "model_uri": "runs:/9b1c/model",
    "run_id": "9b1c",
    "family": "tfidf_logreg",
    "holdout": [
        {"partition": "all holdout files", "reviews": 4, "accuracy": 0.75, "macro_f1": 0.7, "balanced_accuracy": 0.72}
    ],
    "holdout_ece": None,
    "calibration": CALIBRATION,
    "baselines": {
        "majority_class": {
            "accuracy": 0.5,
            "macro_f1": 0.22,
            "balanced_accuracy": 0.33,
            "candidate_difference": 0.44,
            "candidate_low": 0.2,
            "candidate_high": 0.6,
            "candidate_n": 10,
        }
    },
}
RECORDS = [(FinetunedModelCard, FINETUNED_CARD), (TunedModelCard, TUNED_CARD), (Evaluation, EVALUATION)]
RECORD_IDS = [record.__name__ for record, _ in RECORDS]


@pytest.fixture
def artifacts(tmp_path) -> LocalArtifactStore:
    return LocalArtifactStore(root=str(tmp_path / "artifacts"))


def baseline() -> DriftBaseline:
    reviews = pd.DataFrame(
        {
            "review_body": ["soft fabric and a good fit", "the zipper broke", "fits well", "runs small, poor fit"] * 3,
            "product_category": ["Dresses", "Jackets", "Dresses", "Tops"] * 3,
            "sentiment": [1, -1, 1, 0] * 3,
        }
    )
    return DriftBaseline.from_training(reviews)


@pytest.mark.parametrize(("record", "content"), RECORDS, ids=RECORD_IDS)
def test_a_record_saved_to_the_artifact_store_loads_back_equal(artifacts, record, content):
    saved = record.from_dict(content)
    path = saved.save(artifacts)
    assert path == artifacts.path(record.ARTIFACT)
    assert record.load(artifacts) == saved
    assert json.loads(path.read_text()) == content  # the file layout readers outside Python see


@pytest.mark.parametrize(("record", "content"), RECORDS, ids=RECORD_IDS)
def test_a_file_in_the_layout_earlier_runs_wrote_loads_with_typed_fields(artifacts, record, content):
    artifacts.write_json(record.ARTIFACT, content)  # as the asset wrote it before the records existed
    loaded = record.load(artifacts)
    assert loaded == record.from_dict(content) and loaded.to_dict() == content


def test_typed_fields_read_like_the_json_they_came_from(artifacts):
    artifacts.write_json(TunedModelCard.ARTIFACT, TUNED_CARD)
    card = TunedModelCard.load(artifacts)
    assert card.calibration.temperature == 1.4 and card.study.warm_start_from is None
    assert card.calibration.metrics() == {
        k: v for k, v in CALIBRATION.items() if k not in ("validation_reviews", "class_bias")
    }
    finetuned = FinetunedModelCard.from_dict(FINETUNED_CARD)
    assert finetuned.config["max_seconds"] == 600.0
    evaluation = Evaluation.from_dict(EVALUATION)
    assert evaluation.test_reviews_per_class() == {"negative": 3, "neutral": 2, "positive": 5}
    assert evaluation.holdout[0].reviews == 4
    assert evaluation.test_metrics()["test_ece"] == 0.05
    assert evaluation.baseline_metrics() == {"test_majority_class_accuracy": 0.5, "test_majority_class_macro_f1": 0.22}


@pytest.mark.parametrize(("record", "content"), RECORDS, ids=RECORD_IDS)
def test_a_file_missing_a_key_fails_naming_the_file_and_the_key(artifacts, record, content):
    key = sorted(content)[0]
    path = artifacts.write_json(record.ARTIFACT, {k: v for k, v in content.items() if k != key})
    with pytest.raises(MalformedArtifact, match=f"missing key '{key}'") as error:
        record.load(artifacts)
    assert str(path) in str(error.value)


@pytest.mark.parametrize(("record", "content"), RECORDS, ids=RECORD_IDS)
def test_a_file_with_an_unexpected_key_fails_naming_the_file_and_the_key(artifacts, record, content):
    path = artifacts.write_json(record.ARTIFACT, {**content, "config": "{}"})
    with pytest.raises(MalformedArtifact, match="unexpected key 'config'") as error:
        record.load(artifacts)
    assert str(path) in str(error.value)


def test_a_value_of_the_wrong_type_fails_naming_the_nested_key(artifacts):
    study = {**TUNED_CARD["study"], "trials": "eight"}
    path = artifacts.write_json(TunedModelCard.ARTIFACT, {**TUNED_CARD, "study": study})
    with pytest.raises(MalformedArtifact, match="key 'study': key 'trials' should be int, found str 'eight'"):
        TunedModelCard.load(artifacts)
    per_class = {**EVALUATION["per_class"], "neutral": {"precision": 0.5, "recall": 0.5, "f1": 0.5}}
    path = artifacts.write_json(Evaluation.ARTIFACT, {**EVALUATION, "per_class": per_class})
    with pytest.raises(MalformedArtifact, match=r"key 'per_class'\['neutral'\]: missing key 'support'") as error:
        Evaluation.load(artifacts)
    assert str(path) in str(error.value)
    artifacts.write_json(Evaluation.ARTIFACT, {**EVALUATION, "accuracy": True})
    with pytest.raises(MalformedArtifact, match="key 'accuracy' should be float, found bool"):
        Evaluation.load(artifacts)


def test_a_file_that_is_not_a_json_object_fails_naming_the_file(artifacts):
    path = artifacts.write_bytes(Evaluation.ARTIFACT, b'{"accuracy": 0.7,')
    with pytest.raises(MalformedArtifact, match="not a JSON file") as error:
        Evaluation.load(artifacts)
    assert str(path) in str(error.value)
    artifacts.write_json(Evaluation.ARTIFACT, [EVALUATION])
    with pytest.raises(MalformedArtifact, match="expected a JSON object, found list"):
        Evaluation.load(artifacts)


@pytest.mark.parametrize(
    ("record", "writer"),
    [(FinetunedModelCard, "finetuned_minilm"), (TunedModelCard, "tuned_model"), (Evaluation, "model_evaluation")],
)
def test_a_record_not_yet_written_says_which_asset_to_materialize(artifacts, record, writer):
    with pytest.raises(MissingArtifact, match=f"{record.ARTIFACT} is not in the artifact store .*materialize {writer}"):
        record.load(artifacts)
    assert record.load_if_present(artifacts) is None


def test_a_model_card_never_writes_a_secret(artifacts):
    study = {**TUNED_CARD["study"], "storage": "postgresql://optuna:hunter2@db/optuna"}
    path = TunedModelCard.from_dict({**TUNED_CARD, "study": study}).save(artifacts)
    assert "hunter2" not in path.read_text()
    assert TunedModelCard.load(artifacts).study.storage == "postgresql://optuna:***@db/optuna"


def test_a_record_its_reader_would_refuse_is_not_written(artifacts):
    bad = dataclasses.replace(
        FinetunedModelCard.from_dict(FINETUNED_CARD), validation_reviews=pd.Timestamp("2024-05-01")
    )  # JSON would make it a str
    with pytest.raises(MalformedArtifact, match="before writing.*key 'validation_reviews' should be int"):
        bad.save(artifacts)
    assert not artifacts.path(FinetunedModelCard.ARTIFACT).exists()


# --- the drift baseline -----------------------------------------------------------------------


def test_the_drift_baseline_saved_to_the_artifact_store_loads_back_equal(artifacts):
    saved = baseline()
    path = save_drift_baseline(artifacts, saved)
    assert path == artifacts.path(BASELINE_FILE)
    loaded = load_drift_baseline(artifacts)
    assert loaded == saved and loaded.class_shares == saved.class_shares  # sentiments are ints again


def test_a_drift_baseline_written_by_the_earlier_code_loads(artifacts):
    written = baseline()
    artifacts.path(BASELINE_FILE).write_text(written.to_json())  # what drift_baseline used to do
    assert load_drift_baseline(artifacts) == written


def test_a_malformed_drift_baseline_fails_naming_the_file_and_the_key(artifacts):
    content = json.loads(baseline().to_json())
    path = artifacts.write_json(BASELINE_FILE, {k: v for k, v in content.items() if k != "oov_rate"})
    with pytest.raises(MalformedArtifact, match="missing key 'oov_rate'") as error:
        load_drift_baseline(artifacts)
    assert str(path) in str(error.value)
    artifacts.write_json(BASELINE_FILE, {**content, "format": "sentiment-drift-baseline/0"})
    with pytest.raises(MalformedArtifact, match="key 'format' should be 'sentiment-drift-baseline/1'"):
        load_drift_baseline(artifacts)
    artifacts.write_json(BASELINE_FILE, {**content, "vocabulary": "fit fabric"})
    with pytest.raises(MalformedArtifact, match="key 'vocabulary' should be a list, found str"):
        load_drift_baseline(artifacts)


def test_no_drift_baseline_yet_says_to_materialize_drift_baseline(artifacts):
    with pytest.raises(MissingArtifact, match="materialize drift_baseline first"):
        load_drift_baseline(artifacts)


def test_records_hand_over_through_s3_to_a_process_with_an_empty_cache(aws, tmp_path):
    boto3.client("s3", endpoint_url=aws, region_name="us-east-1").create_bucket(Bucket="handoffs")

    def store(cache: str) -> S3ArtifactStore:
        return S3ArtifactStore(bucket="handoffs", root=str(tmp_path / cache), endpoint_url=aws, region_name="us-east-1")

    writer, reader = store("writer"), store("reader")
    assert TunedModelCard.load_if_present(reader) is None
    card = TunedModelCard.from_dict(TUNED_CARD)
    card.save(writer)
    save_drift_baseline(writer, written := baseline())
    assert TunedModelCard.load(reader) == card  # uploaded when saved, downloaded when loaded
    assert load_drift_baseline(reader) == written
