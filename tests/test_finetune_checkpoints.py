"""Checkpoints and resuming, the frozen encoder, the time budget and step-wise validation of the
fine-tuning loop, on a tiny BERT (CPU, offline), with S3 played by moto's server on loopback."""

import dataclasses

import pytest
from loopback_aws import fresh_bucket
from tiny_bert import imbalanced_reviews, make_tiny_bert, tiny_config, toy_reviews, weights_equal
from transformers import AutoModelForSequenceClassification

from sentiment_assets.models.checkpoints import (
    CheckpointStore,
    LocalCheckpointStore,
    S3CheckpointStore,
    checkpoint_store_from_uri,
)
from sentiment_assets.models.transformer import TransformerClassifier

# 48 examples in batches of 8: 6 optimizer steps per epoch, 12 in a 2-epoch run. Imbalanced,
# so that the (default) balanced class weights are not all 1: 48 / (3 * n_c).
CLASS_COUNTS = (8, 12, 28)
STEPS_PER_EPOCH = 6


class Interrupted(Exception):
    """Stands in for the machine going away."""


class InterruptedAfterSaves(CheckpointStore):
    """Passes checkpoints on to another store, and interrupts the run right after the n-th."""

    def __init__(self, inner: CheckpointStore, saves: int) -> None:
        super().__init__(inner.keep_last)
        self.inner, self.saves_left = inner, saves

    def save(self, step: int, payload: bytes) -> None:
        self.inner.save(step, payload)
        self.saves_left -= 1
        if self.saves_left == 0:
            raise Interrupted(f"after the checkpoint of step {step}")

    def load(self, step: int) -> bytes:
        return self.inner.load(step)

    def steps(self) -> list[int]:
        return self.inner.steps()

    def describe(self) -> str:
        return self.inner.describe()

    def write_object(self, name: str, data: bytes) -> None:
        self.inner.write_object(name, data)

    def read_object(self, name: str) -> bytes | None:
        return self.inner.read_object(name)

    def delete_object(self, name: str) -> None:
        self.inner.delete_object(name)


pytestmark = pytest.mark.usefixtures("torch_on_one_thread")


def weights_of(classifier: TransformerClassifier):
    """The fitted model's state dict."""
    assert classifier.model is not None, "not fitted"
    return classifier.model.state_dict()


def record_of(classifier: TransformerClassifier) -> dict:
    """The debug record the fit left."""
    assert classifier.debug_record is not None, "not fitted"
    return classifier.debug_record


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return make_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="module")
def train():
    return imbalanced_reviews(CLASS_COUNTS)


@pytest.fixture(scope="module")
def valid():
    return toy_reviews(per_class=4, seed=1)


@pytest.fixture(scope="module")
def uninterrupted(model_dir, train, valid):
    """The reference: a 2-epoch run without checkpoints."""
    return TransformerClassifier(tiny_config(model_dir)).fit(train, valid)


def interrupt(config, train, valid, store: CheckpointStore, after_saves: int) -> None:
    with pytest.raises(Interrupted):
        TransformerClassifier(config, InterruptedAfterSaves(store, after_saves)).fit(train, valid)


@pytest.fixture(scope="module")
def checkpoint_of_step_4(model_dir, train, valid, tmp_path_factory):
    """A store holding one mid-epoch checkpoint of a run interrupted after step 4."""
    store = LocalCheckpointStore(tmp_path_factory.mktemp("step-4"))
    interrupt(tiny_config(model_dir, checkpoint_every_steps=4), train, valid, store, after_saves=1)
    assert store.steps() == [4]
    return store


def test_local_store_keeps_the_newest_checkpoints_and_ignores_unfinished_writes(tmp_path):
    store = LocalCheckpointStore(tmp_path / "run", keep_last=2)
    assert store.latest() is None and store.steps() == []
    for step, payload in [(1, b"one"), (2, b"two"), (10, b"ten")]:
        store.save(step, payload)
    (tmp_path / "run" / ".checkpoint-abc.tmp").write_bytes(b"half a checkpoint")  # a killed write
    assert store.steps() == [2, 10]
    assert store.latest() == b"ten" and store.load(2) == b"two"
    assert sorted(p.name for p in (tmp_path / "run").glob("checkpoint-*")) == [
        "checkpoint-00000002.pt",
        "checkpoint-00000010.pt",
    ]
    assert isinstance(checkpoint_store_from_uri(str(tmp_path / "run")), LocalCheckpointStore)


