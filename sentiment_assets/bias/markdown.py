"""A bias report people can read: a table per facet, limits crossed in bold, and how to read it."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from sentiment_assets.bias.report import PosttrainingReport, PretrainingReport
from sentiment_assets.bias.thresholds import BiasThresholds, breach_mask, breaches

HOW_TO_READ = """\
## How to read this

Each row compares one facet group **d** (say, the reviews of one category) with **a**, every
other review. Labels are first made binary: *positive* means the label is one of the positive
label values; everything else is *negative*. Every metric is 0 when d and a look alike.

- **CI** (class imbalance) > 0: d has fewer reviews than a. A large CI alone is not unfair, but
  a model sees little of d.
- **DPL** (difference in positive proportions) > 0: d's reviews are positive less often than a's.
  This is the label bias a model learns and repeats.
- **KL, JS, LP, TVD, KS**: how far apart the label distributions of d and a are (Clarify's
  versions on the binary labels; the *all classes* table uses negative/neutral/positive).
- **CDDL**: DPL's cousin conditioned on a group variable: d's share of negative labels minus its
  share of positive labels within each subgroup, averaged by subgroup size.
- Post-training: **DPPL** and **DI** compare how often the model *predicts* positive for d and a
  (DI = 1 is parity); **RD, SD, DAR, DRR, AD, DCA, DCR, TE** compare its errors.
- The bootstrap interval shows the sampling noise: a DPL whose interval contains 0 may be chance.
- **Bold ⚠** marks a value past its warning limit (table at the end). NaN: undefined, e.g. an
  empty group or no label value common to d and a.
"""


def _cell(value: object, digits: int) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return f"{value:.{digits}f}" if math.isfinite(value) else ("∞" if value > 0 else "-∞")
    return str(value).replace("|", "\\|")


def markdown_table(frame: pd.DataFrame, highlight: pd.DataFrame | None = None, digits: int = 4) -> str:
    """A GitHub-style pipe table; cells where `highlight` is True are bold with a ⚠."""
    marks = highlight.reindex_like(frame).fillna(False) if highlight is not None else None
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    # One line per facet value (tens of rows), not per data row.
    for position, row in enumerate(frame.itertuples(index=False)):
        cells = []
        for column, value in zip(frame.columns, row, strict=False):
            text = _cell(value, digits)
            if marks is not None and bool(marks.iat[position, frame.columns.get_loc(column)]):
                text = f"**{text}** ⚠"
            cells.append(text)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _breach_list(frames: Sequence[pd.DataFrame], thresholds: BiasThresholds) -> str:
    found = pd.concat([breaches(f, thresholds) for f in frames], ignore_index=True)
    if found.empty:
        return "No metric crosses its warning limit."
    rows = zip(found["value_or_threshold"], found["metric"], found["value"], found["rule"], strict=True)
    items = [f"- {where}: {metric} = {_cell(float(value), 4)} ({rule})" for where, metric, value, rule in rows]
    return f"{len(found)} warning(s):\n" + "\n".join(items)


def pretraining_section(title: str, report: PretrainingReport, thresholds: BiasThresholds) -> str:
    positives = ",".join(map(str, report.positive_label_values))
    return "\n\n".join(
        [
            f"## {title}",
            f"Facet `{report.facet}`, label `{report.label}`, positive = {{{positives}}}.",
            "### Clarify pre-training metrics (binary labels)",
            markdown_table(report.clarify, breach_mask(report.clarify, thresholds)),
            f"### Beyond Clarify: all classes (KL and JS smoothed with alpha = {report.alpha})",
            markdown_table(report.multiclass, breach_mask(report.multiclass, thresholds)),
            f"### CI and DPL with {report.confidence:.0%} bootstrap intervals",
            markdown_table(report.intervals),
            "### Warnings",
            _breach_list([report.clarify], thresholds),
        ]
    )


def posttraining_section(title: str, report: PosttrainingReport, thresholds: BiasThresholds) -> str:
    positives = ",".join(map(str, report.positive_label_values))
    parts = [
        f"## {title}",
        f"Facet `{report.facet}`, label `{report.label}`, positive = {{{positives}}} for labels and predictions.",
        "### Clarify post-training metrics",
        markdown_table(report.clarify, breach_mask(report.clarify, thresholds)),
    ]
    if report.fairness is not None:
        summary = report.fairness
        parts += [
            "### fairlearn by group",
            markdown_table(summary.by_group.reset_index()),
            f"Demographic-parity difference {summary.demographic_parity_difference:.4f}, equalized-odds "
            f"difference {summary.equalized_odds_difference:.4f} (binarised: positive = {{{positives}}}, "
            "the other classes negative).",
        ]
    parts += ["### Warnings", _breach_list([report.clarify], thresholds)]
    return "\n\n".join(parts)


def thresholds_table(thresholds: BiasThresholds) -> str:
    rules = [thresholds.describe(m) for m in thresholds.limits()] + [thresholds.describe("DI")]
    return "## Warning limits\n\n" + "\n".join(f"- {rule}" for rule in rules)


def markdown_report(
    title: str,
    sections: Sequence[tuple[str, PretrainingReport | PosttrainingReport]],
    thresholds: BiasThresholds = BiasThresholds(),
    notes: Sequence[str] = (),
) -> str:
    """The whole report: title, `notes` (e.g. which rows were left out), how to read it, one
    section per (heading, report), the limits."""
    body = [
        pretraining_section(heading, report, thresholds)
        if isinstance(report, PretrainingReport)
        else posttraining_section(heading, report, thresholds)
        for heading, report in sections
    ]
    return "\n\n".join([f"# {title}", *notes, HOW_TO_READ.strip(), *body, thresholds_table(thresholds)]) + "\n"
