"""SageMaker Clarify's post-training bias metrics, with smclarify's exact semantics, from counts.

Post-training metrics compare the model's predictions for the facet group d with those for the
rest a. Labels *and* predictions are collapsed to binary with the same `positive_label_values`
(for 3-class sentiment with [1]: positive = sentiment 1, "accepted"; rest = "rejected").
Per group, n^(1) counts positive labels, n-hat^(1) positive predictions; TP, FP, FN, TN as usual.

- DPPL = q-hat_a - q-hat_d: DPL on predicted labels; > 0 means d is predicted positive less often.
- DI   = q-hat_d / q-hat_a: disparate impact, 1 is parity (the "four-fifths rule" flags < 0.8).
- DCA  = c_a - c_d, c = n^(1) / n-hat^(1) (c > 1: fewer acceptances predicted than the labels
  give): > 0 means a is short of acceptances, relative to its labels, more than d is.
- DCR  = r_d - r_a, r = n^(0) / n-hat^(0): > 0 means d is short of rejections, relative to its
  labels, more than a is.
- RD   = recall_a - recall_d;  SD = specificity_d - specificity_a.
- DAR  = precision_a - precision_d;  DRR = TN/n-hat^(0) of d minus that of a.
- AD   = accuracy_a - accuracy_d.
- TE   = FN_d/FP_d - FN_a/FP_a: treatment equality, the balance of error types.
- CDDPL: CDDL (see `pretraining`) on predicted labels; GE: generalized entropy (alpha = 2) of the
  benefits yhat - y + 1 over all rows, the same for every facet group, as Clarify reports it.

Divisions follow smclarify's `divide`: 0/0 = 0, x/0 = +inf, and a difference of two infinities
is 0. An empty d or a gives NaN (smclarify raises). Unlike smclarify we still report when the
model predicts no positive at all (it refuses the whole report): the metrics are defined then.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from sentiment_assets.bias.groups import (
    both_groups_present,
    category_codes,
    count_table,
    facet_groups,
    positive_label_index,
    split_counts,
)
from sentiment_assets.bias.pretraining import conditional_demographic_disparity
from sentiment_assets.frames import columns as select

POSTTRAINING_DESCRIPTIONS: dict[str, str] = {
    "AD": "Accuracy Difference (AD)",
    "CDDPL": "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
    "DAR": "Difference in Acceptance Rates (DAR)",
    "DCA": "Difference in Conditional Acceptance (DCA)",
    "DCR": "Difference in Conditional Rejection (DCR)",
    "DI": "Disparate Impact (DI)",
    "DPPL": "Difference in Positive Proportions in Predicted Labels (DPPL)",
    "DRR": "Difference in Rejection Rates (DRR)",
    "GE": "Generalized Entropy (GE)",
    "RD": "Recall Difference (RD)",
    "SD": "Specificity Difference (SD)",
    "TE": "Treatment Equality (TE)",
}


def clarify_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """smclarify's division: 0/0 = 0, x/0 = +inf (-inf for x < 0), else the quotient."""
    numerator, denominator = np.broadcast_arrays(np.asarray(numerator, float), np.asarray(denominator, float))
    by_zero = np.where(numerator == 0, 0.0, np.where(numerator < 0, -np.inf, np.inf))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator == 0, by_zero, numerator / denominator)


