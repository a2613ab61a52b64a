"""bias_report: SageMaker Clarify's pre-training bias report, before and after balancing."""

import json

import dagster as dg
import numpy as np
import pandas as pd

from resources import ArtifactStore, Warehouse
from sentiment_assets.balancing import balance, values_missing_a_label
from sentiment_assets.bias.analysis_json import analysis_json
from sentiment_assets.bias.markdown import markdown_report
from sentiment_assets.bias.report import PretrainingReport, pretraining_report
from sentiment_assets.bias.thresholds import breaches
from sentiment_assets.defs.bias_settings import BiasSettings
from sentiment_assets.defs.metadata import frame_markdown, png_markdown
from sentiment_assets.plots import bias_bars

GROUP = "ingest_analyze"
WITHIN_LIMITS_CHECK = "pretraining_bias_within_limits"
BALANCING_CHECK = "category_sentiment_balancing_removes_bias"
STAGES = {
    "before_balancing": "Before balancing (cleaned reviews)",
    "balanced_by_facet_and_sentiment": "After balancing by facet x sentiment (the bias demonstration)",
    "balanced_by_sentiment": "After balancing by sentiment only (the training data)",
}


class BiasReportConfig(BiasSettings):
    bootstrap_resamples: int = 1000
    seed: int = 42


def _facet_groups_for_balancing(reviews: pd.DataFrame, settings: BiasSettings) -> tuple[pd.DataFrame, str, list[str]]:
    """The frame and column to balance on: the facet itself, or d-vs-a for a threshold facet.
    Facet values lacking some sentiment are left out (they cannot be balanced) and named."""
    column = settings.facet
    if settings.threshold is not None:
        column = "facet_group"
        reviews = reviews.assign(facet_group=np.where(reviews[settings.facet].astype(float) > settings.threshold, "d", "a"))
    incomplete = values_missing_a_label(reviews, column, "sentiment")
    return reviews[~reviews[column].astype(str).isin(incomplete)], column, incomplete


@dg.asset(
    group_name=GROUP,
    kinds={"python", "duckdb"},
    deps=["cleaned_reviews", "balanced_reviews"],
    check_specs=[
        dg.AssetCheckSpec(WITHIN_LIMITS_CHECK, asset="bias_report",
                          description="No pre-training metric of the cleaned reviews crosses its warning limit."),
        dg.AssetCheckSpec(BALANCING_CHECK, asset="bias_report", blocking=True,
                          description="After balancing by facet x sentiment, DPL is 0 and CI equal for every facet value."),
    ],
)
def bias_report(config: BiasReportConfig, warehouse: Warehouse, artifacts: ArtifactStore) -> dg.MaterializeResult:
    """SageMaker Clarify's pre-training bias metrics (CI, DPL, KL, JS, LP, TVD, KS, CDDL) for a
    facet (product_category by default, positive label = sentiment 1), with multi-class
    distances and bootstrap intervals, before and after each balancing mode. Large |DPL| means
    reviews of that category are more (or less) positive than the rest."""
    columns = list(dict.fromkeys(["review_id", config.facet, "sentiment", *([config.group] if config.group else [])]))
    reviews = warehouse.read_table("cleaned_reviews", columns)
    balanceable, balance_column, left_out = _facet_groups_for_balancing(reviews, config)
    populations = {
        "before_balancing": reviews,
        "balanced_by_facet_and_sentiment": balance(balanceable, by=[balance_column, "sentiment"], seed=config.seed)[columns],
        # The training data's facet values come from cleaned_reviews (training keeps fewer columns).
        "balanced_by_sentiment": reviews[reviews["review_id"].isin(warehouse.read_table("balanced_reviews", ["review_id"])["review_id"])],
    }
    reports: dict[str, PretrainingReport] = {
        stage: pretraining_report(frame, config.facet, "sentiment", config.positive_label_values, group=config.group,
                                  n_resamples=config.bootstrap_resamples, seed=config.seed, **config.split())
        for stage, frame in populations.items()
    }
    limits = config.bias_thresholds()

    table = pd.concat([r.clarify.assign(stage=s, facet=config.facet) for s, r in reports.items()], ignore_index=True)
    warehouse.write_table("bias_report", table)
    for stage, report in reports.items():
        artifacts.write_json(f"bias/analysis_{stage}.json", analysis_json(pre=[report]))
    markdown = markdown_report(f"Pre-training bias: {config.facet}", [(STAGES[s], r) for s, r in reports.items()], limits)
    markdown_path = artifacts.path("bias", "bias_report.md")
    markdown_path.write_text(markdown)
    plot = bias_bars({STAGES[s].split(" (")[0]: r.clarify for s, r in reports.items() if s != "balanced_by_sentiment"})
    artifacts.write_bytes("bias/ci_dpl.png", plot)

    before = reports["before_balancing"].clarify
    after = reports["balanced_by_facet_and_sentiment"].clarify
    found = breaches(before.drop(columns=["n_d", "n_a"], errors="ignore"), limits)
    worst = before.loc[before["DPL"].abs().idxmax()]
    balanced_ok = bool(np.nanmax(np.abs(after["DPL"])) < 1e-9 and after["CI"].round(12).nunique() <= 1)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(table),
            "facet": config.facet,
            "positive_label_values": dg.MetadataValue.json(config.positive_label_values),
            "rows_per_stage": dg.MetadataValue.json({s: len(f) for s, f in populations.items()}),
            "facet_values_left_out_of_balancing": dg.MetadataValue.json(left_out),
            "largest_abs_dpl": dg.MetadataValue.json({"facet_value": str(worst["value_or_threshold"]), "DPL": float(worst["DPL"])}),
            "ci_dpl_with_intervals": frame_markdown(reports["before_balancing"].intervals),
            "report": dg.MetadataValue.md(markdown),
            "plot_ci_dpl": png_markdown(plot, "CI and DPL per facet value, before and after balancing"),
            "analysis_json": dg.MetadataValue.path(str(artifacts.path("bias", "analysis_before_balancing.json"))),
            "report_markdown": dg.MetadataValue.path(str(markdown_path)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=WITHIN_LIMITS_CHECK, passed=found.empty, severity=dg.AssetCheckSeverity.WARN,
                metadata={"breaches": dg.MetadataValue.json(json.loads(found.to_json(orient="records"))),
                          "limits": dg.MetadataValue.json(limits.limits())},
            ),
            dg.AssetCheckResult(
                check_name=BALANCING_CHECK, passed=balanced_ok,
                metadata={"max_abs_dpl_after": float(np.nanmax(np.abs(after["DPL"]))), "distinct_ci_after": int(after["CI"].round(12).nunique())},
            ),
        ],
    )
