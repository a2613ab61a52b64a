import math

import numpy as np
import pandas as pd
import pytest

from sentiment_assets.bias.bootstrap import bootstrap_ci_dpl
from sentiment_assets.bias.multiclass import multiclass_metrics
from sentiment_assets.bias.pretraining import pretraining_metrics

# d never has a neutral (0) review: counts (-1, 0, 1) d = (2, 0, 2), a = (1, 1, 2).
FACET = pd.Series(["d"] * 4 + ["a"] * 4)
LABEL = pd.Series([-1, -1, 1, 1, -1, 0, 1, 1])


def _row(metrics: pd.DataFrame, value: str = "d") -> pd.Series:
    return metrics.set_index("value_or_threshold").loc[value]


def test_multiclass_kl_and_js_use_laplace_smoothing_so_an_absent_class_stays_finite():
    row = _row(multiclass_metrics(FACET, LABEL, alpha=1.0))
    s_a = np.array([2, 2, 3]) / 7  # (count + 1) / (4 + 3)
    s_d = np.array([3, 1, 3]) / 7
    middle = (s_a + s_d) / 2

    def kl(p, q):
        return float(np.sum(p * np.log(p / q)))

    assert row["KL"] == pytest.approx(kl(s_a, s_d))
    assert row["JS"] == pytest.approx(0.5 * (kl(s_a, middle) + kl(s_d, middle)))


def test_without_smoothing_an_absent_class_makes_multiclass_kl_infinite():
    assert math.isinf(_row(multiclass_metrics(FACET, LABEL, alpha=0.0))["KL"])


def test_multiclass_lp_tvd_and_ks_use_the_raw_class_shares():
    row = _row(multiclass_metrics(FACET, LABEL, alpha=1.0))
    p_a, p_d = np.array([0.25, 0.25, 0.5]), np.array([0.5, 0.0, 0.5])
    assert row["LP"] == pytest.approx(float(np.linalg.norm(p_a - p_d)))
    assert row["TVD"] == pytest.approx(0.25)
    assert row["KS"] == pytest.approx(0.25)
    assert row["P_d(0)"] == 0.0 and row["P_a(0)"] == pytest.approx(0.25)


def test_multiclass_metrics_see_a_shift_between_negative_and_neutral_that_clarify_cannot():
    # Same positive share (1/2) in d and a; d's non-positives are all negative, a's all neutral.
    facet = pd.Series(["d"] * 4 + ["a"] * 4)
    label = pd.Series([-1, -1, 1, 1, 0, 0, 1, 1])
    clarify, multiclass = _row(pretraining_metrics(facet, label, [1])), _row(multiclass_metrics(facet, label))
    assert clarify["DPL"] == 0 and clarify["KL"] == 0 and clarify["TVD"] == 0
    assert multiclass["TVD"] == pytest.approx(0.5) and multiclass["KL"] > 0.1


def test_a_class_listed_but_never_seen_counts_in_the_smoothing():
    three = _row(multiclass_metrics(FACET, LABEL, classes=[-1, 0, 1]))
    four = _row(multiclass_metrics(FACET, LABEL, classes=[-1, 0, 1, 2]))
    assert four["P_d(2)"] == 0.0
    assert four["KL"] != pytest.approx(three["KL"])  # (n + 1) / (N + 4) instead of / (N + 3)
    assert four["TVD"] == pytest.approx(three["TVD"])  # the raw shares do not change


def test_labels_outside_the_listed_classes_are_rejected():
    with pytest.raises(ValueError, match="outside classes"):
        multiclass_metrics(FACET, LABEL, classes=[-1, 1])


def test_multiclass_metrics_are_nan_for_an_empty_group():
    row = multiclass_metrics(pd.Series([1.0, 2.0]), pd.Series([1, 0]), threshold=5).iloc[0]
    assert math.isnan(row["KL"]) and math.isnan(row["TVD"])


def _reviews(n: int, seed: int) -> tuple[pd.Series, pd.Series]:
    """Category and sentiment of n reviews."""
    rng = np.random.default_rng(seed)
    category = rng.choice(["Dresses", "Knits", "Trend"], size=n, p=[0.6, 0.3, 0.1])
    positive_share = pd.Series(category).map({"Dresses": 0.8, "Knits": 0.7, "Trend": 0.5}).to_numpy()
    sentiment = np.where(rng.random(n) < positive_share, 1, -1)
    return pd.Series(category, name="category"), pd.Series(sentiment, name="sentiment")


def test_bootstrap_intervals_contain_the_point_estimates():
    category, sentiment = _reviews(2_000, seed=1)
    intervals = bootstrap_ci_dpl(category, sentiment, [1], n_resamples=400, seed=3)
    for name in ("CI", "DPL"):
        assert (intervals[f"{name}_low"] <= intervals[name]).all()
        assert (intervals[name] <= intervals[f"{name}_high"]).all()
    plain = pretraining_metrics(category, sentiment, [1])
    assert np.allclose(intervals["DPL"], plain["DPL"])


def test_bootstrap_intervals_narrow_as_the_data_grows():
    def width(n: int) -> np.ndarray:
        category, sentiment = _reviews(n, seed=2)
        intervals = bootstrap_ci_dpl(category, sentiment, [1], n_resamples=400, seed=3)
        return (intervals["DPL_high"] - intervals["DPL_low"]).to_numpy()

    # 100x the rows: about 10x narrower (1/sqrt(n)); ask for at least 4x.
    assert (width(50_000) < width(500) / 4).all()


def test_bootstrap_intervals_are_seeded():
    category, sentiment = _reviews(500, seed=4)

    def run(seed):
        return bootstrap_ci_dpl(category, sentiment, [1], n_resamples=200, seed=seed)

    assert run(7).equals(run(7))
    assert not run(7).equals(run(8))


def test_a_wider_confidence_level_gives_a_wider_interval():
    category, sentiment = _reviews(1_000, seed=5)
    narrow = bootstrap_ci_dpl(category, sentiment, [1], n_resamples=500, confidence=0.5)
    wide = bootstrap_ci_dpl(category, sentiment, [1], n_resamples=500, confidence=0.99)
    assert ((wide["DPL_high"] - wide["DPL_low"]) > (narrow["DPL_high"] - narrow["DPL_low"])).all()