def test_a_run_interrupted_mid_epoch_and_resumed_ends_with_the_uninterrupted_weights(
    model_dir, train, valid, uninterrupted, tmp_path
):
    config = tiny_config(model_dir, checkpoint_every_steps=4)
    store = LocalCheckpointStore(tmp_path / "checkpoints")
    interrupt(config, train, valid, store, after_saves=3)  # steps 4, 6 (epoch end), 8
    assert store.steps() == [6, 8]

    # Settings that do not change the weights may differ on resume (another machine, a budget).
    resumed_config = dataclasses.replace(config, log_every_steps=1, max_seconds=1e6)
    resumed = TransformerClassifier(resumed_config, store).fit(train, valid)

    assert resumed.resumed_from_step == 8 and resumed.steps == 2 * STEPS_PER_EPOCH
    assert weights_equal(weights_of(resumed), weights_of(uninterrupted))
    # ... with the loss weighted by the same class weights, derived again from the labels.
    assert (
        resumed.class_weights
        == uninterrupted.class_weights
        == pytest.approx({label: 48 / (3 * n) for label, n in enumerate(CLASS_COUNTS)})
    )
    assert [r.metrics["train_loss"] for r in resumed.training_history] == [
        r.metrics["train_loss"] for r in uninterrupted.training_history
    ]
    assert [s["loss"] for s in record_of(resumed)["steps"]] == [s["loss"] for s in record_of(uninterrupted)["steps"]]
    assert uninterrupted.resumed_from_step is None
    assert store.steps() == [8, 12]  # the resumed run went on checkpointing


def test_resuming_with_a_changed_learning_rate_is_refused_naming_the_change(
    model_dir, train, valid, checkpoint_of_step_4
):
    config = tiny_config(model_dir, checkpoint_every_steps=4, learning_rate=5e-4)
    with pytest.raises(ValueError, match=r"different config \(learning_rate 0.001 -> 0.0005\)"):
        TransformerClassifier(config, checkpoint_of_step_4).fit(train, valid)


def test_resuming_with_class_weighting_switched_off_is_refused_naming_the_change(
    model_dir, train, valid, checkpoint_of_step_4
):
    # The weights are derived from the labels and this setting: both must be the checkpoint's.
    config = tiny_config(model_dir, checkpoint_every_steps=4, class_weighting="none")
    with pytest.raises(ValueError, match=r"different config \(class_weighting 'balanced' -> 'none'\)"):
        TransformerClassifier(config, checkpoint_of_step_4).fit(train, valid)
    assert checkpoint_of_step_4.steps() == [4]


def test_resuming_on_other_training_data_is_refused(model_dir, train, valid, checkpoint_of_step_4):
    config = tiny_config(model_dir, checkpoint_every_steps=4)
    with pytest.raises(ValueError, match="different training data"):
        TransformerClassifier(config, checkpoint_of_step_4).fit(train.iloc[:-1], valid)
    assert checkpoint_of_step_4.steps() == [4]  # refused before anything was trained or saved


@pytest.fixture()
def s3_client(aws_endpoint_env):
    """A plain boto3 client (the endpoint from the environment) and an empty bucket "checkpoints"."""
    import boto3

    client = boto3.client("s3")
    with fresh_bucket(client, "checkpoints"):
        yield client


def test_s3_store_keeps_the_newest_checkpoints_under_its_own_prefix(s3_client):
    store = S3CheckpointStore(s3_client, "checkpoints", "runs/a", keep_last=2)
    neighbour = S3CheckpointStore(s3_client, "checkpoints", "runs/ab")
    assert store.latest() is None
    for step in (3, 7, 11):
        store.save(step, f"payload {step}".encode())
    neighbour.save(99, b"another run")
    assert store.steps() == [7, 11] and store.latest() == b"payload 11"
    assert neighbour.steps() == [99]
    keys = sorted(o["Key"] for o in s3_client.list_objects_v2(Bucket="checkpoints")["Contents"])
    assert keys == ["runs/a/checkpoint-00000007.pt", "runs/a/checkpoint-00000011.pt", "runs/ab/checkpoint-00000099.pt"]
    assert store.describe() == "s3://checkpoints/runs/a"


