"""bias_report: SageMaker Clarify's pre-training bias report, before and after balancing.

The bias stack (fairlearn, scikit-learn, SciPy, matplotlib) is imported when the asset runs, not
when the code location loads."""

import json
from typing import TYPE_CHECKING, Any

import dagster as dg

from resources import ArtifactStore, Warehouse
from sentiment_assets.defs.automation_conditions import follow_upstream
from sentiment_assets.defs.bias_settings import BiasSettings
from sentiment_assets.defs.metadata import frame_markdown, png_markdown
from sentiment_assets.frames import column

if TYPE_CHECKING:
    from sentiment_assets.bias.balancing_stages import FacetChoice, StagedBias

GROUP = "ingest_analyze"
WITHIN_LIMITS_CHECK = "pretraining_bias_within_limits"
BALANCING_CHECK = "category_sentiment_balancing_removes_bias"


class BiasReportConfig(BiasSettings):
    bootstrap_resamples: int = 1000
    seed: int = 42

    def choice(self) -> "FacetChoice":
        from sentiment_assets.bias.balancing_stages import FacetChoice

        return FacetChoice(
            facet=self.facet,
            positive_label_values=list(self.positive_label_values),
            sensitive_values=self.sensitive_values,
            threshold=self.threshold,
            group=self.group,
            limits=self.bias_thresholds(),
            bootstrap_resamples=self.bootstrap_resamples,
            seed=self.seed,
        )


@dg.asset(
    group_name=GROUP,
    kinds={"python", "duckdb"},
    deps=["cleaned_reviews", "balanced_reviews"],
    automation_condition=follow_upstream(),
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
    from sentiment_assets.bias.balancing_stages import save_staged_bias, staged_bias

    choice = config.choice()
    cleaned = config.read_facets(warehouse, lambda: warehouse.read_table("cleaned_reviews", choice.columns))
    staged = staged_bias(cleaned, column(warehouse.read_table("balanced_reviews", ["review_id"]), "review_id"), choice)
    table = staged.table()
    warehouse.write_table("bias_report", table)
    saved = save_staged_bias(staged, artifacts)
    passed, balancing = staged.balancing_outcome()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(table),
            **_population_metadata(staged),
            "ci_dpl_with_intervals": frame_markdown(staged.reports["before_balancing"].intervals),
            "report": dg.MetadataValue.md(saved.markdown),
            "plot_ci_dpl": png_markdown(saved.plot, "CI and DPL per facet value, before and after balancing"),
            "analysis_json": dg.MetadataValue.path(str(saved.analysis_before_balancing)),
            "report_markdown": dg.MetadataValue.path(str(saved.markdown_path)),
        },
        check_results=[
            _within_limits_check(staged),
            dg.AssetCheckResult(check_name=BALANCING_CHECK, passed=passed, metadata=balancing),
        ],
    )


def _population_metadata(staged: "StagedBias") -> dict[str, Any]:
    from sentiment_assets.bias.population import largest_abs

    population = staged.population
    return {
        "facet": staged.choice.facet,
        "facet_values": population.facet_values,
        "bias_measurable": population.measurable,
        "note": population.note(),
        "rows_without_facet": population.rows_without_facet,
        "rows_without_label": population.rows_without_label,
        "rows_left_out": population.left_out(),
        "positive_label_values": dg.MetadataValue.json(staged.choice.positive_label_values),
        "rows_per_stage": dg.MetadataValue.json({s: len(f) for s, f in staged.populations.items()}),
        "facet_values_left_out_of_balancing": dg.MetadataValue.json(staged.left_out_of_balancing),
        "largest_abs_dpl": dg.MetadataValue.json(largest_abs(staged.before, "DPL")),
    }


def _within_limits_check(staged: "StagedBias") -> dg.AssetCheckResult:
    found = staged.breaches()
    metadata: dict[str, Any] = {
        "breaches": dg.MetadataValue.json(json.loads(found.to_json(orient="records") or "[]")),
        "limits": dg.MetadataValue.json(staged.choice.limits.limits()),
    }
    if not staged.population.measurable:
        metadata["note"] = staged.population.note()
    return dg.AssetCheckResult(
        check_name=WITHIN_LIMITS_CHECK, passed=found.empty, severity=dg.AssetCheckSeverity.WARN, metadata=metadata
    )
