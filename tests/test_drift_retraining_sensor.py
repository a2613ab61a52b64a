"""The drift sensor, driven the way Dagster drives it: materializations in an instance, a tick."""

import dagster as dg

from sentiment_assets.defs.deploy_manage.drift_sensor import drift_retraining_sensor


def _tick(instance: dg.DagsterInstance, cursor: str | None = None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor)
    return drift_retraining_sensor.evaluate_tick(context)


def _predictions_materialized(instance: dg.DagsterInstance, partition: str, drifted: list[str]) -> None:
    instance.report_runless_asset_event(
        dg.AssetMaterialization(
            asset_key="batch_predictions",
            partition=partition,
            metadata={"drift_detected": bool(drifted), "drifted": dg.MetadataValue.json(drifted)},
        )
    )


def test_a_drifted_partition_requests_a_retraining_run():
    with dg.instance_for_test() as instance:
        _predictions_materialized(instance, "new_file.csv", ["category_mix_psi"])
        result = _tick(instance)
    assert result.run_requests is not None, result.skip_message
    [request] = result.run_requests
    assert request.tags["sentiment/trigger"] == "drift" and request.tags["sentiment/partition"] == "new_file.csv"
    assert drift_retraining_sensor.job_name == "retraining_job"


def test_a_partition_without_drift_is_skipped_and_each_materialization_is_seen_once():
    with dg.instance_for_test() as instance:
        _predictions_materialized(instance, "calm.csv", [])
        first = _tick(instance)
        assert first.run_requests == [] and "no drift" in (first.skip_message or "")
        second = _tick(instance, cursor=first.cursor)
        assert second.run_requests == []
        _predictions_materialized(instance, "stormy.csv", ["oov_rate"])
        third = _tick(instance, cursor=first.cursor)
    assert third.run_requests is not None, third.skip_message
    assert [r.tags["sentiment/partition"] for r in third.run_requests] == ["stormy.csv"]


def test_the_run_key_names_the_partition_content_so_rescoring_the_same_drift_cannot_retrain_twice():
    with dg.instance_for_test() as instance:
        for _ in range(2):  # scored, retrained, re-scored: same reviews, same drift
            instance.report_runless_asset_event(
                dg.AssetMaterialization(
                    asset_key="batch_predictions",
                    partition="march.csv",
                    metadata={"drift_detected": True, "reviews_fingerprint": "abc123"},
                )
            )
        result = _tick(instance)
    assert result.run_requests is not None, result.skip_message
    assert {r.run_key for r in result.run_requests} == {"drift-march.csv-abc123"}
