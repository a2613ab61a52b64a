"""Data-parallel fine-tuning: `torchrun --nproc_per_node 2` of the training entry point on CPU
processes (gloo), launched through Dagster Pipes as the asset launches it, with its inputs,
outputs and checkpoints on S3 (moto's server on loopback) as in a training pod. On a tiny BERT.

Why two processes should end with one process's weights: `batch_size` is the global batch.
Both ranks draw the same seeded batches and each steps on half of every batch, its summed
class-weighted loss scaled by 2 / (the summed class weights of the whole batch); DDP averages the
two gradients, which gives the gradient of the whole batch's weighted mean loss, i.e. the single
process's gradient. The training reviews are imbalanced, so the (balanced) weights are not 1.
Clipping, AdamW and the schedule then see the same numbers on both ranks and in the single
process. Only float rounding differs (each half is padded to its own longest review, and a
gradient is summed in two parts), so the weights agree to ~1e-7, not bit for bit. Dropout is off
in this model: with it, each rank would draw its own masks for its half, and no tolerance would
hold.
"""

import json
import os
import subprocess

import numpy as np
import pandas as pd
import pytest
import torch
from loopback_aws import credentials, fresh_bucket
from tiny_bert import ONE_THREAD_ENV, imbalanced_reviews, make_tiny_bert, write_training_inputs
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from resources.remote_training import training_command
from sentiment_assets.models.batches import epoch_batches
from sentiment_assets.models.checkpoints import CHECKPOINT_NAME
from sentiment_assets.models.debugger_rule_names import RULE_NAMES
from sentiment_assets.models.distributed import World
from sentiment_assets.models.s3_io import download_directory
from sentiment_assets.training.transformer_job import OUTPUT_FILES, main

BUCKET = "ddp-training"  # moto's state is per process: no other test module's bucket
# 51 training reviews in global batches of 8: six of 8 and one of 3 per epoch. The odd one
# splits 2 + 1, so a rank's loss must weigh by the whole batch, not by its own half.
EPOCHS, STEPS_PER_EPOCH, REVIEWS = 2, 7, 51
CLASS_COUNTS = (7, 14, 30)  # of the 51: class weights 51 / (3 * n_c) = 2.43, 1.21, 0.57
RTOL, ATOL = 1e-5, 1e-6


pytestmark = pytest.mark.usefixtures("torch_on_one_thread")


