"""Calibrated probabilities (temperature scaling, ECE, reliability) and the baselines the gate
compares a candidate with."""

import json

import numpy as np
import pandas as pd
import pytest

from sentiment_assets.models.baselines import (
    MAJORITY,
    TFIDF_BASELINE,
    baseline_predictions,
    compare_with_baselines,
    paired_difference,
)
from sentiment_assets.models.calibration import CALIBRATION_FILE, Calibrated, apply_temperature, fit_temperature
from sentiment_assets.models.calibration_error import ece_if_calibrated, expected_calibration_error, reliability_table
from sentiment_assets.models.families import load_model, save_model
from sentiment_assets.models.fast_inference import fast_predict_proba
from sentiment_assets.models.tfidf import TfidfConfig, TfidfLogisticRegression
from sentiment_assets.registry.promotion import decide_promotion


def overconfident(n: int, sharpness: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn from softmax(z), and the probabilities of a model that reports softmax(sharpness * z)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 1.5, size=(n, 3))
    truth = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(3, p=p) for p in truth])
    reported = np.exp(sharpness * logits)
    return reported / reported.sum(axis=1, keepdims=True), labels


def test_temperature_scaling_recovers_the_overconfidence_and_never_changes_the_winner():
    probabilities, labels = overconfident(4000, sharpness=3.0)
    temperature = fit_temperature(probabilities, labels)
    assert temperature == pytest.approx(3.0, rel=0.15)
    calibrated = apply_temperature(probabilities, temperature)
    assert (calibrated.argmax(axis=1) == probabilities.argmax(axis=1)).all()
    before, after = expected_calibration_error(probabilities, labels), expected_calibration_error(calibrated, labels)
    assert before > 0.1 and after <= 0.03
    np.testing.assert_allclose(apply_temperature(probabilities, 1.0), probabilities, atol=1e-9)


def test_the_reliability_table_counts_every_review_once_and_ece_is_zero_when_confidence_matches():
    probabilities = np.array([[0.8, 0.1, 0.1]] * 10)
    labels = np.array([0] * 8 + [1] * 2)  # right 8 times in 10 at confidence 0.8
    table = reliability_table(probabilities, labels)
    assert table["reviews"].sum() == 10 and table["accuracy"].iloc[0] == pytest.approx(0.8)
    assert expected_calibration_error(probabilities, labels) == pytest.approx(0.0, abs=1e-12)
    assert expected_calibration_error(probabilities, np.zeros(10, dtype=int)) == pytest.approx(0.2)


def toy(n: int, seed: int) -> pd.DataFrame:
    words = {0: "awful broke cheap", 1: "okay fine average", 2: "love gorgeous perfect"}
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, size=n)
    noise = rng.random(n) < 0.25  # a quarter of the texts say another class's words
    said = np.where(noise, (labels + 1) % 3, labels)
    return pd.DataFrame(
        {"review_body": [f"{' '.join(rng.choice(words[s].split(), 2))} the dress" for s in said], "label_id": labels}
    )


def test_the_ece_of_a_perfectly_calibrated_model_shrinks_with_reviews_and_says_what_is_noise():
    rng = np.random.default_rng(3)
    floors = {}
    for n in (150, 600, 2400):
        probabilities = rng.dirichlet([0.5, 0.5, 3.0], size=n)
        floors[n] = ece_if_calibrated(probabilities, draws=300, seed=1)
        labels = np.array([rng.choice(3, p=row) for row in probabilities])  # calibrated by construction
        mean, p95 = floors[n]
        assert mean < p95
        assert expected_calibration_error(probabilities, labels) < p95 + 0.02
    # About 1/sqrt(n): four times the reviews, half the noise.
    assert floors[150][0] > 1.6 * floors[600][0] > 1.6 * 1.6 * floors[2400][0]
    # A confidently wrong model is far above the noise.
    sure = np.tile([0.02, 0.02, 0.96], (600, 1))
    assert expected_calibration_error(sure, np.zeros(600, dtype=int)) > 10 * ece_if_calibrated(sure)[1]


def test_a_calibrated_model_saves_its_calibration_as_json_and_loads_back_calibrated(tmp_path):
    model = TfidfLogisticRegression(TfidfConfig(min_df=1)).fit(toy(300, 1))
    valid = toy(200, 2)
    calibrated = Calibrated.fitted_on(model, valid)
    assert calibrated.family == model.family and calibrated.temperature != pytest.approx(1.0, abs=0.01)
    save_model(calibrated, tmp_path / "m")
    assert json.loads((tmp_path / "m" / CALIBRATION_FILE).read_text())["temperature"] == pytest.approx(
        calibrated.temperature
    )
    loaded = load_model(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict_proba(valid), calibrated.predict_proba(valid))
    assert not np.allclose(loaded.predict_proba(valid), model.predict_proba(valid))
    # Batch scoring's engine choice keeps the temperature.
    np.testing.assert_allclose(fast_predict_proba(loaded, engine="torch")(valid), calibrated.predict_proba(valid))


def test_baselines_are_the_majority_class_and_the_ten_line_tfidf_model():
    train, test = toy(300, 3), toy(100, 4)
    predictions = baseline_predictions(train, test)
    assert set(predictions) == {MAJORITY, TFIDF_BASELINE}
    assert (predictions[MAJORITY] == train["label_id"].value_counts().idxmax()).all()
    assert (predictions[TFIDF_BASELINE] == test["label_id"]).mean() > 0.6


def test_the_paired_interval_is_wide_on_few_reviews_and_narrow_on_many():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, 3000)
    better = np.where(rng.random(3000) < 0.8, truth, (truth + 1) % 3)
    worse = np.where(rng.random(3000) < 0.7, truth, (truth + 1) % 3)
    many = paired_difference(truth, worse, better)
    assert many["high"] < 0 and many["low"] < many["difference"] < many["high"]
    few = paired_difference(truth[:30], worse[:30], better[:30])
    assert few["low"] < 0 < few["high"] or few["high"] - few["low"] > 3 * (many["high"] - many["low"])


def test_the_gate_names_the_baseline_a_candidate_loses_to():
    train, test = toy(300, 5), toy(600, 6)
    truth = test["label_id"].to_numpy()
    majority_only = compare_with_baselines(train, test, np.full(len(test), train["label_id"].value_counts().idxmax()))
    lost = decide_promotion(0.4, 0.33, None, macro_f1=majority_only[MAJORITY]["macro_f1"], baselines=majority_only)
    assert not lost.promote and "majority-class baseline" in lost.reason
    noisy = np.where(np.random.default_rng(1).random(len(test)) < 0.45, truth, (truth + 1) % 3)
    versus = compare_with_baselines(train, test, noisy)
    worse = decide_promotion(0.45, 0.33, None, macro_f1=0.45, baselines=versus)
    assert not worse.promote and "TF-IDF + logistic regression baseline" in worse.reason and "interval" in worse.reason
    same = compare_with_baselines(train, test, baseline_predictions(train, test)[TFIDF_BASELINE])
    tie = decide_promotion(0.7, 0.33, None, macro_f1=same[TFIDF_BASELINE]["macro_f1"], baselines=same)
    assert tie.promote


def test_the_same_model_is_not_worse_than_its_own_accuracy_rounded_to_six_decimals_in_an_old_tag():
    accuracy = 55 / 87  # 0.6321839..., tagged "0.632184" by older versions
    assert decide_promotion(accuracy, 0.33, float(f"{accuracy:.6f}")).promote
    assert decide_promotion(accuracy, 0.33, float(repr(accuracy))).promote
    assert not decide_promotion(accuracy, 0.33, accuracy + 0.001).promote
