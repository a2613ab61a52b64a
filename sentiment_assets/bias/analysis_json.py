"""Reports as a dict in the shape of SageMaker Clarify's `analysis.json`.

    {"version": "1.0",
     "pre_training_bias_metrics": {
         "label": "sentiment",
         "label_value_or_threshold": "1",
         "facets": {"product_category": [
             {"value_or_threshold": "Dresses",
              "metrics": [{"name": "CDDL", "description": "...", "value": 0.01}, ...]}]}},
     "post_training_bias_metrics": {... the same shape ...},
     "beyond_clarify": {...}}

As in Clarify: metrics sorted by name, an undefined metric has `"value": null` and an `"error"`,
an infinite one the string "Infinity". Tools that read Clarify's file ignore `beyond_clarify`,
which carries the multi-class distances, the bootstrap intervals and fairlearn's summary.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from sentiment_assets.bias.multiclass import MULTICLASS_DESCRIPTIONS
from sentiment_assets.bias.posttraining import POSTTRAINING_DESCRIPTIONS
from sentiment_assets.bias.pretraining import PRETRAINING_DESCRIPTIONS
from sentiment_assets.bias.report import PosttrainingReport, PretrainingReport

UNDEFINED = "undefined here: a group is empty, or (distances) no label value is common to d and a"


def metric_entry(name: str, description: str, value: float) -> dict:
    """One Clarify metric record; JSON has no NaN or infinity, so they are spelled as Clarify does."""
    value = float(value)
    if math.isnan(value):
        return {"name": name, "description": description, "value": None, "error": UNDEFINED}
    if math.isinf(value):
        return {"name": name, "description": description, "value": "Infinity" if value > 0 else "-Infinity"}
    return {"name": name, "description": description, "value": value}


def facet_entries(metrics: pd.DataFrame, descriptions: dict[str, str]) -> list[dict]:
    """[{"value_or_threshold": ..., "metrics": [...]}] for the metric columns named in `descriptions`."""
    names = sorted(c for c in metrics.columns if c in descriptions)
    return [
        {
            "value_or_threshold": row["value_or_threshold"],
            "metrics": [metric_entry(n, descriptions[n], row[n]) for n in names],
        }
        for row in metrics.to_dict(orient="records")  # one record per facet value, not per data row
    ]


def _section(reports: Sequence[PretrainingReport | PosttrainingReport], descriptions: dict[str, str]) -> dict:
    labels = {(r.label, r.positive_label_values) for r in reports}
    if len(labels) != 1:
        raise ValueError(f"one analysis.json has one label and positive values, got {sorted(map(str, labels))}")
    label, positives = labels.pop()
    facets = [r.facet for r in reports]
    if len(set(facets)) != len(facets):
        raise ValueError("one analysis.json holds each facet once; write one file per stage (e.g. before/after)")
    return {
        "label": label,
        "facets": {r.facet: facet_entries(r.clarify, descriptions) for r in reports},
        "label_value_or_threshold": ",".join(map(str, positives)),
    }


def _finite_or_none(values: dict) -> dict:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in values.items()}


def _beyond_clarify(pre: Sequence[PretrainingReport], post: Sequence[PosttrainingReport]) -> dict:
    extra: dict = {}
    for report in pre:
        extra.setdefault("pre_training", {})[report.facet] = {
            "multiclass": {
                "smoothing_alpha": report.alpha,
                "facets": facet_entries(report.multiclass, MULTICLASS_DESCRIPTIONS),
            },
            "bootstrap": {
                "confidence": report.confidence,
                "intervals": [_finite_or_none(r) for r in report.intervals.to_dict(orient="records")],
            },
        }
    for report in post:
        if report.fairness is None:
            continue
        summary = report.fairness
        extra.setdefault("post_training", {})[report.facet] = {
            "binarised_positive_label_values": list(summary.positive_label_values),
            "demographic_parity_difference": summary.demographic_parity_difference,
            "equalized_odds_difference": summary.equalized_odds_difference,
            "by_group": [
                _finite_or_none({"group": str(group), **values})
                for group, values in summary.by_group.to_dict(orient="index").items()
            ],
        }
    return extra


def analysis_json(
    pre: Sequence[PretrainingReport] = (),
    post: Sequence[PosttrainingReport] = (),
    *,
    beyond_clarify: bool = True,
) -> dict:
    """Clarify's analysis.json for the given reports (each facet once per stage)."""
    document: dict = {"version": "1.0"}
    if pre:
        document["pre_training_bias_metrics"] = _section(pre, PRETRAINING_DESCRIPTIONS)
    if post:
        document["post_training_bias_metrics"] = _section(post, POSTTRAINING_DESCRIPTIONS)
    if beyond_clarify:
        document["beyond_clarify"] = _beyond_clarify(pre, post)
    return document
