"""batch_predictions: the champion scores every cleaned review (SageMaker batch transform)."""


import dagster as dg
import mlflow

from resources import DuckDBWarehouse, MlflowResource
from sentiment_assets.approval import CHAMPION_ALIAS
from sentiment_assets.scoring import score_in_chunks
from sentiment_assets.timestamps import naive_utc

GROUP = "deploy_manage"
COVERAGE_CHECK = "every_cleaned_review_scored_once"


class BatchPredictionsConfig(dg.Config):
    chunk_size: int = 4096  # reviews held in memory at a time


@dg.asset(
    group_name=GROUP,
    kinds={"python", "mlflow", "duckdb"},
    deps=["registered_model", "cleaned_reviews"],
    check_specs=[dg.AssetCheckSpec(COVERAGE_CHECK, asset="batch_predictions", blocking=True,
                                   description="One prediction per cleaned review, none missing, none extra.")],
)
def batch_predictions(
    context: dg.AssetExecutionContext,
    config: BatchPredictionsConfig,
    warehouse: DuckDBWarehouse,
    mlflow_tracking: MlflowResource,
) -> dg.MaterializeResult:
    """Every cleaned review with the champion model's predicted sentiment (-1/0/1), the
    probability of that prediction and the model version that made it."""
    client = mlflow_tracking.client()
    name = mlflow_tracking.registered_model_name
    try:
        champion = client.get_model_version_by_alias(name, CHAMPION_ALIAS)
    except mlflow.exceptions.MlflowException as error:
        raise dg.Failure(f"no '{CHAMPION_ALIAS}' version of {name} to score with: materialize registered_model "
                         f"with a model that passes the accuracy gate first ({error})") from error
    model = mlflow.pyfunc.load_model(f"models:/{name}@{CHAMPION_ALIAS}").unwrap_python_model().model
    reviews = warehouse.read_table("cleaned_reviews", ["review_id", "review_body"])
    scored_at = naive_utc()

    def chunks():
        for done, chunk in enumerate(score_in_chunks(reviews, model.predict_proba, config.chunk_size), start=1):
            context.log.info("scored %d / %d reviews", min(done * config.chunk_size, len(reviews)), len(reviews))
            yield chunk.assign(model_name=name, model_version=int(champion.version), scored_at=scored_at)

    written = warehouse.write_table_in_chunks("batch_predictions", chunks())
    coverage = warehouse.query(
        "SELECT count(*) AS reviews, count(p.review_id) AS scored, "
        "(SELECT count(*) - count(DISTINCT review_id) FROM batch_predictions) AS duplicated "
        "FROM cleaned_reviews c LEFT JOIN (SELECT DISTINCT review_id FROM batch_predictions) p USING (review_id)"
    ).iloc[0]
    distribution = warehouse.query(
        "SELECT predicted_label, count(*) AS n FROM batch_predictions GROUP BY 1 ORDER BY 1"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": written,
            "table": "batch_predictions",
            "model_version": int(champion.version),
            "predicted_label_counts": dg.MetadataValue.json(dict(zip(distribution["predicted_label"].astype(str), distribution["n"].astype(int)))),
            "mean_probability": float(warehouse.query("SELECT avg(probability) AS p FROM batch_predictions")["p"].iloc[0]),
        },
        check_results=[dg.AssetCheckResult(
            check_name=COVERAGE_CHECK,
            passed=bool(coverage["scored"] == coverage["reviews"] and coverage["duplicated"] == 0 and written == coverage["reviews"]),
            metadata={k: int(v) for k, v in coverage.items()} | {"rows_written": written},
        )],
    )
