"""Human review (Amazon A2I's loop): uncertain predictions wait for a person, whose labels flow
back into the training data. Thin wrappers over sentiment_assets.scoring.review_queue, imported
when they run (it loads the scoring stack: MLflow, scikit-learn)."""

from typing import Literal

import dagster as dg

from resources import Warehouse
from sentiment_assets.defs.automation_conditions import follow_upstream
from sentiment_assets.defs.ingest_analyze.partitions import review_files
from sentiment_assets.defs.metadata import frame_markdown

GROUP = "deploy_manage"


class ReviewQueueConfig(dg.Config):
    threshold: float = 0.90  # predictions less sure than this go to a person
    # Instead of a probability: the share of this file's predictions a person should see (e.g.
    # 0.1 queues the least sure 10%); the threshold is then that quantile of the probabilities.
    target_share: float | None = None


@dg.asset(
    group_name=GROUP,
    kinds={"python", "duckdb"},
    deps=["batch_predictions"],
    partitions_def=review_files,
    automation_condition=follow_upstream(),
)
def review_queue(
    context: dg.AssetExecutionContext, config: ReviewQueueConfig, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Predictions of this partition the model was unsure of (probability below the threshold),
    queued for a person to label with `sentiment-assets review` or human_review_job.
    Re-running adds only what is new; decided items keep their label."""
    from sentiment_assets.scoring.review_queue import (
        enqueue_low_confidence,
        items_by_status,
        list_items,
        threshold_for_share,
    )

    key = context.partition_key
    predictions = warehouse.read_table("batch_predictions", ["probability"], where={"source_partition": key})
    probabilities = predictions["probability"].tolist()
    threshold = (
        threshold_for_share(probabilities, config.target_share) if config.target_share is not None else config.threshold
    )
    added = enqueue_low_confidence(warehouse, threshold=threshold, partition=key)
    pending = list_items(warehouse, status="pending", limit=10)
    counts = items_by_status(warehouse)
    below = sum(p < threshold for p in probabilities)
    return dg.MaterializeResult(
        metadata={
            "added": added,
            "threshold": threshold,
            "predictions_in_file": len(probabilities),
            # With calibrated probabilities this is the share of the file a person has to read.
            "queued_share": round(below / len(probabilities), 4) if probabilities else 0.0,
            "items_by_status": dg.MetadataValue.json(counts),
            "least_sure_pending": frame_markdown(
                pending[["review_id", "predicted_label", "probability", "review_body"]].assign(
                    review_body=pending["review_body"].str.slice(0, 80)
                )
            ),
        }
    )


# No automation condition: people label at their own pace and materialize this (or everything_job)
# when they want their labels to reach training.
@dg.asset(group_name=GROUP, kinds={"python", "duckdb"})
def human_labels(warehouse: Warehouse) -> dg.MaterializeResult:
    """The latest label a person gave each queued review, with who gave it and when. dbt's
    training_reviews prefers these over the source's labels, so the next training run learns
    from them (label_source = 'human'). Empty until someone labels."""
    from sentiment_assets.scoring.review_queue import refresh_human_labels

    rows = refresh_human_labels(warehouse)
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "table": "human_labels"})


class HumanReviewConfig(dg.Config):
    """`list` shows pending items; `label` records a person's label; `skip` sets an item aside."""

    action: Literal["list", "label", "skip"] = "list"
    review_id: str = ""
    label: str = ""  # -1/0/1 or negative/neutral/positive
    reviewer: str = ""
    note: str | None = None
    model_version: int | None = None  # needed only when several versions queued the review
    limit: int = 20


@dg.op
def review_queue_decision(context: dg.OpExecutionContext, config: HumanReviewConfig, warehouse: Warehouse) -> None:
    """List the queue, or record one decision about one item."""
    from sentiment_assets.scoring.review_queue import list_items, record_label, skip_item

    if config.action == "list":
        items = list_items(warehouse, status="pending", limit=config.limit)
        context.log.info(
            "%d pending item(s), least sure first:\n%s",
            len(items),
            items[["review_id", "model_version", "predicted_label", "probability", "review_body"]].to_string(
                index=False
            ),
        )
        return
    if config.action == "label":
        outcome = record_label(
            warehouse,
            config.review_id,
            config.label,
            config.reviewer,
            note=config.note,
            model_version=config.model_version,
        )
    else:
        outcome = skip_item(
            warehouse, config.review_id, config.reviewer, note=config.note, model_version=config.model_version
        )
    context.log.info("recorded: %s", outcome)


@dg.job(description="List the human review queue or record a label (config: action, review_id, label, reviewer).")
def human_review_job():
    review_queue_decision()
