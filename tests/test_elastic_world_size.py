"""Elastic world size: a fine-tune checkpointed by one process resumes under `torchrun
--nproc_per_node 2` (real processes on CPU, gloo) and the other way round, on a tiny BERT.

What carries across: the checkpoint counts *global* batches (`batch_size` is one optimizer step
over all processes), so its epoch, next batch, step and samples mean the same whatever the number
of processes; the weights and optimizer state are the same on every rank; nothing in the config
or data fingerprints names the world size, so neither refuses the resume. Every rank draws the
same seeded epoch of batches and takes its deterministic shard of each. RNG states are kept per
rank; a resume with the writer's world size takes each rank's own back, another world size takes
rank 0's on every rank (`rng_states.py`).

Why a tolerance and which: across world sizes the steps are the same but a gradient is summed
in another order (two padded halves, then an all-reduce), so weights agree to float rounding,
not bit for bit. Measured on this setup (51 reviews, batches of 8, 14 steps, dropout off, the
model moving up to 6.8e-3 from its initial weights), max |difference| over all weights:
3.5e-8 (1 process stopped at step 4, 2 ranks on, vs 1 uninterrupted), 8.2e-8 (2 ranks stopped at
step 10, 1 process on, vs 1 uninterrupted; 3.9e-9 vs 2 uninterrupted), 7.8e-8 (2 uninterrupted
vs 1 uninterrupted). The tests assert allclose(rtol=1e-5, atol=1e-6), the distributed tests'
tolerance, 12x the largest difference measured, and that training moved
the weights by > 1e-3, 1000x atol. Dropout is off for those (each rank would draw masks for its
own half, and no tolerance holds); at one world size the resume is exact, dropout on.
"""

import json
import os
import subprocess

import numpy as np
import pandas as pd
import pytest
import torch
from tiny_bert import ONE_THREAD_ENV, imbalanced_reviews, make_tiny_bert, write_training_inputs
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from resources.remote_training import training_command
from sentiment_assets.models.batches import epoch_batches
from sentiment_assets.models.checkpoints import LocalCheckpointStore
from sentiment_assets.models.resume import load_checkpoint_state
from sentiment_assets.models.rng_states import rng_for_rank
from sentiment_assets.models.segments import contiguous, read_segments
from sentiment_assets.training.transformer_job import EXIT_STOPPED, main

EPOCHS, STEPS_PER_EPOCH = 2, 7  # 51 reviews in global batches of 8: six of 8 and one of 3
STEPS = EPOCHS * STEPS_PER_EPOCH
RTOL, ATOL = 1e-5, 1e-6  # see the module docstring: 12x the largest difference measured
MOVED = 1e-3  # training moves the weights by more than this (measured: 6.8e-3)

