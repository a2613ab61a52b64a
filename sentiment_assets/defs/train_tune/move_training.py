"""move_finetuned_minilm: move a running (or interrupted) finetuned_minilm training to another
machine, launched from the UI with config: stop it at its next step boundary, wait for that
step's checkpoint and copy the checkpoints (and segments) to where the target trains.

Once the checkpoints are copied, `move_relaunch_sensor` starts finetuned_minilm again with the
moved run's config (the job's `finetune`), where this deployment trains (e.g. the aws profile's
GPU pod, whose checkpoints are `s3://<bucket>/training/<run key>/checkpoints`): its run key
(same config, same data) names the copied location, so it resumes from the copied step, and its
metadata shows every segment. `relaunch: false` only stops and copies. `sentiment-assets move`
does the same from a shell, starting the entry point itself (training/move.py, move_command.py).
"""

from typing import Any

import dagster as dg
from dagster_aws.s3 import S3Resource

from sentiment_assets.defs.train_tune.finetuned_minilm import FinetunedMinilmConfig
from sentiment_assets.models.checkpoints import checkpoint_store_from_uri
from sentiment_assets.models.segments import segments_table
from sentiment_assets.training.move import move_checkpoints


class MoveTrainingConfig(dg.Config):
    # The run's checkpoints: artifacts/checkpoints/finetuned_minilm/<run key> on the local
    # profile (the asset's `checkpoints` metadata names it), or an s3:// prefix.
    source: str
    # Where the target trains into: for the aws profile's pod s3://<bucket>/training/<run key>/checkpoints.
    target: str
    after_step: int = 0  # stop once this many steps are done (0: at the next step boundary)
    interrupted: bool = False  # no run is training into `source`: move its newest checkpoint
    wait_seconds: float = 600.0
    # Start finetuned_minilm again once copied (move_relaunch_sensor), with the moved run's own
    # config: another config is another run key, which names another location and starts over.
    relaunch: bool = True
    finetune: FinetunedMinilmConfig = FinetunedMinilmConfig()


@dg.op
def stop_and_copy_checkpoints(
    context: dg.OpExecutionContext, config: MoveTrainingConfig, s3: S3Resource
) -> dg.Output[int]:
    """The step the moved run resumes from, with the steps copied and the segments so far."""
    # S3 through the profile's resource, as every other asset reaches it (its endpoint, its region).
    stores = [
        checkpoint_store_from_uri(uri, s3.get_client() if uri.startswith("s3://") else None)
        for uri in (config.source, config.target)
    ]
    moved = move_checkpoints(
        *stores,
        after_step=config.after_step,
        interrupted=config.interrupted,
        wait_seconds=config.wait_seconds,
    )
    context.log.info(f"stopped at step {moved.step}; checkpoints {moved.copied_steps} copied to {moved.target}")
    return dg.Output(
        moved.step,
        metadata={
            "resumes_from_step": moved.step,
            "copied_steps": dg.MetadataValue.json(moved.copied_steps),
            "target": moved.target,
            "segments": dg.MetadataValue.md(segments_table(moved.segments)),
        },
    )


@dg.job(
    description="Stop a running finetuned_minilm training at a step boundary and copy its checkpoints to the "
    "target's location (config: source, target); materializing finetuned_minilm there resumes it."
)
def move_finetuned_minilm():
    stop_and_copy_checkpoints()


relaunch_finetuned_minilm = dg.define_asset_job(
    "relaunch_finetuned_minilm",
    selection=["finetuned_minilm"],
    description="finetuned_minilm started again after a move: it resumes from the copied checkpoints.",
)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[move_finetuned_minilm],
    request_job=relaunch_finetuned_minilm,
    # Running by default: it only ever acts on a move someone started, which expects the relaunch.
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After move_finetuned_minilm succeeds, start finetuned_minilm with the moved run's config.",
)
def move_relaunch_sensor(context: dg.RunStatusSensorContext) -> dg.RunRequest | dg.SkipReason:
    """One relaunch per successful move (keyed by the move's run id), with its `finetune` config."""
    run_config: dict[str, Any] = dict(context.dagster_run.run_config)
    moved: dict[str, Any] = run_config.get("ops", {}).get("stop_and_copy_checkpoints", {}).get("config", {})
    if not moved.get("relaunch", True):
        return dg.SkipReason(f"move run {context.dagster_run.run_id} asked for no relaunch")
    return dg.RunRequest(
        run_key=context.dagster_run.run_id,
        run_config={"ops": {"finetuned_minilm": {"config": moved.get("finetune", {})}}},
        tags={"sentiment_assets/moved_by_run": context.dagster_run.run_id},
    )
