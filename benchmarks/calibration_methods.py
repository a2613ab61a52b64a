"""Temperature alone against temperature + class biases, on the champion a real-data benchmark
left behind (its SENTIMENT_HOME): the ECE of the label given on validation (in-sample and fitted
on other folds), test and holdout, the review queue's share at 0.90, and macro-F1 (unchanged by
construction). The champion's own saved calibration is divided out first, so both methods start
from the model's raw probabilities.

    .venv/bin/python benchmarks/real_data_quality.py --corpus vader_movies --home /tmp/movies_home
    .venv/bin/python benchmarks/calibration_methods.py --home /tmp/movies_home
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

import duckdb
import mlflow
import numpy as np
from sklearn.metrics import f1_score

from sentiment_assets.features.feature_group import REVIEWS_FEATURE_GROUP
from sentiment_assets.features.store import OfflineFeatureStore
from sentiment_assets.models.calibration import (
    apply_calibration,
    cross_fitted_ece,
    decide,
    fit_calibration,
    fit_temperature,
)
from sentiment_assets.models.calibration_error import ece_if_calibrated, expected_calibration_error
from sentiment_assets.models.mlflow_model import load_logged_model
from sentiment_assets.scoring.batch import PROBABILITY_COLUMNS

QUEUE_THRESHOLD = 0.90


def raw_probabilities(model, reviews) -> np.ndarray:
    """The model's probabilities before its saved calibration: softmax(T * (log p_cal - b))."""
    calibrated = model.predict(reviews[["review_body"]].reset_index(drop=True))[PROBABILITY_COLUMNS].to_numpy()
    base = model.model
    bias = getattr(base, "class_bias", np.zeros(3))
    return apply_calibration(
        calibrated, 1.0 / getattr(base, "temperature", 1.0), -bias / getattr(base, "temperature", 1.0)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, required=True, help="the SENTIMENT_HOME a benchmark run kept")
    args = parser.parse_args(argv)
    mlflow.set_tracking_uri(f"sqlite:///{args.home / 'mlflow' / 'mlflow.db'}")
    card = json.loads((args.home / "artifacts" / "models" / "tuned_model.json").read_text())
    model = load_logged_model(card["model_uri"])
    database = str(args.home / "warehouse.duckdb")
    store = OfflineFeatureStore.at_path(database)
    sets = {
        split: store.split(REVIEWS_FEATURE_GROUP, split, columns=["review_body", "label_id"])
        for split in ("validation", "test")
    }
    with contextlib.closing(duckdb.connect(database, read_only=True)) as connection:
        tables = {row[0] for row in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "holdout_reviews" in tables:
            sets["holdout"] = connection.sql(
                "SELECT review_body, label_id FROM holdout_reviews ORDER BY review_id"
            ).df()
    raw = {name: (raw_probabilities(model, frame), frame["label_id"].to_numpy()) for name, frame in sets.items()}

    valid_p, valid_y = raw["validation"]
    temperature = fit_temperature(valid_p, valid_y)
    vector = fit_calibration(valid_p, valid_y)
    print(f"champion {card['family']} ({card['model_uri']}); validation {len(valid_y)} reviews")
    print(f"temperature alone: T = {temperature:.3f}; with class biases: T = {vector[0]:.3f}, ", end="")
    print(f"b = {np.round(vector[1], 3).tolist()}")
    for method, (t, bias) in {"temperature": (temperature, None), "temperature + class biases": vector}.items():
        figures = []
        for name, (p, y) in raw.items():
            given = decide(p)  # the model's own label, whatever the calibration
            calibrated = apply_calibration(p, t, bias)
            ece = expected_calibration_error(calibrated, y, predicted=given)
            queued = (calibrated[np.arange(len(y)), given] < QUEUE_THRESHOLD).mean()
            figures.append(
                f"{name} ECE {ece:.3f} (queue {queued:.0%}, macro-F1 {f1_score(y, given, average='macro'):.3f})"
            )
        if bias is not None:
            floor = ece_if_calibrated(apply_calibration(valid_p, t, bias), predicted=decide(valid_p))
            cross_fitted = cross_fitted_ece(valid_p, valid_y)
            shown = "too few reviews per class" if cross_fitted is None else f"{cross_fitted:.3f}"
            figures.append(f"validation cross-fitted {shown}, noise floor {floor[0]:.3f} (p95 {floor[1]:.3f})")
        print(f"{method}: " + "; ".join(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
