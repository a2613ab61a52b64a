"""Calibration with a bias per class: the prior shift class-balanced training leaves in every
family's probabilities, corrected without changing a single label."""

import json

import numpy as np
import pandas as pd
import pytest

from sentiment_assets.artifact_records import MalformedArtifact, record_from_dict
from sentiment_assets.models.calibration import (
    CALIBRATION_FILE,
    MIN_REVIEWS_PER_CLASS_FOR_BIASES,
    Calibrated,
    CalibratedScores,
    apply_temperature,
    cross_fitted_ece,
    decide,
    decision_offsets_of,
    fit_calibration,
    fit_temperature,
)
from sentiment_assets.models.calibration_error import expected_calibration_error
from sentiment_assets.models.families import load_model, save_model
from sentiment_assets.models.mlflow_model import predict_reviews, predictions_frame
from sentiment_assets.models.model_card import Calibration
from sentiment_assets.models.tfidf import TfidfConfig, TfidfLogisticRegression

# What class-balanced training does to a model's view of a corpus that is 5% neutral: it reports
# probabilities for a world where the three classes are equally common.
TRUE_PRIOR = np.array([0.475, 0.05, 0.475])


def balanced_world_model(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn from calibrated probabilities, and a model's probabilities with the prior
    divided out (each class's probability / its share, renormalised)."""
    rng = np.random.default_rng(seed)
    evidence = rng.normal(0, 1.5, size=(n, 3))
    truth = np.exp(evidence) * TRUE_PRIOR
    truth /= truth.sum(axis=1, keepdims=True)
    labels = (rng.random(n)[:, None] > truth.cumsum(axis=1)[:, :-1]).sum(axis=1)
    reported = truth / TRUE_PRIOR
    return reported / reported.sum(axis=1, keepdims=True), labels


def test_class_biases_undo_the_prior_shift_that_a_temperature_cannot():
    reported, labels = balanced_world_model(6000)
    temperature_only = apply_temperature(reported, fit_temperature(reported, labels))
    temperature, bias = fit_calibration(reported, labels)
    calibrated = Calibrated(TfidfLogisticRegression(), temperature, bias).calibrate(reported)

    # How often each class is the truth, and how probable the model says it is on average.
    share = np.bincount(labels, minlength=3) / len(labels)
    assert temperature_only[:, 1].mean() - share[1] > 0.2  # neutral overstated, whatever T
    np.testing.assert_allclose(calibrated.mean(axis=0), share, atol=0.01)
    assert expected_calibration_error(calibrated, labels, predicted=decide(reported)) < 0.03
    assert temperature == pytest.approx(1.0, abs=0.1)
    # The fitted biases are the log prior, up to a constant (b[0] = 0).
    np.testing.assert_allclose(bias - bias[0], np.log(TRUE_PRIOR) - np.log(TRUE_PRIOR[0]), atol=0.25)


def test_calibration_changes_no_label_and_the_probability_given_is_the_labels_own():
    reported, labels = balanced_world_model(3000, seed=1)
    model = Calibrated(TfidfLogisticRegression(), *fit_calibration(reported, labels))
    calibrated = model.calibrate(reported)
    given = decide(calibrated, model.decision_offsets)
    np.testing.assert_array_equal(given, reported.argmax(axis=1))
    # Neutral wins the balanced decision on close calls where it is not the most probable class.
    assert (given != calibrated.argmax(axis=1)).sum() > 0
    frame = predictions_frame(calibrated, model.decision_offsets)
    np.testing.assert_allclose(frame["probability"].to_numpy(), calibrated[np.arange(len(given)), given])
    assert (frame["predicted_label"].to_numpy() == np.array([-1, 0, 1])[given]).all()


def test_too_few_reviews_of_a_class_give_a_temperature_and_no_biases():
    reported, labels = balanced_world_model(3000, seed=2)
    keep = (labels != 1) | (np.cumsum(labels == 1) < MIN_REVIEWS_PER_CLASS_FOR_BIASES)
    temperature, bias = fit_calibration(reported[keep], labels[keep])
    assert (bias == 0).all() and temperature == pytest.approx(fit_temperature(reported[keep], labels[keep]))
    four_neutral = np.r_[np.flatnonzero(labels != 1)[:200], np.flatnonzero(labels == 1)[:4]]
    assert cross_fitted_ece(reported[four_neutral], labels[four_neutral]) is None  # 5 folds need 5 of each


def test_the_cross_fitted_validation_ece_is_measured_on_reviews_the_calibration_did_not_see():
    reported, labels = balanced_world_model(1000, seed=3)
    temperature, bias = fit_calibration(reported, labels)
    in_sample = expected_calibration_error(
        Calibrated(TfidfLogisticRegression(), temperature, bias).calibrate(reported), labels, predicted=decide(reported)
    )
    cross_fitted = cross_fitted_ece(reported, labels)
    assert cross_fitted is not None and cross_fitted != pytest.approx(in_sample, abs=1e-9)
    assert cross_fitted < expected_calibration_error(reported, labels)  # still far better than none


def toy(n: int, seed: int, neutral_share: float) -> pd.DataFrame:
    words = {0: "awful broke cheap", 1: "okay fine average", 2: "love gorgeous perfect"}
    rng = np.random.default_rng(seed)
    labels = rng.choice(3, size=n, p=[(1 - neutral_share) / 2, neutral_share, (1 - neutral_share) / 2])
    said = np.where(rng.random(n) < 0.3, (labels + 1) % 3, labels)
    texts = [f"{' '.join(rng.choice(words[s].split(), 2))} the dress" for s in said]
    return pd.DataFrame({"review_body": texts, "label_id": labels})


def test_a_saved_calibrated_model_scores_the_same_labels_everywhere(tmp_path):
    base = TfidfLogisticRegression(TfidfConfig(min_df=1)).fit(toy(600, 1, 0.1))
    valid = toy(400, 2, 0.1)
    model = Calibrated.fitted_on(base, valid)
    assert (model.class_bias != 0).any()
    save_model(model, tmp_path / "m")
    assert json.loads((tmp_path / "m" / CALIBRATION_FILE).read_text())["class_bias"] == model.class_bias.tolist()
    loaded = load_model(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict_proba(valid), model.predict_proba(valid))
    np.testing.assert_array_equal(loaded.predict(valid), base.predict(valid))
    served = predict_reviews(loaded, valid[["review_body"]])
    np.testing.assert_array_equal(served["predicted_label"].to_numpy(), np.array([-1, 0, 1])[base.predict(valid)])
    # The scoring paths find the offsets whichever predict_proba they are handed.
    np.testing.assert_array_equal(decision_offsets_of(loaded.predict_proba), model.decision_offsets)
    assert decision_offsets_of(CalibratedScores(base.predict_proba, model)) is not None
    assert decision_offsets_of(base.predict_proba) is None


def test_a_model_saved_with_a_temperature_only_loads_with_zero_biases(tmp_path):
    base = TfidfLogisticRegression(TfidfConfig(min_df=1)).fit(toy(300, 3, 0.3))
    save_model(base, tmp_path / "old")
    (tmp_path / "old" / CALIBRATION_FILE).write_text(json.dumps({"method": "temperature", "temperature": 2.0}))
    loaded = load_model(tmp_path / "old")
    assert isinstance(loaded, Calibrated) and (loaded.class_bias == 0).all() and loaded.temperature == 2.0


def test_a_card_written_before_class_biases_loads_and_an_unknown_key_is_still_refused():
    old = {
        "temperature": 0.64,
        "validation_reviews": 848,
        "val_ece_before": 0.2,
        "val_ece": 0.1,
        "val_ece_if_calibrated": 0.03,
        "val_ece_if_calibrated_p95": 0.05,
    }
    loaded = record_from_dict(Calibration, old, "old card")
    assert loaded.class_bias == [0.0, 0.0, 0.0] and loaded.val_ece_cross_fitted is None
    assert "class_bias" not in loaded.metrics() and loaded.metrics()["val_ece"] == 0.1
    with pytest.raises(MalformedArtifact, match="unexpected key 'bias'"):
        record_from_dict(Calibration, {**old, "bias": [0, 1, 2]}, "old card")
