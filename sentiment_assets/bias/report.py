"""A full bias report for one facet: every metric this package has, computed in one call.

The pre-training report is what `bias_report` shows (Clarify's metrics, the multi-class
distances and bootstrap intervals for CI and DPL); the post-training report is what
`post_training_bias_report` shows (Clarify's post-training metrics and fairlearn's view).
Renderers: `analysis_json.analysis_json` (Clarify's analysis.json shape) and
`markdown.markdown_report` (for people).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from sentiment_assets.bias.bootstrap import bootstrap_ci_dpl
from sentiment_assets.bias.fairness import FairnessSummary, fairness_by_group
from sentiment_assets.bias.multiclass import multiclass_metrics
from sentiment_assets.bias.posttraining import posttraining_metrics
from sentiment_assets.bias.pretraining import pretraining_metrics
from sentiment_assets.frames import column as col


@dataclass(frozen=True)
class PretrainingReport:
    """Pre-training bias of one facet: one row per facet group d in each frame."""

    facet: str
    label: str
    positive_label_values: tuple[object, ...]
    clarify: pd.DataFrame  # CI, DPL, KL, JS, LP, TVD, KS (+ CDDL) with smclarify's semantics
    multiclass: pd.DataFrame  # KL, JS, LP, TVD, KS over every class (smoothed KL/JS)
    intervals: pd.DataFrame  # CI and DPL with bootstrap percentile intervals
    confidence: float = 0.95
    alpha: float = 1.0


@dataclass(frozen=True)
class PosttrainingReport:
    """Post-training bias of one facet, from labels and a model's predictions."""

    facet: str
    label: str
    positive_label_values: tuple[object, ...]
    clarify: pd.DataFrame  # DPPL, DI, DCA, DCR, RD, SD, DAR, DRR, AD, TE, GE (+ CDDPL)
    fairness: FairnessSummary | None  # fairlearn by group (one-vs-rest facets only)


def pretraining_report(
    frame: pd.DataFrame,
    facet: str,
    label: str,
    positive_label_values: Iterable[object],
    *,
    sensitive_values: Sequence[object] | None = None,
    threshold: float | None = None,
    group: str | None = None,
    classes: Sequence[object] | None = None,
    alpha: float = 1.0,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> PretrainingReport:
    """Every pre-training metric for `facet` (any column) against `label`.

    `sensitive_values` or `threshold` choose d as in Clarify (default one-vs-rest per value);
    `group` names Clarify's group variable for CDDL; `classes`/`alpha` set the multi-class
    support and smoothing; `n_resamples`/`confidence`/`seed` the bootstrap.
    """
    positives = tuple(positive_label_values)
    split = {"sensitive_values": sensitive_values, "threshold": threshold}
    return PretrainingReport(
        facet=facet,
        label=label,
        positive_label_values=positives,
        clarify=pretraining_metrics(
            col(frame, facet), col(frame, label), positives, group=None if group is None else col(frame, group), **split
        ),
        multiclass=multiclass_metrics(col(frame, facet), col(frame, label), classes=classes, alpha=alpha, **split),
        intervals=bootstrap_ci_dpl(
            col(frame, facet),
            col(frame, label),
            positives,
            n_resamples=n_resamples,
            confidence=confidence,
            seed=seed,
            **split,
        ),
        confidence=confidence,
        alpha=alpha,
    )


def posttraining_report(
    frame: pd.DataFrame,
    facet: str,
    label: str,
    prediction: str,
    positive_label_values: Iterable[object],
    *,
    sensitive_values: Sequence[object] | None = None,
    threshold: float | None = None,
    group: str | None = None,
    classes: Sequence[object] = (-1, 0, 1),
) -> PosttrainingReport:
    """Clarify's post-training metrics for `facet` and, for a one-vs-rest facet, fairlearn by group."""
    positives = tuple(positive_label_values)
    clarify = posttraining_metrics(
        col(frame, facet),
        col(frame, label),
        col(frame, prediction),
        positives,
        sensitive_values=sensitive_values,
        threshold=threshold,
        group=None if group is None else col(frame, group),
    )
    one_vs_rest = sensitive_values is None and threshold is None
    fairness = None
    if one_vs_rest and len(frame):
        fairness = fairness_by_group(
            col(frame, label),
            col(frame, prediction),
            col(frame, facet),
            classes=classes,
            positive_label_values=positives,
        )
    return PosttrainingReport(facet, label, positives, clarify, fairness)
