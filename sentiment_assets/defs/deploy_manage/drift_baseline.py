"""drift_baseline: what the model was trained on, summarised, for the drift checks to compare with."""

import dagster as dg

from resources import ArtifactStore, Warehouse
from sentiment_assets.defs.automation_conditions import nightly_retraining

GROUP = "deploy_manage"


@dg.asset(
    group_name=GROUP,
    kinds={"python", "duckdb"},
    deps=["training_reviews"],
    # Moves with training (at night, when its input changed), so drift is measured against what
    # the current model learned from.
    automation_condition=nightly_retraining(),
)
def drift_baseline(warehouse: Warehouse, artifacts: ArtifactStore) -> dg.MaterializeResult:
    """The training population in numbers -- review length bins, category mix, vocabulary and its
    out-of-vocabulary rate, sentiment shares -- against which every batch of predictions is checked
    for data drift and prediction drift (SageMaker Model Monitor's baseline job).

    Built from the unbalanced training slice: the reviews that arrive in production look like
    it, not like the class-balanced sample the model was fitted on."""
    from sentiment_assets.monitoring import DriftBaseline  # with SciPy: when it runs
    from sentiment_assets.monitoring.baseline_file import save_drift_baseline

    reviews = warehouse.read_table("training_reviews", ["review_body", "product_category", "sentiment"])
    baseline = DriftBaseline.from_training(reviews)
    path = save_drift_baseline(artifacts, baseline)  # batch_predictions checks every partition against it
    return dg.MaterializeResult(
        metadata={
            "reviews": baseline.reviews,
            "vocabulary_size": len(baseline.vocabulary),
            "oov_rate": baseline.oov_rate,
            "class_shares": dg.MetadataValue.json({str(k): v for k, v in baseline.class_shares.items()}),
            "category_shares": dg.MetadataValue.json(baseline.category_shares),
            "path": dg.MetadataValue.path(str(path)),
        }
    )
