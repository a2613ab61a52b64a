"""bias_report: SageMaker Clarify's pre-training bias report, before and after balancing."""

import json

import dagster as dg
import numpy as np
import pandas as pd

from resources import ArtifactStore, Warehouse
from sentiment_assets.balancing import balance, values_missing_a_label
from sentiment_assets.bias.analysis_json import analysis_json
from sentiment_assets.bias.markdown import markdown_report
from sentiment_assets.bias.population import BiasPopulation, bias_population, largest_abs, max_abs
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
        reviews = reviews.assign(
            facet_group=np.where(reviews[settings.facet].astype(float) > settings.threshold, "d", "a")
        )
    incomplete = values_missing_a_label(reviews, column, "sentiment")
    return reviews[~reviews[column].astype(str).isin(incomplete)], column, incomplete


def _bias_table(reports: dict[str, PretrainingReport], facet: str) -> pd.DataFrame:
    """One row per stage and facet group d; text columns stay text when there are no rows."""
    table = pd.concat([r.clarify.assign(stage=s, facet=facet) for s, r in reports.items()], ignore_index=True)
    return table.astype({"value_or_threshold": "string", "stage": "string", "facet": "string"})


def _balancing_check(population: BiasPopulation, after: pd.DataFrame, left_out: list[str]) -> dg.AssetCheckResult:
    """Passed when balancing by facet x sentiment leaves DPL 0 and CI equal; with fewer than two
    facet values there is nothing to balance, which passes with a note saying so."""
    if not population.measurable:
        return dg.AssetCheckResult(
            check_name=BALANCING_CHECK, passed=True, metadata={"note": f"Nothing to balance. {population.note()}"}
        )
    largest_after = max_abs(after["DPL"])
    distinct_ci = int(after["CI"].round(12).nunique())
    if largest_after is None:
        return dg.AssetCheckResult(
            check_name=BALANCING_CHECK,
            passed=True,
            metadata={
                "note": "Nothing to balance: fewer than two facet values have every sentiment "
                f"(left out of balancing: {', '.join(left_out) or 'none'}).",
                "distinct_ci_after": distinct_ci,
            },
        )
    return dg.AssetCheckResult(
        check_name=BALANCING_CHECK,
        passed=bool(largest_after < 1e-9 and distinct_ci <= 1),
        metadata={"max_abs_dpl_after": largest_after, "distinct_ci_after": distinct_ci},
    )


@dg.asset(
    group_name=GROUP,
    kinds={"python", "duckdb"},
    deps=["cleaned_reviews", "balanced_reviews"],
    check_specs=[
        dg.AssetCheckSpec(
            WITHIN_LIMITS_CHECK,
            asset="bias_report",
            description="No pre-training metric of the cleaned reviews crosses its warning limit.",
        ),
        dg.AssetCheckSpec(
            BALANCING_CHECK,
            asset="bias_report",
            blocking=True,
            description="After balancing by facet x sentiment, DPL is 0 and CI equal for every facet value.",
        ),
    ],
)
def bias_report(config: BiasReportConfig, warehouse: Warehouse, artifacts: ArtifactStore) -> dg.MaterializeResult:
    """SageMaker Clarify's pre-training bias metrics (CI, DPL, KL, JS, LP, TVD, KS, CDDL) for a
    facet (product_category by default, or any column of cleaned_reviews such as
    source_partition; positive label = sentiment 1), with multi-class distances and bootstrap
    intervals, before and after each balancing mode. Large |DPL| means reviews of that category
    are more (or less) positive than the rest. Rows without a facet value or a label are left
    out; with fewer than two facet values the bias is not measurable, which the report says."""
    columns = list(dict.fromkeys(["review_id", config.facet, "sentiment", *([config.group] if config.group else [])]))
    cleaned = config.read_facets(warehouse, lambda: warehouse.read_table("cleaned_reviews", columns))
    population = bias_population(cleaned, config.facet, "sentiment", **config.split())
    reviews = population.frame
    balanceable, balance_column, left_out = _facet_groups_for_balancing(reviews, config)
    populations = {
        "before_balancing": reviews,
        "balanced_by_facet_and_sentiment": balance(balanceable, by=[balance_column, "sentiment"], seed=config.seed)[
            columns
        ],
        # The training data's facet values come from cleaned_reviews (training keeps fewer columns).
        "balanced_by_sentiment": reviews[
            reviews["review_id"].isin(warehouse.read_table("balanced_reviews", ["review_id"])["review_id"])
        ],
    }
    reports: dict[str, PretrainingReport] = {
        stage: pretraining_report(
            frame,
            config.facet,
            "sentiment",
            config.positive_label_values,
            group=config.group,
            n_resamples=config.bootstrap_resamples,
            seed=config.seed,
            **config.split(),
        )
        for stage, frame in populations.items()
    }
    limits = config.bias_thresholds()

    table = _bias_table(reports, config.facet)
    warehouse.write_table("bias_report", table)
    for stage, report in reports.items():
        artifacts.write_json(f"bias/analysis_{stage}.json", analysis_json(pre=[report]))
    notes = [population.left_out()] if population.measurable else [f"**{population.note()}**", population.left_out()]
    markdown = markdown_report(
        f"Pre-training bias: {config.facet}", [(STAGES[s], r) for s, r in reports.items()], limits, notes
    )
    markdown_path = artifacts.path("bias", "bias_report.md")
    markdown_path.write_text(markdown)
    plot = bias_bars({STAGES[s].split(" (")[0]: r.clarify for s, r in reports.items() if s != "balanced_by_sentiment"})
    artifacts.write_bytes("bias/ci_dpl.png", plot)

    before = reports["before_balancing"].clarify
    found = breaches(before.drop(columns=["n_d", "n_a"], errors="ignore"), limits)
    within_limits_metadata = {
        "breaches": dg.MetadataValue.json(json.loads(found.to_json(orient="records"))),
        "limits": dg.MetadataValue.json(limits.limits()),
    }
    if not population.measurable:
        within_limits_metadata["note"] = population.note()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(table),
            "facet": config.facet,
            "facet_values": population.facet_values,
            "bias_measurable": population.measurable,
            "note": population.note(),
            "rows_without_facet": population.rows_without_facet,
            "rows_without_label": population.rows_without_label,
            "rows_left_out": population.left_out(),
            "positive_label_values": dg.MetadataValue.json(config.positive_label_values),
            "rows_per_stage": dg.MetadataValue.json({s: len(f) for s, f in populations.items()}),
            "facet_values_left_out_of_balancing": dg.MetadataValue.json(left_out),
            "largest_abs_dpl": dg.MetadataValue.json(largest_abs(before, "DPL")),
            "ci_dpl_with_intervals": frame_markdown(reports["before_balancing"].intervals),
            "report": dg.MetadataValue.md(markdown),
            "plot_ci_dpl": png_markdown(plot, "CI and DPL per facet value, before and after balancing"),
            "analysis_json": dg.MetadataValue.path(str(artifacts.path("bias", "analysis_before_balancing.json"))),
            "report_markdown": dg.MetadataValue.path(str(markdown_path)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=WITHIN_LIMITS_CHECK,
                passed=found.empty,
                severity=dg.AssetCheckSeverity.WARN,
                metadata=within_limits_metadata,
            ),
            _balancing_check(population, reports["balanced_by_facet_and_sentiment"].clarify, left_out),
        ],
    )
