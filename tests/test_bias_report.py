import json
import math

import numpy as np
import pandas as pd
import pytest

from sentiment_assets.bias.analysis_json import analysis_json
from sentiment_assets.bias.markdown import markdown_report
from sentiment_assets.bias.report import posttraining_report, pretraining_report
from sentiment_assets.bias.thresholds import BiasThresholds, breaches


def _reviews(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    category = rng.choice(["Dresses", "Knits", "Trend"], size=n, p=[0.6, 0.3, 0.1])
    positive_share = pd.Series(category).map({"Dresses": 0.8, "Knits": 0.75, "Trend": 0.4}).to_numpy()
    draw = rng.random(n)
    sentiment = np.where(draw < positive_share, 1, np.where(draw < positive_share + 0.1, 0, -1))
    prediction = np.where(rng.random(n) < 0.8, sentiment, rng.choice([-1, 0, 1], size=n))
    return pd.DataFrame(
        {
            "product_category": category,
            "division": rng.choice(["General", "Petite"], size=n),
            "age": rng.integers(18, 80, size=n),
            "sentiment": sentiment,
            "prediction": prediction,
        }
    )


def test_breaches_name_each_value_and_metric_past_its_limit_and_never_nan():
    metrics = pd.DataFrame(
        {
            "value_or_threshold": ["v1", "v2", "v3"],
            "n_d": [10, 10, 10],
            "CI": [0.6, 0.1, 0.0],
            "DPL": [0.05, -0.2, math.nan],
            "DI": [1.0, 0.7, 1.3],
        }
    )
    found = breaches(metrics, BiasThresholds())
    assert set(zip(found["value_or_threshold"], found["metric"], strict=False)) == {
        ("v1", "CI"),
        ("v2", "DPL"),
        ("v2", "DI"),
        ("v3", "DI"),
    }
    assert found.set_index(["value_or_threshold", "metric"]).loc[("v2", "DPL"), "value"] == pytest.approx(-0.2)
    assert "|DPL| > 0.1" in found["rule"].tolist() and "DI outside [0.8, 1.25]" in found["rule"].tolist()


def test_thresholds_are_configurable_and_a_none_limit_switches_a_warning_off():
    metrics = pd.DataFrame({"value_or_threshold": ["v"], "DPL": [0.2], "KL": [0.05]})
    found = breaches(metrics, BiasThresholds(DPL=None, KL=0.01))
    assert found["metric"].tolist() == ["KL"]


def test_the_json_report_has_clarifys_analysis_json_shape():
    reviews = _reviews()
    pre = pretraining_report(reviews, "product_category", "sentiment", [1], group="division", n_resamples=100)
    post = posttraining_report(reviews, "product_category", "sentiment", "prediction", [1])
    document = json.loads(json.dumps(analysis_json([pre], [post]), allow_nan=False))
    assert document["version"] == "1.0"
    section = document["pre_training_bias_metrics"]
    assert section["label"] == "sentiment" and section["label_value_or_threshold"] == "1"
    entries = section["facets"]["product_category"]
    assert [e["value_or_threshold"] for e in entries] == ["Dresses", "Knits", "Trend"]
    names = [m["name"] for m in entries[0]["metrics"]]
    assert names == ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]  # sorted, as Clarify writes them
    assert set(entries[0]["metrics"][0]) == {"name", "description", "value"}
    post_names = [m["name"] for m in document["post_training_bias_metrics"]["facets"]["product_category"][0]["metrics"]]
    assert {"DPPL", "DI", "DCA", "DCR", "RD", "DAR", "DRR", "AD", "TE"} <= set(post_names)
    beyond = document["beyond_clarify"]
    assert set(beyond["pre_training"]["product_category"]) == {"multiclass", "bootstrap"}
    assert "demographic_parity_difference" in beyond["post_training"]["product_category"]


def test_the_json_report_writes_undefined_as_null_with_an_error_and_infinity_as_text():
    frame = pd.DataFrame(
        {
            "facet": ["A"] * 6 + ["B"] * 8,
            "label": [1, 1, 0, 1, 0, 0] + [1] * 6 + [0, 0],
            "prediction": [1, 1, 1, 0, 0, 0] + [1] * 4 + [0, 0, 0, 0],
        }
    )
    pre = pretraining_report(frame, "facet", "label", [1], sensitive_values=["Z"], n_resamples=50)
    post = posttraining_report(frame, "facet", "label", "prediction", [1])
    document = json.loads(json.dumps(analysis_json([pre], [post]), allow_nan=False))
    metrics = {m["name"]: m for m in document["pre_training_bias_metrics"]["facets"]["facet"][0]["metrics"]}
    assert metrics["CI"]["value"] is None and "empty" in metrics["CI"]["error"]
    te = {m["name"]: m["value"] for m in document["post_training_bias_metrics"]["facets"]["facet"][0]["metrics"]}["TE"]
    assert te == "-Infinity"  # d = A: FN/FP = 1/1; a = B: 2/0 = inf


def test_one_json_report_refuses_two_reports_of_the_same_facet():
    reviews = _reviews(200)
    report = pretraining_report(reviews, "product_category", "sentiment", [1], n_resamples=20)
    with pytest.raises(ValueError, match="each facet once"):
        analysis_json([report, report])


def test_the_markdown_report_explains_itself_and_highlights_breaches():
    reviews = _reviews()
    pre = pretraining_report(reviews, "product_category", "sentiment", [1], n_resamples=100)
    by_age = pretraining_report(reviews, "age", "sentiment", [1], threshold=40, n_resamples=100)
    post = posttraining_report(reviews, "product_category", "sentiment", "prediction", [1])
    text = markdown_report("Bias", [("By category", pre), ("By age", by_age), ("Model", post)], BiasThresholds(CI=0.5))
    assert text.startswith("# Bias\n") and "## How to read this" in text
    assert "| value_or_threshold | n_d | n_a |" in text
    assert "(40, 79]" in text
    # Trend has 65 of the 600 rows: CI = (535 - 65) / 600 = 0.7833 > 0.5, highlighted and listed.
    assert "**0.7833** ⚠" in text and "Trend: CI = 0.7833 (|CI| > 0.5)" in text
    assert "Demographic-parity difference" in text and "|DPL| > 0.1" in text