def _difference(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """first - second, but 0 when both are +inf (smclarify's rule for its ratio differences)."""
    both_infinite = (first == np.inf) & (second == np.inf)
    with np.errstate(invalid="ignore"):
        return np.where(both_infinite, 0.0, first - second)


def confusion_metrics(d: np.ndarray, a: np.ndarray) -> dict[str, np.ndarray]:
    """DPPL, DI, DCA, DCR, RD, SD, DAR, DRR, AD, TE from confusion counts of shape (..., 2, 2).

    Axis -2 is the binary label, axis -1 the binary prediction: [[TN, FP], [FN, TP]].
    """

    def parts(counts: np.ndarray) -> dict[str, np.ndarray]:
        tn, fp, fn, tp = counts[..., 0, 0], counts[..., 0, 1], counts[..., 1, 0], counts[..., 1, 1]
        n = tn + fp + fn + tp
        with np.errstate(divide="ignore", invalid="ignore"):
            q_hat = (tp + fp) / n  # an empty group's NaN is masked below
        return {
            "q_hat": q_hat,
            "accept": clarify_divide(tp + fn, tp + fp),  # positive labels per positive prediction
            "reject": clarify_divide(tn + fp, tn + fn),  # negative labels per negative prediction
            "recall": clarify_divide(tp, tp + fn),
            "specificity": clarify_divide(tn, tn + fp),
            "precision": clarify_divide(tp, tp + fp),
            "rejection_rate": clarify_divide(tn, tn + fn),
            "accuracy": clarify_divide(tp + tn, n),
            "fn_per_fp": clarify_divide(fn, fp),
            "n": n,
        }

    pd_, pa = parts(d), parts(a)
    metrics = {
        "DPPL": pa["q_hat"] - pd_["q_hat"],
        "DI": clarify_divide(pd_["q_hat"], pa["q_hat"]),
        "DCA": _difference(pa["accept"], pd_["accept"]),
        "DCR": _difference(pd_["reject"], pa["reject"]),
        "RD": _difference(pa["recall"], pd_["recall"]),
        "SD": _difference(pd_["specificity"], pa["specificity"]),
        "DAR": _difference(pa["precision"], pd_["precision"]),
        "DRR": _difference(pd_["rejection_rate"], pa["rejection_rate"]),
        "AD": _difference(pa["accuracy"], pd_["accuracy"]),
        "TE": _difference(pd_["fn_per_fp"], pa["fn_per_fp"]),
    }
    defined = both_groups_present(pd_["n"], pa["n"])
    return {name: np.where(defined, values, np.nan) for name, values in metrics.items()}


def generalized_entropy(confusion: np.ndarray, alpha: float = 2.0) -> float:
    """GE index of the benefits b = yhat - y + 1 (FN: 0, correct: 1, FP: 2), from [[TN, FP], [FN, TP]]."""
    tn, fp, fn, tp = confusion.ravel()
    n = tn + fp + fn + tp
    mean_benefit = (tn + tp + 2 * fp) / n if n else 0.0
    if mean_benefit == 0:
        return float("nan")  # every prediction a false negative (or no rows): smclarify raises
    sum_ratio_power = (tn + tp) * (1 / mean_benefit) ** alpha + fp * (2 / mean_benefit) ** alpha
    return float((sum_ratio_power - n) / (n * alpha * (alpha - 1)))


def posttraining_metrics(
    facet: pd.Series,
    label: pd.Series,
    prediction: pd.Series,
    positive_label_values: Iterable[object],
    *,
    sensitive_values: Sequence[object] | None = None,
    threshold: float | None = None,
    group: pd.Series | None = None,
) -> pd.DataFrame:
    """Every Clarify post-training metric (but FT) for each facet group d, one row per group.

    Columns: value_or_threshold, n_d, n_a, then AD, DAR, DCA, DCR, DI, DPPL, DRR, GE, RD, SD, TE and,
    when a group variable is given, CDDPL. (FT, the flip test, needs a k-NN model over the
    feature columns and is left out.)
    """
    positive_values = list(positive_label_values)
    groups = facet_groups(facet, sensitive_values=sensitive_values, threshold=threshold)
    y = positive_label_index(label, positive_values).astype(np.intp)
    y_hat = positive_label_index(prediction, positive_values).astype(np.intp)
    table = count_table([groups.codes, y, y_hat], [groups.n_levels, 2, 2])
    d, a = split_counts(table, groups.membership)
    columns = {
        "value_or_threshold": groups.names,
        "n_d": d.sum(axis=(-2, -1)).astype(int),
        "n_a": a.sum(axis=(-2, -1)).astype(int),
        **confusion_metrics(d, a),
        "GE": generalized_entropy(table.sum(axis=0)),
    }
    if group is not None:
        group_codes, group_values = category_codes(group)
        by_group = count_table([groups.codes, group_codes, y_hat], [groups.n_levels, len(group_values), 2])
        d_by_group, _ = split_counts(by_group, groups.membership)
        columns["CDDPL"] = conditional_demographic_disparity(d_by_group, by_group.sum(axis=0))
    frame = pd.DataFrame(columns)
    return select(frame, ["value_or_threshold", "n_d", "n_a", *sorted(c for c in frame.columns if c[0].isupper())])
