"""Moving a running fine-tune to a bigger machine without losing work, on the bundled MiniLM
(64 reviews, 24 tokens, batches of 16: 4 steps an epoch, 8 in all), checkpoints moved from a
local directory to S3 (moto's server on loopback). The "bigger machine" is a second process on
this CPU; both machines train on "cpu", so the weights can be compared bit for bit.

The stop is deterministic: it is asked for step 3 before the small machine starts (the STOP
marker says after_step=3), so the run stops mid-epoch after step 3 whatever the timing."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from aws_stand_ins import PodOnThisMachine, launcher_with_pod_here
from dagster_aws.s3 import S3Resource
from loopback_aws import credentials, fresh_bucket
from tiny_bert import ONE_THREAD_ENV, imbalanced_reviews, toy_reviews, weights_equal
from transformers import AutoModelForSequenceClassification

from resources.remote_training import RemoteTrainingResource
from resources.training_launcher import SubprocessTrainingLauncher
from sentiment_assets.models.checkpoints import STOP_NAME, LocalCheckpointStore, checkpoint_store_from_uri
from sentiment_assets.models.debugger_rule_names import RULE_NAMES
from sentiment_assets.models.finetune_config import FineTuneConfig
from sentiment_assets.models.segments import contiguous, read_segments
from sentiment_assets.models.transformer import TransformerClassifier
from sentiment_assets.training.move import move_checkpoints, request_stop
from sentiment_assets.training.transformer_job import EXIT_STOPPED

BUCKET = "move-training"
RUN_KEY = "run-1"
STEPS, STOP_AT = 8, 3
SCRIPT = Path(sys.executable).parent / "sentiment-assets"
CONFIG = FineTuneConfig(
    max_seq_length=24, batch_size=16, epochs=2, learning_rate=1e-4, checkpoint_every_steps=2, log_every_steps=1
)

pytestmark = pytest.mark.usefixtures("torch_on_one_thread")


@pytest.fixture(scope="module")
def bucket(s3_endpoint):
    """An empty bucket; the test credentials and endpoint, and one torch thread, in the
    environment every training process inherits (as a pod gets them from its role and spec)."""
    import boto3

    with pytest.MonkeyPatch.context() as env:
        for name, value in {**credentials(endpoint=s3_endpoint), **ONE_THREAD_ENV}.items():
            env.setenv(name, value)
        client = boto3.client("s3")
        with fresh_bucket(client, BUCKET):
            yield client


@pytest.fixture(scope="module")
def splits():
    return imbalanced_reviews((12, 20, 32)), toy_reviews(per_class=4, seed=1)


@pytest.fixture(scope="module")
def uninterrupted(splits):
    """The reference: the same fine-tune in one go, in this process."""
    classifier = TransformerClassifier(CONFIG).fit(*splits)
    assert classifier.model is not None and classifier.steps == STEPS
    return classifier.model.state_dict()


def test_the_move_job_stops_the_run_in_its_source_and_copies_the_checkpoints_to_its_s3_target(bucket, tmp_path):
    from sentiment_assets.defs.train_tune.move_training import move_finetuned_minilm

    source = LocalCheckpointStore(tmp_path / "source")
    source.save(2, b"step 2")
    target = f"s3://{BUCKET}/job/checkpoints"
    config = {"source": str(source.directory), "target": target, "wait_seconds": 0.2}
    resources = {"s3": S3Resource()}  # the profiles' S3 resource, here the loopback server
    # Nothing is training into the source: the stop is never honoured, and the job says what to do.
    waited = move_finetuned_minilm.execute_in_process(
        run_config={"ops": {"stop_and_copy_checkpoints": {"config": config}}}, resources=resources, raise_on_error=False
    )
    assert not waited.success and "--interrupted" in str(waited.failure_data_for_node("stop_and_copy_checkpoints"))
    assert not source.stop_requested(100)  # the request was withdrawn

    moved = move_finetuned_minilm.execute_in_process(
        run_config={"ops": {"stop_and_copy_checkpoints": {"config": {**config, "interrupted": True}}}},
        resources=resources,
    )
    assert moved.output_for_node("stop_and_copy_checkpoints") == 2
    assert checkpoint_store_from_uri(target).load(2) == b"step 2"


def test_a_successful_move_relaunches_finetuned_minilm_with_the_moved_runs_config_unless_told_not_to(tmp_path):
    from sentiment_assets.defs.train_tune.move_training import (
        move_finetuned_minilm,
        move_relaunch_sensor,
        relaunch_finetuned_minilm,
    )

    LocalCheckpointStore(tmp_path / "source").save(2, b"step 2")
    moved_config = {"max_seq_length": 24, "batch_size": 16, "learning_rate": 1e-4}
    instance = dg.DagsterInstance.ephemeral()

    def evaluate(relaunch: bool):
        config = {"source": str(tmp_path / "source"), "target": str(tmp_path / f"target-{relaunch}")}
        config |= {"interrupted": True, "relaunch": relaunch, "finetune": moved_config}
        moved = move_finetuned_minilm.execute_in_process(
            run_config={"ops": {"stop_and_copy_checkpoints": {"config": config}}},
            resources={"s3": S3Resource()},
            instance=instance,
        )
        context = dg.build_run_status_sensor_context(
            sensor_name=move_relaunch_sensor.name,
            dagster_event=moved.get_run_success_event(),
            dagster_instance=instance,
            dagster_run=moved.dagster_run,
        )
        return moved.dagster_run.run_id, move_relaunch_sensor(context)

    run_id, request = evaluate(relaunch=True)
    _, skipped = evaluate(relaunch=False)

    assert move_relaunch_sensor.job_name == relaunch_finetuned_minilm.name
    assert isinstance(request, dg.RunRequest) and request.run_key == run_id
    assert request.run_config == {"ops": {"finetuned_minilm": {"config": moved_config}}}
    assert isinstance(skipped, dg.SkipReason)


def trained_weights(directory: Path) -> dict:
    return AutoModelForSequenceClassification.from_pretrained(directory).state_dict()


def launch_asset(name: str, launcher, splits, scratch: Path, local_checkpoints: Path, kept: dict):
    """An asset that fine-tunes through `launcher` as finetuned_minilm does; keeps the TrainingRun."""

    @dg.asset(name=name, check_specs=[dg.AssetCheckSpec(rule, asset=name) for rule in RULE_NAMES])
    def fine_tuned(context: dg.AssetExecutionContext):
        scratch.mkdir(parents=True, exist_ok=True)
        run = launcher.launch(
            context, CONFIG, *splits, scratch=scratch, run_key=RUN_KEY, local_checkpoints=local_checkpoints
        )
        kept["run"] = run
        yield from run.reported

    return fine_tuned


def test_a_fine_tune_moved_mid_epoch_to_a_bigger_machine_by_the_aws_launch_path_ends_with_the_uninterrupted_weights(
    bucket, splits, uninterrupted, tmp_path
):
    # The small machine: the local profile's launcher, checkpoints in a directory; asked to stop.
    small = LocalCheckpointStore(tmp_path / "small-checkpoints")
    stop = request_stop(small, after_step=STOP_AT)
    kept: dict = {}
    asset = launch_asset(
        "small_machine", SubprocessTrainingLauncher(), splits, tmp_path / "small", small.directory, kept
    )
    stopped = dg.materialize([asset], raise_on_error=False)
    assert not stopped.success and "run" not in kept  # nothing registered, nothing returned
    [failure] = [e for e in stopped.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    message = str(failure.step_failure_data.error)
    assert f"stopped after step {STOP_AT} when asked" in message and str(small.directory) in message

    # The move: wait for the stop (already honoured), copy to the prefix the aws launcher resumes from.
    pod = RemoteTrainingResource(image="training-image", bucket=BUCKET, device="cpu")
    target_uri = pod.locations(RUN_KEY).checkpoints
    moved = move_checkpoints(small, checkpoint_store_from_uri(target_uri), request=stop, wait_seconds=60)
    assert (moved.step, moved.copied_steps) == (STOP_AT, [2, STOP_AT])

    # The bigger machine: the aws profile's launch path (S3 inputs, pod spec, S3 outputs), its pod
    # a process here (PodOnThisMachine stands in for PipesK8sClient).
    pods = PodOnThisMachine()
    asset = launch_asset(
        "bigger_machine", launcher_with_pod_here(pods, pod), splits, tmp_path / "big", tmp_path / "unused", kept
    )
    finished = dg.materialize([asset])
    assert finished.success and len(pods.pod_specs) == 1
    assert weights_equal(trained_weights(kept["run"].output), uninterrupted)

    metrics = json.loads((kept["run"].output / "metrics.json").read_text())
    assert (metrics["resumed_from_step"], metrics["steps"]) == (STOP_AT, STEPS)
    segments = read_segments(checkpoint_store_from_uri(target_uri))
    assert [(s.start_step, s.end_step, s.stop_reason) for s in segments] == [
        (0, STOP_AT, "stop_requested"),
        (STOP_AT, STEPS, "completed"),
    ]
    assert contiguous(segments) and all(s.device == "cpu" and s.seconds > 0 for s in segments)
    [materialization] = finished.asset_materializations_for_node("bigger_machine")
    recorded = materialization.metadata["segments"]
    assert isinstance(recorded, dg.JsonMetadataValue) and isinstance(recorded.value, list)
    assert [s["end_step"] for s in recorded.value] == [STOP_AT, STEPS]


def test_sentiment_assets_move_stops_a_running_train_copies_it_to_s3_and_resumes_it_in_another_process(
    bucket, splits, uninterrupted, tmp_path
):
    train, valid = splits
    train.to_parquet(tmp_path / "train.parquet")
    valid.to_parquet(tmp_path / "valid.parquet")
    settings = [
        *("--set", f"max_seq_length={CONFIG.max_seq_length}", "--set", f"batch_size={CONFIG.batch_size}"),
        *("--set", f"epochs={CONFIG.epochs}", "--set", f"learning_rate={CONFIG.learning_rate}"),
        *("--set", "checkpoint_every_steps=2"),
    ]
    inputs = ["--train", str(tmp_path / "train.parquet"), "--valid", str(tmp_path / "valid.parquet"), *settings]
    small = tmp_path / "small-checkpoints"
    # `move` first, and the training once its stop request is written: the stop then lands at
    # step STOP_AT however fast either process starts (no race with the first steps).
    move = subprocess.Popen(
        [
            str(SCRIPT),
            "move",
            *("--from", str(small), "--to", f"s3://{BUCKET}/cli/checkpoints", "--device", "cpu"),
            *("--after-step", str(STOP_AT), "--wait-seconds", "300"),
            "--",
            *inputs,
            *("--output-dir", str(tmp_path / "big-out")),
        ],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    running = None
    try:
        deadline = time.monotonic() + 120
        while not (small / STOP_NAME).exists() and move.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert (small / STOP_NAME).exists(), "move wrote no stop request"
        running = subprocess.Popen(
            [str(SCRIPT), "train", *inputs, "--output-dir", str(tmp_path / "small-out"), "--checkpoints", str(small)],
            stderr=subprocess.PIPE,
            text=True,
        )
        move_out, move_err = move.communicate(timeout=600)
        _, small_log = running.communicate(timeout=60)
    finally:
        move.kill()
        if running is not None:
            running.kill()
    assert running is not None and running.returncode == EXIT_STOPPED, small_log[-3000:]
    assert "when asked (to be moved)" in small_log and not (tmp_path / "small-out").exists()
    assert move.returncode == 0, move_err[-3000:]
    assert f"checkpoints [2, {STOP_AT}] copied to s3://{BUCKET}/cli/checkpoints" in move_out
    assert f"resuming from step {STOP_AT}" in move_err

    assert weights_equal(trained_weights(tmp_path / "big-out"), uninterrupted)
    segments = read_segments(checkpoint_store_from_uri(f"s3://{BUCKET}/cli/checkpoints"))
    assert [(s.start_step, s.end_step) for s in segments] == [(0, STOP_AT), (STOP_AT, STEPS)] and contiguous(segments)