pytestmark = pytest.mark.usefixtures("torch_on_one_thread")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The training inputs and two tiny models: without dropout, and with BERT's default 0.1."""
    root = tmp_path_factory.mktemp("inputs")
    plain = make_tiny_bert(root / "no-dropout", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    dropout = make_tiny_bert(root / "dropout")
    write_training_inputs(root, plain, imbalanced_reviews((7, 14, 30)))
    return root, plain, dropout


def train_args(inputs, model_dir, run) -> list[str]:
    root = inputs[0]
    fields = [f"model_name_or_path={model_dir}", f"epochs={EPOCHS}", "max_seq_length=24", "batch_size=8"]
    fields += ["learning_rate=1e-3", "checkpoint_every_steps=0"]  # only the stop's checkpoint
    args = ["--train", str(root / "train.parquet"), "--valid", str(root / "valid.parquet")]
    for field in fields:
        args += ["--set", field]
    return [*args, "--output-dir", str(run / "output"), "--checkpoints", str(run / "checkpoints")]


def one_process(args: list[str]) -> int:
    """The entry point in this process (one torch thread, as the workers get)."""
    return main(args)


def two_processes(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        training_command(2, args), env={**os.environ, **ONE_THREAD_ENV}, capture_output=True, text=True
    )


def stopped_by_two_processes(args: list[str], step: int) -> None:
    """Rank 0 exits EXIT_STOPPED after checkpointing; torchrun reports any worker's nonzero
    status as its own failure (exit 1)."""
    stopped = two_processes(args)
    assert stopped.returncode != 0 and f"stopped after step {step} when asked" in stopped.stderr, stopped.stderr[-3000:]


def weights(run) -> dict:
    return AutoModelForSequenceClassification.from_pretrained(run / "output").state_dict()


def initial(model_dir) -> dict:
    return AutoModelForSequenceClassification.from_pretrained(model_dir).state_dict()


def record(run) -> dict:
    return json.loads((run / "output" / "debugger.json").read_text())


def metrics(run) -> dict:
    return json.loads((run / "output" / "metrics.json").read_text())


def batch_sizes(inputs) -> list[int]:
    """Every global batch's size, in the order the run steps on them (both epochs)."""
    root, model_dir, _ = inputs
    texts = pd.read_parquet(root / "train.parquet")["review_body"].tolist()
    ids = AutoTokenizer.from_pretrained(model_dir)(texts, truncation=True, max_length=24)["input_ids"]
    lengths = np.array([len(i) for i in ids])
    return [len(b) for epoch in range(1, EPOCHS + 1) for b in epoch_batches(lengths, 8, seed=42, epoch=epoch)]


@pytest.fixture(scope="module")
def one_uninterrupted(inputs, tmp_path_factory):
    run = tmp_path_factory.mktemp("one")
    assert one_process(train_args(inputs, inputs[1], run)) == 0
    return run


@pytest.fixture(scope="module")
def two_uninterrupted(inputs, tmp_path_factory):
    run = tmp_path_factory.mktemp("two")
    finished = two_processes(train_args(inputs, inputs[1], run))
    assert finished.returncode == 0, finished.stderr[-3000:]
    return run


def assert_close_to(resumed: dict, uninterrupted: dict, start: dict) -> None:
    assert resumed.keys() == uninterrupted.keys()
    for name in uninterrupted:
        assert torch.allclose(resumed[name], uninterrupted[name], rtol=RTOL, atol=ATOL), name
    # Training moved the weights by far more than the tolerance, so agreeing means something.
    assert max((uninterrupted[k] - start[k]).abs().max().item() for k in start) > MOVED


def assert_same_global_batches(resumed: dict, uninterrupted: dict) -> None:
    """Step by step, the resumed run's record (carried in the checkpoint) has the uninterrupted
    run's batch sizes and whole-batch losses."""
    ours, theirs = resumed["steps"], uninterrupted["steps"]
    assert [s["step"] for s in ours] == list(range(1, STEPS + 1))
    assert [s["samples"] for s in ours] == [s["samples"] for s in theirs]
    assert [s["loss"] for s in ours] == pytest.approx([s["loss"] for s in theirs], rel=1e-5)


def segments_of(run) -> list[tuple]:
    segments = read_segments(LocalCheckpointStore(run / "checkpoints"))
    assert contiguous(segments)
    return [(s.world_size, s.start_step, s.end_step, s.stop_reason) for s in segments]


def test_a_one_process_run_stopped_at_step_4_finishes_under_torchrun_with_two_ranks_close_to_the_uninterrupted_run(
    inputs, one_uninterrupted, tmp_path
):
    args = train_args(inputs, inputs[1], tmp_path)
    store = LocalCheckpointStore(tmp_path / "checkpoints")
    store.request_stop(after_step=4)  # mid-epoch 1
    assert one_process(args) == EXIT_STOPPED
    assert store.steps() == [4] and load_checkpoint_state(store.load(4), "here")["world_size"] == 1

    resumed = two_processes(args)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert resumed.stderr.count("resuming from step 4 (epoch 1, batch 4)") == 1  # rank 0's log only
    assert (metrics(tmp_path)["resumed_from_step"], metrics(tmp_path)["steps"]) == (4, STEPS)
    assert segments_of(tmp_path) == [(1, 0, 4, "stop_requested"), (2, 4, STEPS, "completed")]
    assert store.steps()[-1] == STEPS and load_checkpoint_state(store.load(STEPS), "here")["world_size"] == 2
    # The two ranks shared the batches after step 4, rank 0 taking rows 0, 2, 4, ... of each.
    rest = batch_sizes(inputs)[4:]
    assert record(tmp_path)["distributed"] == {
        "world_size": 2,
        "samples_seen_per_rank": [sum((n + 1) // 2 for n in rest), sum(n // 2 for n in rest)],
    }
    assert_same_global_batches(record(tmp_path), record(one_uninterrupted))
    assert_close_to(weights(tmp_path), weights(one_uninterrupted), initial(inputs[1]))


def test_a_two_rank_run_stopped_at_step_10_finishes_in_one_process_close_to_the_uninterrupted_runs(
    inputs, one_uninterrupted, two_uninterrupted, tmp_path
):
    args = train_args(inputs, inputs[1], tmp_path)
    store = LocalCheckpointStore(tmp_path / "checkpoints")
    store.request_stop(after_step=10)  # mid-epoch 2
    stopped_by_two_processes(args, 10)
    assert store.steps()[-1] == 10 and load_checkpoint_state(store.load(10), "here")["world_size"] == 2

    assert one_process(args) == 0
    assert (metrics(tmp_path)["resumed_from_step"], metrics(tmp_path)["steps"]) == (10, STEPS)
    assert segments_of(tmp_path) == [(2, 0, 10, "stop_requested"), (1, 10, STEPS, "completed")]
    assert record(tmp_path)["distributed"] == {
        "world_size": 1,
        "samples_seen_per_rank": [sum(batch_sizes(inputs)[10:])],
    }
    assert_same_global_batches(record(tmp_path), record(two_uninterrupted))
    start = initial(inputs[1])
    assert_close_to(weights(tmp_path), weights(two_uninterrupted), start)
    assert_close_to(weights(tmp_path), weights(one_uninterrupted), start)


def test_two_ranks_stopped_and_resumed_by_two_ranks_end_bit_for_bit_as_uninterrupted_even_with_dropout(
    inputs, tmp_path
):
    # With dropout each rank's RNG has drawn for its own shard by step 5: the checkpoint keeps
    # both ranks' states and each takes its own back (before, both took rank 0's: off by 3e-3).
    uninterrupted, moved = tmp_path / "uninterrupted", tmp_path / "moved"
    finished = two_processes(train_args(inputs, inputs[2], uninterrupted))
    assert finished.returncode == 0, finished.stderr[-3000:]
    args = train_args(inputs, inputs[2], moved)
    LocalCheckpointStore(moved / "checkpoints").request_stop(after_step=5)
    stopped_by_two_processes(args, 5)
    resumed = two_processes(args)
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    assert segments_of(moved) == [(2, 0, 5, "stop_requested"), (2, 5, STEPS, "completed")]
    ours, theirs = weights(moved), weights(uninterrupted)
    assert ours.keys() == theirs.keys() and all(torch.equal(ours[k], theirs[k]) for k in theirs)

    def losses(run):  # every step's, the first 5 carried in the checkpoint's record
        return [(s["step"], s["loss"], s["grad_norm"]) for s in record(run)["steps"]]

    assert losses(moved) == losses(uninterrupted) and len(losses(moved)) == STEPS


def test_each_rank_takes_back_its_own_rng_states_only_from_a_checkpoint_of_its_world_size():
    states = [{"torch": "rank 0"}, {"torch": "rank 1"}]
    two = {"world_size": 2, "rng": states[0], "rng_per_rank": states}
    assert [rng_for_rank(two, rank, 2) for rank in (0, 1)] == states
    assert rng_for_rank(two, 0, 1) == states[0]  # two -> one: rank 0's
    one = {"world_size": 1, "rng": states[0], "rng_per_rank": states[:1]}
    assert [rng_for_rank(one, rank, 2) for rank in (0, 1)] == [states[0], states[0]]  # one -> two
    older = {"rng": states[0]}  # written before the world size was recorded
    assert [rng_for_rank(older, rank, 2) for rank in (0, 1)] == [states[0], states[0]]
