"""drift_retraining_sensor: a batch of predictions that drifted from the training baseline starts
a retraining run (Model Monitor's alarm wired to the training pipeline).

A sensor, not an automation condition: the signal is a metadata value of a downstream asset's
materialization (batch_predictions' drift_detected), which no condition on the training assets
can read, and its run key names the drifted content so the same drift never retrains twice."""

import dagster as dg


@dg.asset_sensor(
    asset_key=dg.AssetKey("batch_predictions"),
    job_name="retraining_job",  # sentiment_assets/defs/jobs.py
    name="drift_retraining_sensor",
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Retrain when a batch_predictions partition reports drift_detected (review length, "
    "category mix, vocabulary or predicted classes past their thresholds).",
)
def drift_retraining_sensor(
    context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry
) -> dg.RunRequest | dg.SkipReason:
    materialization = asset_event.asset_materialization
    if materialization is None:  # an asset sensor is called for materializations only
        return dg.SkipReason("batch_predictions: an event without a materialization")
    drift = materialization.metadata.get("drift_detected")
    if drift is None or not drift.value:
        return dg.SkipReason(f"batch_predictions {materialization.partition}: no drift")
    drifted = materialization.metadata.get("drifted")
    context.log.info("drift in partition %s: %s", materialization.partition, drifted.value if drifted else "?")
    # Keyed by the partition's content, not the run: retraining re-scores the partition, and the
    # same drifted data must not start retraining again and again.
    fingerprint = materialization.metadata.get("reviews_fingerprint")
    return dg.RunRequest(
        run_key=f"drift-{materialization.partition}-{fingerprint.value if fingerprint else asset_event.run_id}",
        tags={"sentiment/trigger": "drift", "sentiment/partition": str(materialization.partition)},
    )
