"""model_evaluation: the tuned model, as logged to MLflow, scored on the held-out test split.

MLflow, scikit-learn and matplotlib are imported when the asset runs, not when the code location
loads."""

from dataclasses import asdict

import dagster as dg
import pandas as pd

from resources import ArtifactStore, MlflowResource, Warehouse
from sentiment_assets.defs.automation_conditions import follow_upstream
from sentiment_assets.defs.feature_reads import read_holdout
from sentiment_assets.defs.metadata import frame_markdown, png_markdown
from sentiment_assets.features.training_splits import read_split
from sentiment_assets.labels import label_id_from_sentiment
from sentiment_assets.models.calibration_error import ece_if_calibrated, expected_calibration_error, reliability_table
from sentiment_assets.models.evaluation_record import Evaluation
from sentiment_assets.models.model_card import TunedModelCard

GROUP = "deploy_manage"
TEST_PREDICTIONS_TABLE = "test_predictions"


def holdout_calibration_error(model, holdout_reviews: pd.DataFrame) -> float | None:
    """ECE of the served (calibrated) probabilities on the user's holdout files; None without any.
    Usually the largest labelled set the model never saw, so the least noisy calibration figure."""
    from sentiment_assets.scoring.batch import PROBABILITY_COLUMNS

    if holdout_reviews.empty:
        return None
    predictions = model.predict(holdout_reviews[["review_body"]].reset_index(drop=True))
    return expected_calibration_error(
        predictions[PROBABILITY_COLUMNS].to_numpy(),
        holdout_reviews["label_id"].to_numpy(),
        predicted=given_labels(predictions),
    )


def given_labels(predictions: pd.DataFrame):
    """The label id each prediction gives (its probability is what calibration is judged on)."""
    return label_id_from_sentiment(predictions["predicted_label"].to_numpy())


@dg.asset(
    group_name=GROUP,
    kinds={"python", "mlflow"},
    deps=["tuned_model", "holdout_reviews"],
    # A new holdout file is judged at the next evaluation: evaluating at once would register the
    # same model again and re-score every file.
    automation_condition=follow_upstream(ignoring=dg.AssetSelection.assets("holdout_reviews")),
)
def model_evaluation(
    warehouse: Warehouse, artifacts: ArtifactStore, mlflow_tracking: MlflowResource
) -> dg.MaterializeResult:
    """How well the tuned model does on reviews it never saw: the test split (accuracy, macro-F1,
    per-class precision/recall, the confusion matrix, how calibrated its probabilities are),
    every `holdout` file the user kept back, each on its own with its size, and the two
    baselines it must beat (majority class; TF-IDF + logistic regression) trained on the same
    rows. The registry gate reads this."""
    import mlflow

    from sentiment_assets.analysis.plots import confusion_matrix_heatmap, reliability_diagram
    from sentiment_assets.models.baselines import compare_with_baselines
    from sentiment_assets.models.evaluation import evaluate_predictions
    from sentiment_assets.models.holdout import holdout_scores, pooled
    from sentiment_assets.models.mlflow_model import load_logged_model, pyfunc_label_ids
    from sentiment_assets.scoring.batch import PROBABILITY_COLUMNS

    mlflow_tracking.activate()
    card = TunedModelCard.load(artifacts)
    test = read_split(warehouse, "test")
    # Score through the logged pyfunc model: what gets registered is exactly what is evaluated.
    model = load_logged_model(card.model_uri)
    predictions = model.predict(test[["review_body"]])
    y_pred = given_labels(predictions)
    holdout_reviews = read_holdout(warehouse)
    holdout = holdout_scores(pyfunc_label_ids(model), holdout_reviews)
    probabilities = predictions[PROBABILITY_COLUMNS].to_numpy()
    reliability = reliability_table(probabilities, test["label_id"].to_numpy(), predicted=y_pred)
    evaluation = Evaluation.from_dict(
        {
            **evaluate_predictions(test["label_id"].to_numpy(), y_pred),
            "model_uri": card.model_uri,
            "run_id": card.run_id,
            "family": card.family,
            "holdout": holdout.to_dict(orient="records"),
            "ece": expected_calibration_error(probabilities, test["label_id"].to_numpy(), predicted=y_pred),
            "ece_if_calibrated": ece_if_calibrated(probabilities, predicted=y_pred)[0],
            "holdout_ece": holdout_calibration_error(model, holdout_reviews),
            "calibration": asdict(card.calibration),
            "baselines": compare_with_baselines(read_split(warehouse, "train"), test, y_pred),
        },
        "model_evaluation's result",
    )
    heatmap = confusion_matrix_heatmap(evaluation.confusion_matrix, evaluation.class_names)
    diagram = reliability_diagram(reliability, evaluation.ece)

    # Kept per review so post-training bias can slice the same predictions by any facet.
    warehouse.write_table(
        TEST_PREDICTIONS_TABLE,
        predictions.assign(
            review_id=test["review_id"].to_numpy(), sentiment=test["sentiment"].to_numpy(), model_uri=card.model_uri
        ),
    )
    evaluation_path = evaluation.save(artifacts)  # registered_model's promotion gate reads it
    heatmap_path = artifacts.write_bytes("evaluation/confusion_matrix.png", heatmap)
    diagram_path = artifacts.write_bytes("evaluation/reliability_diagram.png", diagram)
    with mlflow.start_run(run_id=card.run_id):
        mlflow.log_metrics(evaluation.test_metrics())
        if evaluation.holdout_ece is not None:
            mlflow.log_metric("holdout_ece", evaluation.holdout_ece)
        mlflow.log_metrics(evaluation.baseline_metrics())
        overall = pooled(holdout)
        if overall:
            mlflow.log_metrics({f"holdout_{k}": float(v) for k, v in overall.items()})
        mlflow.log_artifact(str(evaluation_path), artifact_path="evaluation")
        mlflow.log_artifact(str(heatmap_path), artifact_path="evaluation")
        mlflow.log_artifact(str(diagram_path), artifact_path="evaluation")
    return dg.MaterializeResult(
        metadata={
            "test_accuracy": evaluation.accuracy,
            "test_macro_f1": evaluation.macro_f1,
            "test_balanced_accuracy": evaluation.balanced_accuracy,
            "test_reviews": evaluation.n_reviews,
            "per_class": dg.MetadataValue.json({name: asdict(scores) for name, scores in evaluation.per_class.items()}),
            "holdout": frame_markdown(holdout, floatfmt=".3f") if len(holdout) else "no holdout file landed",
            "test_ece": evaluation.ece,
            "test_ece_if_perfectly_calibrated": evaluation.ece_if_calibrated,
            **({"holdout_ece": evaluation.holdout_ece} if evaluation.holdout_ece is not None else {}),
            "reliability_diagram": png_markdown(diagram, "Reliability: accuracy against confidence (test split)"),
            "baselines": frame_markdown(
                pd.DataFrame(evaluation.baselines).T.rename_axis("baseline").reset_index(), floatfmt=".3f"
            ),
            "confusion_matrix": png_markdown(heatmap, "Confusion matrix (rows: true, columns: predicted)"),
            "evaluation_json": dg.MetadataValue.path(str(evaluation_path)),
            "family": card.family,
            "test_predictions_table": TEST_PREDICTIONS_TABLE,
        }
    )
