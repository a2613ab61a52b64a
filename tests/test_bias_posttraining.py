import math

import numpy as np
import pandas as pd
import pytest

from sentiment_assets.bias.fairness import fairness_by_group
from sentiment_assets.bias.posttraining import clarify_divide, posttraining_metrics


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    column = frame[name]
    assert isinstance(column, pd.Series), name  # one column, not a frame of duplicated names
    return column


def _confusion_rows(facet: str, tp: int, fp: int, fn: int, tn: int) -> pd.DataFrame:
    # Negatives mix -1 and 0 on purpose: both collapse to "not positive".
    pairs = [(1, 1)] * tp + [(0, 1)] * fp + [(1, -1)] * fn + [(-1, 0)] * tn
    return pd.DataFrame([(facet, y, p) for y, p in pairs], columns=pd.Index(["facet", "label", "prediction"]))


# d = "A": TP 2, FP 1, FN 1, TN 2;  a = "B": TP 4, FP 0, FN 2, TN 2.
ROWS = pd.concat([_confusion_rows("A", 2, 1, 1, 2), _confusion_rows("B", 4, 0, 2, 2)], ignore_index=True)


def test_post_training_metrics_match_their_definitions_on_a_hand_example():
    metrics = posttraining_metrics(_column(ROWS, "facet"), _column(ROWS, "label"), _column(ROWS, "prediction"), [1])
    row = metrics.set_index("value_or_threshold").loc["A"]
    expected = {
        "DPPL": 4 / 8 - 3 / 6,  # predicted-positive share a - d
        "DI": (3 / 6) / (4 / 8),
        "DCA": 6 / 4 - 3 / 3,  # positive labels per positive prediction, a - d
        "DCR": 3 / 3 - 2 / 4,  # negative labels per negative prediction, d - a
        "RD": 4 / 6 - 2 / 3,  # recall a - d
        "SD": 2 / 3 - 2 / 2,  # specificity d - a
        "DAR": 4 / 4 - 2 / 3,  # precision a - d
        "DRR": 2 / 3 - 2 / 4,  # TN per negative prediction, d - a
        "AD": 6 / 8 - 4 / 6,  # accuracy a - d
    }
    for name, value in expected.items():
        assert row[name] == pytest.approx(value), name
    assert row["TE"] == -math.inf  # FN/FP: d 1/1, a 2/0 = inf (smclarify's division)


def test_generalized_entropy_is_computed_from_the_benefits_of_all_rows():
    # Benefits yhat - y + 1: 10 correct (1), 1 false positive (2), 3 false negatives (0).
    metrics = posttraining_metrics(_column(ROWS, "facet"), _column(ROWS, "label"), _column(ROWS, "prediction"), [1])
    mean = 12 / 14
    expected = ((10 * (1 / mean) ** 2 + (2 / mean) ** 2) - 14) / (14 * 2 * 1)
    assert metrics["GE"].tolist() == pytest.approx([expected, expected])


def test_clarify_division_gives_zero_for_zero_over_zero_and_infinity_for_x_over_zero():
    result = clarify_divide(np.array([0.0, 1.0, -1.0, 1.0]), np.array([0.0, 0.0, 0.0, 2.0]))
    assert result.tolist() == [0.0, math.inf, -math.inf, 0.5]


def test_two_infinite_ratios_give_a_difference_of_zero_as_in_smclarify():
    # Nobody is predicted positive, both groups have positive labels: acceptance ratio inf in both.
    frame = pd.concat([_confusion_rows("A", 0, 0, 2, 1), _confusion_rows("B", 0, 0, 3, 1)], ignore_index=True)
    row = posttraining_metrics(
        _column(frame, "facet"), _column(frame, "label"), _column(frame, "prediction"), [1]
    ).iloc[0]
    assert row["DCA"] == 0.0
    assert row["DI"] == 0.0  # 0/0 predicted-positive shares: smclarify's 0, not NaN


def test_cddpl_appears_with_a_group_variable():
    group = pd.Series(["g1", "g2"] * (len(ROWS) // 2))
    metrics = posttraining_metrics(
        _column(ROWS, "facet"), _column(ROWS, "label"), _column(ROWS, "prediction"), [1], group=group
    )
    assert "CDDPL" in metrics.columns and _column(metrics, "CDDPL").notna().all()


def test_post_training_metrics_are_nan_for_an_empty_group():
    row = posttraining_metrics(
        _column(ROWS, "facet"), _column(ROWS, "label"), _column(ROWS, "prediction"), [1], sensitive_values=["Z"]
    ).iloc[0]
    assert row["n_d"] == 0 and math.isnan(row["DPPL"]) and math.isnan(row["TE"])


def test_fairlearn_summary_gives_per_category_performance_and_both_parity_gaps():
    # X: binary y 1,1,0,0 / p 1,0,0,0 -> selection 1/4, TPR 1/2, FPR 0
    # Y: binary y 1,1,0,0 / p 1,1,0,0 -> selection 2/4, TPR 1,   FPR 0
    label = pd.Series([1, 1, 0, -1, 1, 1, -1, -1])
    prediction = pd.Series([1, 0, 0, -1, 1, 1, -1, 0])
    category = pd.Series(["X"] * 4 + ["Y"] * 4, name="product_category")
    summary = fairness_by_group(label, prediction, category)
    assert summary.demographic_parity_difference == pytest.approx(0.25)
    assert summary.equalized_odds_difference == pytest.approx(0.5)
    by_group = summary.by_group
    assert by_group.index.name == "product_category"
    assert by_group.loc["X", "accuracy"] == pytest.approx(3 / 4)
    assert by_group.loc["X", "recall_1"] == pytest.approx(1 / 2)
    assert by_group.loc["X", "recall_0"] == pytest.approx(1.0)
    assert math.isnan(by_group.loc["Y", "recall_0"])  # no neutral review in Y: undefined, not 0
    assert by_group["selection_rate"].tolist() == pytest.approx([0.25, 0.5])
    assert by_group["count"].tolist() == [4, 4]
