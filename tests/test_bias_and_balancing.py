import numpy as np
import pandas as pd
import pytest

from sentiment_assets.bias.pretraining import class_imbalance_and_dpl
from sentiment_assets.training.balancing import balance, values_missing_a_label


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    column = frame[name]
    assert isinstance(column, pd.Series), name  # one column, not a frame of duplicated names
    return column


def test_ci_and_dpl_match_a_hand_computed_example():
    # Facet "A": 2 rows, 1 positive (q_d = 0.5); the rest "B": 6 rows, 5 positive (q_a = 5/6).
    facet = pd.Series(["A", "A", "B", "B", "B", "B", "B", "B"])
    label = pd.Series([1, -1, 1, 1, 1, 1, 1, 0])
    metrics = class_imbalance_and_dpl(facet, label, positive_label_values=[1]).set_index("facet_value")
    assert metrics.loc["A", "CI"] == pytest.approx((6 - 2) / 8)
    assert metrics.loc["A", "DPL"] == pytest.approx(5 / 6 - 1 / 2)
    assert metrics.loc["B", "CI"] == pytest.approx((2 - 6) / 8)
    assert metrics.loc["B", "DPL"] == pytest.approx(1 / 2 - 5 / 6)


def test_balancing_by_category_and_sentiment_makes_dpl_zero_and_ci_equal():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "review_id": [f"r{i}" for i in range(3000)],
            "product_category": rng.choice(["Dresses", "Knits", "Trend"], size=3000, p=[0.6, 0.3, 0.1]),
            "sentiment": rng.choice([-1, 0, 1], size=3000, p=[0.1, 0.15, 0.75]),
        }
    )
    before = class_imbalance_and_dpl(_column(frame, "product_category"), _column(frame, "sentiment"), [1])
    assert before["DPL"].abs().max() > 0  # sampling noise alone gives some DPL
    balanced = balance(frame, by=["product_category", "sentiment"], seed=42)
    after = class_imbalance_and_dpl(_column(balanced, "product_category"), _column(balanced, "sentiment"), [1])
    assert after["DPL"].abs().max() == pytest.approx(0.0)
    assert after["CI"].nunique() == 1
    assert balanced.groupby(["product_category", "sentiment"]).size().nunique() == 1


def test_balancing_is_seeded():
    frame = pd.DataFrame({"review_id": [f"r{i}" for i in range(100)], "sentiment": [1] * 80 + [0] * 20})
    assert balance(frame, ["sentiment"], seed=1).equals(balance(frame, ["sentiment"], seed=1))
    assert not balance(frame, ["sentiment"], seed=1).equals(balance(frame, ["sentiment"], seed=2))


def test_categories_missing_a_sentiment_are_named():
    frame = pd.DataFrame({"product_category": ["A", "A", "A", "B", "B"], "sentiment": [-1, 0, 1, 1, 1]})
    assert values_missing_a_label(frame, "product_category", "sentiment") == ["B"]
