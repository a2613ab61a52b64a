"""Asking a fine-tune to stop at a step boundary (the STOP marker in its checkpoint store, or a
signal), and the segments each process records there: the first half of moving a run. On a tiny
BERT (CPU, offline), S3 played by moto's server on loopback."""

import os
import signal

import pytest
from loopback_aws import fresh_bucket
from tiny_bert import imbalanced_reviews, make_tiny_bert, tiny_config, toy_reviews, weights_equal

from sentiment_assets.models.checkpoints import STOP_NAME, LocalCheckpointStore, checkpoint_store_from_uri
from sentiment_assets.models.segments import Segment, append_segment, contiguous, read_segments
from sentiment_assets.models.stop_signal import MarkerPoll, stop_on_signals
from sentiment_assets.models.transformer import TransformerClassifier

STEPS = 12  # 48 reviews in batches of 8, 2 epochs

pytestmark = pytest.mark.usefixtures("torch_on_one_thread")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return make_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="module")
def train():
    return imbalanced_reviews((8, 12, 28))


@pytest.fixture(scope="module")
def valid():
    return toy_reviews(per_class=4, seed=1)


@pytest.fixture(scope="module")
def uninterrupted(model_dir, train, valid):
    classifier = TransformerClassifier(tiny_config(model_dir)).fit(train, valid)
    assert classifier.model is not None
    return classifier.model.state_dict()


def test_a_stop_requested_for_step_3_checkpoints_it_and_the_resumed_run_ends_with_the_uninterrupted_weights(
    model_dir, train, valid, uninterrupted, tmp_path
):
    store = LocalCheckpointStore(tmp_path / "run")
    config = tiny_config(model_dir, checkpoint_every_steps=5)  # step 3 is no regular checkpoint
    store.request_stop(after_step=3)
    stopped = TransformerClassifier(config, store).fit(train, valid)
    assert (stopped.stop_reason, stopped.steps) == ("stop_requested", 3)
    assert store.steps() == [3]  # written before it returned
    assert store.read_object(STOP_NAME) is None  # honoured, so cleared: the next run goes on

    resumed = TransformerClassifier(config, store).fit(train, valid)
    assert (resumed.stop_reason, resumed.resumed_from_step, resumed.steps) == ("completed", 3, STEPS)
    assert resumed.model is not None and weights_equal(resumed.model.state_dict(), uninterrupted)

    segments = read_segments(store)
    assert [(s.start_step, s.end_step, s.stop_reason) for s in segments] == [
        (0, 3, "stop_requested"),
        (3, STEPS, "completed"),
    ]
    assert contiguous(segments) and all(s.device == "cpu" and s.world_size == 1 for s in segments)
    assert all(s.host and s.seconds > 0 for s in segments)


def test_a_stop_signal_ends_the_run_after_the_step_in_progress_with_its_checkpoint(model_dir, train, valid, tmp_path):
    store = LocalCheckpointStore(tmp_path / "run")
    config = tiny_config(model_dir, checkpoint_every_steps=0, eval_every_steps=2)

    def signal_at_step_2(step, _metrics):  # as `kill -USR1 <pid>` would, during step 2's validation
        if step == 2:
            os.kill(os.getpid(), signal.SIGUSR1)

    with stop_on_signals():
        stopped = TransformerClassifier(config, store).fit(train, valid, on_evaluate=signal_at_step_2)
    assert (stopped.stop_reason, stopped.steps, store.steps()) == ("stop_requested", 3, [3])
    # Outside, SIGUSR1's handler is the one there was before (its default: end the process).
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL


def test_without_a_checkpoint_store_a_stop_signal_is_ignored_rather_than_losing_the_steps(model_dir, train):
    with stop_on_signals():
        os.kill(os.getpid(), signal.SIGUSR1)
        classifier = TransformerClassifier(tiny_config(model_dir, epochs=1)).fit(train)
    assert (classifier.stop_reason, classifier.steps) == ("completed", STEPS // 2)


def test_a_stop_marker_on_s3_is_seen_from_its_step_on_and_cleared(aws_endpoint_env):
    import boto3

    client = boto3.client("s3")
    with fresh_bucket(client, "stops"):
        store = checkpoint_store_from_uri("s3://stops/runs/a")
        neighbour = checkpoint_store_from_uri("s3://stops/runs/ab")
        assert not store.stop_requested(100)
        store.request_stop(after_step=4)
        assert [store.stop_requested(step) for step in (3, 4, 5)] == [False, True, True]
        assert not neighbour.stop_requested(100)  # a prefix of its own
        store.clear_stop()
        assert not store.stop_requested(100) and store.steps() == []
        store.request_stop()  # 0: at the next step boundary
        assert store.stop_requested(1)

        first = Segment("laptop", "cpu", 1, 0, 5, 1.5, "stop_requested")
        append_segment(store, first)
        both = append_segment(store, Segment("pod", "cuda:0", 2, 5, 9, 0.5, "completed"))
        assert read_segments(store) == both and both[0] == first and contiguous(both)
        assert not contiguous([first, Segment("pod", "cuda:0", 1, 4, 9, 0.5, "completed")])
    with pytest.raises(ValueError, match="after_step must be >= 0"):
        store.request_stop(after_step=-1)


class CountingStore(LocalCheckpointStore):
    """A directory store that counts how often the STOP marker is read."""

    reads = 0

    def requested_stop_step(self) -> int | None:
        self.reads += 1
        return super().requested_stop_step()


def test_the_stop_marker_is_read_at_most_once_per_poll_and_a_later_step_is_still_honoured_exactly(tmp_path):
    store = CountingStore(tmp_path / "checkpoints")
    store.request_stop(after_step=5)
    poll = MarkerPoll(store, poll_seconds=3600)  # one read for the whole test

    asked = [poll.asked(step) for step in range(1, 8)]

    assert asked == [False, False, False, False, True, True, True]  # stops after step 5, not before
    assert store.reads == 1


def test_a_marker_poll_sees_a_request_written_after_its_last_read_once_the_poll_interval_passed(tmp_path):
    store = CountingStore(tmp_path / "checkpoints")
    poll = MarkerPoll(store, poll_seconds=0)

    before = poll.asked(1)
    store.request_stop()  # "at the next step boundary"

    assert (before, poll.asked(2), store.reads) == (False, True, 2)
