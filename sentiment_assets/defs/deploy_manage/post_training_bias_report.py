"""post_training_bias_report: does the champion treat product categories differently?

fairlearn, scikit-learn and MLflow are imported when the asset runs, not when the code location
loads."""

import json

import dagster as dg
import pandas as pd

from resources import ArtifactStore, MlflowResource, Warehouse
from sentiment_assets.bias.thresholds import breaches
from sentiment_assets.defs.automation_conditions import follow_upstream
from sentiment_assets.defs.bias_settings import BiasSettings
from sentiment_assets.defs.metadata import frame_markdown
from sentiment_assets.features.training_splits import read_split
from sentiment_assets.registry.approval import CHAMPION_ALIAS

GROUP = "deploy_manage"
WITHIN_LIMITS_CHECK = "posttraining_bias_within_limits"


def _test_reviews_with_facets(warehouse: Warehouse, settings: BiasSettings) -> pd.DataFrame:
    facets = [c for c in dict.fromkeys([settings.facet, settings.group]) if c]
    facet_values = settings.read_facets(
        warehouse, lambda: warehouse.read_table("cleaned_reviews", ["review_id", *facets])
    )
    return read_split(warehouse, "test").merge(facet_values, on="review_id", how="left", validate="one_to_one")


@dg.asset(
    group_name=GROUP,
    kinds={"python", "mlflow"},
    deps=["registered_model", "model_evaluation"],
    automation_condition=follow_upstream(),
    check_specs=[
        dg.AssetCheckSpec(
            WITHIN_LIMITS_CHECK,
            asset="post_training_bias_report",
            description="No post-training metric of the champion crosses its warning limit.",
        )
    ],
)
def post_training_bias_report(
    config: BiasSettings, warehouse: Warehouse, artifacts: ArtifactStore, mlflow_tracking: MlflowResource
) -> dg.MaterializeResult:
    """Clarify's post-training bias metrics (DPPL, DI, DCA, DCR, RD, DAR, DRR, AD, TE, ...) of the
    champion's predictions on the test split, per facet value, and fairlearn's accuracy, recall
    and selection rate by category with demographic-parity and equalized-odds differences.
    Test reviews without a facet value are left out; with fewer than two facet values the bias
    is not measurable, which the report says (and the check passes with that note)."""
    from sentiment_assets.bias.analysis_json import analysis_json
    from sentiment_assets.bias.markdown import markdown_report
    from sentiment_assets.bias.population import bias_population
    from sentiment_assets.bias.report import posttraining_report
    from sentiment_assets.models.mlflow_model import load_logged_model

    mlflow_tracking.activate()
    name = mlflow_tracking.registered_model_name
    champion = mlflow_tracking.client().get_model_version_by_alias(name, CHAMPION_ALIAS)
    test = _test_reviews_with_facets(warehouse, config)
    model = load_logged_model(f"models:/{name}@{CHAMPION_ALIAS}")
    test["predicted_label"] = model.predict(test[["review_body"]])["predicted_label"].to_numpy()

    population = bias_population(test, config.facet, "sentiment", **config.split())
    report = posttraining_report(
        population.frame,
        config.facet,
        "sentiment",
        "predicted_label",
        config.positive_label_values,
        group=config.group,
        **config.split(),
    )
    limits = config.bias_thresholds()
    artifacts.write_json("bias/analysis_post_training.json", analysis_json(post=[report]))
    notes = [population.left_out()] if population.measurable else [f"**{population.note()}**", population.left_out()]
    markdown = markdown_report(
        f"Post-training bias of {name} v{champion.version}: {config.facet}",
        [("Champion on the test split", report)],
        limits,
        notes,
    )
    markdown_path = artifacts.path("bias", "post_training_bias_report.md")
    markdown_path.write_text(markdown)
    table = report.clarify.assign(facet=config.facet, model_version=int(champion.version))
    warehouse.write_table(
        "post_training_bias_report", table.astype({"value_or_threshold": "string", "facet": "string"})
    )
    found = breaches(report.clarify.drop(columns=["n_d", "n_a"], errors="ignore"), limits)

    fairness = report.fairness
    fairness_metadata = (
        {}
        if fairness is None
        else {
            "fairlearn_by_group": frame_markdown(fairness.by_group.reset_index()),
            # Differences between groups mean nothing with a single group: left out then.
            **(
                {}
                if not population.measurable
                else {
                    "demographic_parity_difference": float(fairness.demographic_parity_difference),
                    "equalized_odds_difference": float(fairness.equalized_odds_difference),
                }
            ),
        }
    )
    check_metadata: dict[str, dg.MetadataValue] = {
        "breaches": dg.MetadataValue.json(json.loads(found.to_json(orient="records") or "[]"))
    }
    if not population.measurable:
        check_metadata["note"] = dg.MetadataValue.text(population.note())
    return dg.MaterializeResult(
        metadata={
            "model_version": int(champion.version),
            "test_reviews": len(test),
            "facet": config.facet,
            "facet_values": population.facet_values,
            "bias_measurable": population.measurable,
            "note": population.note(),
            "rows_without_facet": population.rows_without_facet,
            "rows_without_label": population.rows_without_label,
            **fairness_metadata,
            "report": dg.MetadataValue.md(markdown),
            "analysis_json": dg.MetadataValue.path(str(artifacts.path("bias", "analysis_post_training.json"))),
            "report_markdown": dg.MetadataValue.path(str(markdown_path)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=WITHIN_LIMITS_CHECK,
                passed=found.empty,
                severity=dg.AssetCheckSeverity.WARN,
                metadata=check_metadata,
            )
        ],
    )