@pytest.fixture(scope="module")
def bucket(s3_endpoint):
    """A versioned bucket: every put of a key is kept, so a key written by two ranks shows
    two versions. Test credentials for the loopback server, from the environment (which the
    torchrun workers inherit) as in production."""
    import boto3

    with pytest.MonkeyPatch.context() as env:
        for name, value in credentials(endpoint=s3_endpoint).items():
            env.setenv(name, value)
        client = boto3.client("s3")
        with fresh_bucket(client, BUCKET, versioned=True):
            yield client


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, bucket):
    """The tiny model (no dropout), training reviews as text and validation reviews as token ids,
    on disk and in the bucket."""
    root = tmp_path_factory.mktemp("inputs")
    model_dir = make_tiny_bert(root / "tiny-bert", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    write_training_inputs(root, model_dir, imbalanced_reviews(CLASS_COUNTS))
    for name in ("train", "valid"):
        bucket.upload_file(str(root / f"{name}.parquet"), BUCKET, f"input/{name}.parquet")
    return root, model_dir


def batch_sizes(root, model_dir, epoch: int) -> list[int]:
    """The sizes of an epoch's global batches, in the order the run steps on them."""
    texts = pd.read_parquet(root / "train.parquet")["review_body"].tolist()
    ids = AutoTokenizer.from_pretrained(model_dir)(texts, truncation=True, max_length=24)["input_ids"]
    lengths = np.array([len(i) for i in ids])
    return [len(batch) for batch in epoch_batches(lengths, 8, seed=42, epoch=epoch)]


def config_args(model_dir) -> list[str]:
    return [
        "--set",
        f"model_name_or_path={model_dir}",
        "--set",
        f"epochs={EPOCHS}",
        "--set",
        "max_seq_length=24",
        "--set",
        "batch_size=8",
        "--set",
        "learning_rate=1e-3",
        "--set",
        "checkpoint_every_steps=2",
    ]


def s3_args(model_dir, prefix: str) -> list[str]:
    return [
        "--train",
        f"s3://{BUCKET}/input/train.parquet",
        "--valid",
        f"s3://{BUCKET}/input/valid.parquet",
        *config_args(model_dir),
        "--output-dir",
        f"s3://{BUCKET}/{prefix}/output",
        "--checkpoints",
        f"s3://{BUCKET}/{prefix}/checkpoints",
    ]


@pytest.fixture(scope="module")
def ddp_run(inputs, bucket, tmp_path_factory):
    """Two ranks, started through Dagster Pipes with the command the asset uses; the outputs
    downloaded. Returns (materialize result, Dagster instance, local output directory)."""
    import dagster as dg

    command = training_command(2, s3_args(inputs[1], "ddp"))
    assert command[1:3] == ["-m", "torch.distributed.run"]

    @dg.asset(check_specs=[dg.AssetCheckSpec(name, asset="ddp_model") for name in RULE_NAMES])
    def ddp_model(context: dg.AssetExecutionContext, pipes: dg.PipesSubprocessClient):
        return pipes.run(command=command, context=context, env=ONE_THREAD_ENV).get_results()

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([ddp_model], instance=instance, resources={"pipes": dg.PipesSubprocessClient()})
    output = tmp_path_factory.mktemp("ddp-output")
    download_directory(f"s3://{BUCKET}/ddp/output", output)
    return result, instance, output


@pytest.fixture(scope="module")
def single_run(inputs, tmp_path_factory):
    """The same config in one process (this one), from the local copies of the inputs."""
    root, model_dir = inputs
    output = tmp_path_factory.mktemp("single-output")
    assert (
        main(
            [
                "--train",
                str(root / "train.parquet"),
                "--valid",
                str(root / "valid.parquet"),
                *config_args(model_dir),
                "--output-dir",
                str(output),
            ]
        )
        == 0
    )
    return output


def weights(directory) -> dict:
    return AutoModelForSequenceClassification.from_pretrained(directory).state_dict()


def debugger_record(directory) -> dict:
    return json.loads((directory / "debugger.json").read_text())


def test_two_processes_end_with_the_weights_of_one_process_stepping_on_the_same_global_batches(
    inputs, ddp_run, single_run
):
    result, _, ddp_output = ddp_run
    assert result.success
    two, one, initial = weights(ddp_output), weights(single_run), weights(inputs[1])
    assert two.keys() == one.keys()
    for name in one:
        assert torch.allclose(two[name], one[name], rtol=RTOL, atol=ATOL), name
    # Training moved the weights far more than the tolerance, so agreeing means something.
    assert max((one[k] - initial[k]).abs().max().item() for k in one) > 1e-3
    # The per-step record agrees too: the loss of the whole batch, the clipped-before norm.
    ddp_steps, single_steps = debugger_record(ddp_output)["steps"], debugger_record(single_run)["steps"]
    assert len(ddp_steps) == len(single_steps) == EPOCHS * STEPS_PER_EPOCH
    for ours, theirs in zip(ddp_steps, single_steps, strict=False):
        assert ours["samples"] == theirs["samples"]
        assert ours["loss"] == pytest.approx(theirs["loss"], rel=1e-5)
        assert ours["grad_norm"] == pytest.approx(theirs["grad_norm"], rel=1e-4)
    # Both weighted the loss with the balanced weights of all 51 labels.
    expected = {str(label): REVIEWS / (3 * n) for label, n in enumerate(CLASS_COUNTS)}
    for output in (ddp_output, single_run):
        metrics = json.loads((output / "metrics.json").read_text())
        assert metrics["class_weights"] == pytest.approx(expected)


def test_each_rank_stepped_on_its_own_half_of_every_batch_and_together_on_every_example(ddp_run, single_run):
    _, _, ddp_output = ddp_run
    # Per epoch rank 0 takes 4 of each batch of 8 and 2 of the 3, rank 1 the rest.
    assert debugger_record(ddp_output)["distributed"] == {
        "world_size": 2,
        "samples_seen_per_rank": [EPOCHS * 26, EPOCHS * 25],
    }
    assert debugger_record(single_run)["distributed"] == {"world_size": 1, "samples_seen_per_rank": [EPOCHS * REVIEWS]}
    assert json.loads((ddp_output / "metrics.json").read_text())["world_size"] == 2


def test_the_shards_of_every_batch_are_disjoint_and_together_are_the_epoch():
    lengths = np.random.default_rng(0).integers(3, 24, size=50)  # the last batch of 8 holds 2
    for size in (2, 3):
        for epoch in (1, 2):
            seen = []
            for batch in epoch_batches(lengths, 8, seed=42, epoch=epoch):
                shards = [World(rank=rank, size=size).shard(batch) for rank in range(size)]
                taken = [int(i) for shard in shards if shard.examples for i in shard.rows]
                assert sorted(taken) == sorted(batch.tolist())  # disjoint, and all of the batch
                # DDP averages over ranks: the weights make that the batch's mean loss.
                assert sum(s.loss_weight * s.examples for s in shards) / size == pytest.approx(1)
                seen += taken
            assert sorted(seen) == list(range(50))
    # A rank left without rows steps on a stand-in row that weighs nothing.
    stand_in = World(rank=2, size=3).shard(np.array([7, 9]))
    assert (stand_in.rows.tolist(), stand_in.loss_weight, stand_in.examples) == ([7], 0.0, 0)
    assert World().shard(np.array([4, 1, 3])).rows.tolist() == [4, 1, 3]  # one process: all


def test_only_rank_0_wrote_the_outputs_and_checkpoints_and_reported_to_dagster(ddp_run, bucket):
    result, instance, _ = ddp_run
    versions = bucket.list_object_versions(Bucket=BUCKET, Prefix="ddp/")["Versions"]
    puts: dict[str, int] = {}
    for version in versions:
        puts[version["Key"]] = puts.get(version["Key"], 0) + 1
    assert {f"ddp/output/{name}" for name in (*OUTPUT_FILES, "model.safetensors")} <= puts.keys()
    assert {f"ddp/checkpoints/{CHECKPOINT_NAME.format(step=s)}" for s in (2, 4, 6, 7, 12, 14)} <= puts.keys()
    assert set(puts.values()) == {1}, {k: n for k, n in puts.items() if n > 1}

    [materialization] = result.asset_materializations_for_node("ddp_model")
    assert materialization.metadata["world_size"].value == 2
    assert materialization.metadata["class_weights"].value == pytest.approx(
        {str(label): REVIEWS / (3 * n) for label, n in enumerate(CLASS_COUNTS)}
    )
    assert materialization.metadata["output_dir"].value == f"s3://{BUCKET}/ddp/output"
    checks = [e.check_name for e in result.get_asset_check_evaluations()]
    assert sorted(checks) == sorted(RULE_NAMES)  # each rule once: one process reported
    logged = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert sum(f"fine-tuning on {REVIEWS} examples" in message for message in logged) == 1


def test_two_ranks_resume_from_a_checkpoint_rank_0_wrote_and_end_with_the_uninterrupted_weights(
    inputs, ddp_run, bucket, tmp_path
):
    # A run that died after step 12, in epoch 2: only that checkpoint is there.
    checkpoint = CHECKPOINT_NAME.format(step=12)
    bucket.copy_object(
        Bucket=BUCKET,
        Key=f"resume/checkpoints/{checkpoint}",
        CopySource={"Bucket": BUCKET, "Key": f"ddp/checkpoints/{checkpoint}"},
    )
    resumed = subprocess.run(
        training_command(2, s3_args(inputs[1], "resume")),
        env={**os.environ, **ONE_THREAD_ENV},
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert resumed.stderr.count("resuming from step 12") == 1  # logged by rank 0 only

    download_directory(f"s3://{BUCKET}/resume/output", tmp_path)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert (metrics["resumed_from_step"], metrics["steps"]) == (12, EPOCHS * STEPS_PER_EPOCH)
    # Both ranks went on with the same batches, the last two of epoch 2, half each.
    rest = batch_sizes(*inputs, epoch=2)[STEPS_PER_EPOCH - 2 :]
    assert debugger_record(tmp_path)["distributed"]["samples_seen_per_rank"] == [
        sum((n + 1) // 2 for n in rest),
        sum(n // 2 for n in rest),
    ]
    uninterrupted, resumed_weights = weights(ddp_run[2]), weights(tmp_path)
    assert all(torch.equal(resumed_weights[k], uninterrupted[k]) for k in uninterrupted)