def test_a_run_resumes_at_an_epoch_end_from_an_s3_uri(model_dir, train, valid, uninterrupted, s3_client):
    config = tiny_config(model_dir, checkpoint_every_steps=0)  # epoch ends only
    # No client given: the store builds one from the environment (AWS_ENDPOINT_URL and keys).
    store = checkpoint_store_from_uri("s3://checkpoints/run-1")
    interrupt(config, train, valid, store, after_saves=1)
    assert store.steps() == [STEPS_PER_EPOCH]

    resumed = TransformerClassifier(config, checkpoint_store_from_uri("s3://checkpoints/run-1"))
    resumed.fit(train, valid)
    assert resumed.resumed_from_step == STEPS_PER_EPOCH
    assert weights_equal(weights_of(resumed), weights_of(uninterrupted))
    assert resumed.training_history[0].metrics == uninterrupted.training_history[0].metrics


def test_freeze_encoder_trains_the_head_and_leaves_the_encoder_as_loaded(model_dir, train):
    classifier = TransformerClassifier(tiny_config(model_dir, freeze_encoder=True, epochs=1))
    after = weights_of(classifier.fit(train))
    before = AutoModelForSequenceClassification.from_pretrained(model_dir).state_dict()
    encoder = [name for name in before if name.startswith("bert.")]
    assert len(encoder) > 20 and all(after[name].equal(before[name]) for name in encoder)
    assert not after["classifier.weight"].equal(before["classifier.weight"])
    assert record_of(classifier)["trainable_groups"] == ["classifier"]


def test_max_seconds_stops_after_the_first_step_beyond_the_budget(model_dir, train, valid, tmp_path):
    store = LocalCheckpointStore(tmp_path / "checkpoints")
    config = tiny_config(model_dir, max_seconds=1e-6, checkpoint_every_steps=0)
    classifier = TransformerClassifier(config, store).fit(train, valid)
    assert classifier.stopped_early and classifier.steps == 1
    assert classifier.training_history == []  # no epoch ended
    # The weights it stopped with are validated and checkpointed, to be resumed with more time.
    assert [e["step"] for e in record_of(classifier)["evaluations"]] == [1]
    assert store.steps() == [1]


def test_eval_every_steps_validates_mid_epoch_and_at_every_epoch_end(model_dir, train, valid):
    evaluations, epochs = [], []
    config = tiny_config(model_dir, eval_every_steps=4)
    classifier = TransformerClassifier(config).fit(
        train, valid, on_epoch_end=epochs.append, on_evaluate=lambda step, metrics: evaluations.append((step, metrics))
    )
    assert [step for step, _ in evaluations] == [4, 6, 8, 12]
    assert [r.epoch for r in epochs] == [1, 2]
    for _, metrics in evaluations:
        assert {"train_loss", "val_loss", "val_accuracy", "val_macro_f1"} <= metrics.keys()
    # The epoch-end validation is the one the epoch report carries.
    assert evaluations[1][1]["val_loss"] == epochs[0].metrics["val_loss"]
    assert [e["step"] for e in record_of(classifier)["evaluations"]] == [4, 6, 8, 12]
    assert not classifier.stopped_early


def test_every_step_is_recorded_with_gradient_norms_per_layer_group_and_timings(uninterrupted):
    steps = uninterrupted.debug_record["steps"]
    assert [s["step"] for s in steps] == list(range(1, 2 * STEPS_PER_EPOCH + 1))
    assert [s["epoch"] for s in steps] == [1] * STEPS_PER_EPOCH + [2] * STEPS_PER_EPOCH
    for s in steps:
        assert set(s["group_grad_norms"]) == {"embeddings", "layer.0", "layer.1", "pooler", "classifier"}
        # The global norm is the L2 norm of the groups' norms.
        assert s["grad_norm"] == pytest.approx(sum(n**2 for n in s["group_grad_norms"].values()) ** 0.5, rel=1e-4)
        assert 0 <= s["data_seconds"] <= s["step_seconds"] and s["rss_mb"] > 0
    # Warm-up starts the learning rate at 0 and ramps it up to the configured one.
    assert steps[0]["learning_rate"] == 0.0
    assert max(s["learning_rate"] for s in steps) == pytest.approx(1e-3)
    assert uninterrupted.profile["steps"] == 2 * STEPS_PER_EPOCH
