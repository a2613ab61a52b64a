import math

import numpy as np
import pandas as pd
import pytest

from sentiment_assets.bias.groups import facet_groups, positive_label_index
from sentiment_assets.bias.pretraining import class_imbalance_and_dpl, pretraining_metrics

# d = "A": labels 1, 1, 0, -1 -> binary (positive = 1): 2 positive, 2 negative.
# a = "B": labels 1 x5, 0    -> 5 positive, 1 negative.
FACET = pd.Series(["A"] * 4 + ["B"] * 6)
LABEL = pd.Series([1, 1, 0, -1, 1, 1, 1, 1, 1, 0])


def _row(metrics: pd.DataFrame, value: str) -> pd.Series:
    return metrics.set_index("value_or_threshold").loc[value]


def test_ci_and_dpl_match_their_definitions_on_a_hand_example():
    row = _row(pretraining_metrics(FACET, LABEL, [1]), "A")
    assert (row["n_d"], row["n_a"]) == (4, 6)
    assert row["CI"] == pytest.approx((6 - 4) / 10)
    assert row["DPL"] == pytest.approx(5 / 6 - 2 / 4)


def test_label_distances_match_their_definitions_on_a_hand_example():
    row = _row(pretraining_metrics(FACET, LABEL, [1]), "A")
    p_a, p_d = np.array([1 / 6, 5 / 6]), np.array([1 / 2, 1 / 2])  # (negative, positive)
    middle = (p_a + p_d) / 2

    def kl(p, q):
        return float(np.sum(p * np.log(p / q)))

    assert row["KL"] == pytest.approx(kl(p_a, p_d))
    assert row["JS"] == pytest.approx(0.5 * (kl(p_a, middle) + kl(p_d, middle)))
    assert row["LP"] == pytest.approx(math.sqrt(2) / 3)
    assert row["TVD"] == pytest.approx(1 / 3)
    assert row["KS"] == pytest.approx(1 / 3)


def test_distances_use_only_label_values_present_in_both_groups_without_renormalising():
    # d is all positive, a half/half: the common support is {positive}; P_a(positive) stays 0.5.
    facet = pd.Series(["d"] * 3 + ["a"] * 4)
    label = pd.Series([1, 1, 1, 1, 1, 0, 0])
    row = _row(pretraining_metrics(facet, label, [1]), "d")
    assert row["KL"] == pytest.approx(0.5 * math.log(0.5))  # negative: Clarify's trimmed PMF
    assert row["JS"] == pytest.approx(0.5 * (0.5 * math.log(0.5 / 0.75) + math.log(1 / 0.75)))
    assert row["LP"] == pytest.approx(0.5)
    assert row["TVD"] == pytest.approx(0.25)
    assert row["KS"] == pytest.approx(0.5)


def test_distances_are_nan_when_no_label_value_is_common_to_both_groups():
    row = _row(pretraining_metrics(pd.Series(["d", "d", "a"]), pd.Series([1, 1, 0]), [1]), "d")
    assert all(math.isnan(row[m]) for m in ("KL", "JS", "LP", "TVD", "KS"))
    assert row["DPL"] == pytest.approx(-1.0)  # DPL is still defined: q_a = 0, q_d = 1


def test_cddl_weights_each_subgroups_disparity_by_its_size():
    # (facet, label) per subgroup; DD = d's share of the rejected - d's share of the accepted.
    # g1: (d,1) (d,0) (a,1) (a,1) -> 1/1 - 1/3 = 2/3
    # g2: (d,0) (a,1) (a,0) (a,0) -> 1/3 - 0/1 = 1/3
    # g3: (a,1) (a,1)             -> no rejected rows, so 0 - 0 = 0
    facet = pd.Series(["d", "d", "a", "a", "d", "a", "a", "a", "a", "a"])
    label = pd.Series([1, 0, 1, 1, 0, 1, 0, 0, 1, 1])
    group = pd.Series(["g1"] * 4 + ["g2"] * 4 + ["g3"] * 2)
    row = _row(pretraining_metrics(facet, label, [1], group=group), "d")
    assert row["CDDL"] == pytest.approx((4 * 2 / 3 + 4 * 1 / 3 + 2 * 0) / 10)


def test_cddl_is_reported_only_with_a_group_variable():
    assert "CDDL" not in pretraining_metrics(FACET, LABEL, [1]).columns


def test_a_continuous_facet_is_split_above_the_threshold_and_named_as_clarify_names_it():
    ages = pd.Series([20, 35, 40, 41, 60, 89])
    label = pd.Series([1, 0, 1, 1, 0, 0])
    metrics = pretraining_metrics(ages, label, [1], threshold=40)
    assert metrics["value_or_threshold"].tolist() == ["(40, 89]"]
    row = metrics.iloc[0]
    assert (row["n_d"], row["n_a"]) == (3, 3)  # 41, 60, 89 are above 40; 40 itself is not
    assert row["DPL"] == pytest.approx(2 / 3 - 1 / 3)


def test_a_threshold_above_every_value_leaves_d_empty_and_gives_nan_not_an_error():
    row = pretraining_metrics(pd.Series([20.0, 30.0]), pd.Series([1, 0]), [1], threshold=95).iloc[0]
    assert row["n_d"] == 0
    assert all(math.isnan(row[m]) for m in ("CI", "DPL", "KL", "JS", "LP", "TVD", "KS"))


def test_a_sensitive_value_list_forms_one_group_d():
    facet = pd.Series(["Trend", "Trend", "Swim", "Dresses", "Dresses", "Knits"])
    label = pd.Series([0, 0, 1, 1, 1, 1])
    metrics = pretraining_metrics(facet, label, [1], sensitive_values=["Trend", "Swim"])
    assert metrics["value_or_threshold"].tolist() == ["Trend,Swim"]
    assert metrics.iloc[0]["n_d"] == 3
    assert metrics.iloc[0]["DPL"] == pytest.approx(1 - 1 / 3)


def test_a_facet_with_one_value_has_an_empty_rest_and_gives_nan():
    row = pretraining_metrics(pd.Series(["only"] * 3), pd.Series([1, 0, 1]), [1]).iloc[0]
    assert math.isnan(row["CI"]) and math.isnan(row["DPL"]) and math.isnan(row["KL"])


def test_labels_collapse_to_binary_by_the_positive_values_even_when_stored_as_text():
    assert positive_label_index(pd.Series(["5", "4", "3", "1"]), [4, 5]).tolist() == [True, True, False, False]
    assert positive_label_index(pd.Series([5, 4, 3, 1]), [4, 5]).tolist() == [True, True, False, False]


def test_any_column_can_be_the_facet_including_missing_values():
    facet = pd.Series(["General", None, "General", "Petite"])
    groups = facet_groups(facet)
    assert groups.names == ["General", "Petite", "nan"]  # missing values form a group of their own
    assert groups.membership.shape == (3, 3)


def test_the_existing_ci_and_dpl_table_keeps_its_columns_and_values():
    table = class_imbalance_and_dpl(FACET, LABEL, [1])
    assert table.columns.tolist() == ["facet_value", "n_d", "n_a", "CI", "q_d", "q_a", "DPL"]
    assert table.set_index("facet_value").loc["B", "DPL"] == pytest.approx(2 / 4 - 5 / 6)
