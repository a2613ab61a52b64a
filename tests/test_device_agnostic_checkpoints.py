"""A checkpoint resumes on another device: one written on a GPU (its tensors tagged cuda:0, a
CUDA RNG state in it) resumes on this CPU-only machine with the uninterrupted weights; another
batch size is refused naming both. No GPU here: CPU -> CUDA is not exercised by these tests
(the load path is the same: read onto the CPU, copied to the model's device)."""

import contextlib
import io

import pytest
import torch
from tiny_bert import imbalanced_reviews, make_tiny_bert, tiny_config, toy_reviews, weights_equal

from sentiment_assets.models.checkpoints import LocalCheckpointStore
from sentiment_assets.models.resume import load_checkpoint_state
from sentiment_assets.models.transformer import TransformerClassifier

STOP_AT = 4

pytestmark = pytest.mark.usefixtures("torch_on_one_thread")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return make_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="module")
def splits():
    return imbalanced_reviews((8, 12, 28)), toy_reviews(per_class=4, seed=1)


@pytest.fixture(scope="module")
def cpu_checkpoint(model_dir, splits, tmp_path_factory) -> bytes:
    """The checkpoint of step 4 (mid-epoch 1 of 2), written on the CPU."""
    store = LocalCheckpointStore(tmp_path_factory.mktemp("cpu-run"))
    store.request_stop(after_step=STOP_AT)
    TransformerClassifier(tiny_config(model_dir, checkpoint_every_steps=0), store).fit(*splits)
    return store.load(STOP_AT)


@contextlib.contextmanager
def storages_tagged_as(location: str):
    """torch.save records `location` as every storage's device, as it does for tensors on a GPU."""
    entry = (0, lambda _storage: location, lambda _storage, _location: None)
    torch.serialization._package_registry.insert(0, entry)  # pyright: ignore[reportPrivateUsage]
    try:
        yield
    finally:
        torch.serialization._package_registry.remove(entry)  # pyright: ignore[reportPrivateUsage]


def as_if_written_on_a_gpu(payload: bytes) -> bytes:
    """The checkpoint as a GPU run writes it: tensors on cuda:0, and the CUDA RNG state of one GPU."""
    state = load_checkpoint_state(payload, "test")
    state["rng"]["cuda"] = [torch.randint(0, 255, (16,), dtype=torch.uint8)]
    buffer = io.BytesIO()
    with storages_tagged_as("cuda:0"):
        torch.save(state, buffer)
    return buffer.getvalue()


def test_a_checkpoint_written_on_a_gpu_resumes_on_a_cpu_and_ends_with_the_uninterrupted_weights(
    model_dir, splits, cpu_checkpoint, tmp_path
):
    gpu_payload = as_if_written_on_a_gpu(cpu_checkpoint)
    if not torch.cuda.is_available():  # the file really places its tensors on a GPU
        with pytest.raises(RuntimeError, match="CUDA"):
            torch.load(io.BytesIO(gpu_payload), weights_only=True)
    store = LocalCheckpointStore(tmp_path / "moved")
    store.save(STOP_AT, gpu_payload)

    config = tiny_config(model_dir, checkpoint_every_steps=0)
    resumed = TransformerClassifier(config, store).fit(*splits)
    uninterrupted = TransformerClassifier(config).fit(*splits)
    assert resumed.resumed_from_step == STOP_AT and resumed.model is not None and uninterrupted.model is not None
    assert all(p.device.type == "cpu" for p in resumed.model.parameters())
    assert weights_equal(resumed.model.state_dict(), uninterrupted.model.state_dict())


def test_resuming_with_another_batch_size_is_refused_naming_both_sizes(model_dir, splits, cpu_checkpoint, tmp_path):
    store = LocalCheckpointStore(tmp_path / "moved")
    store.save(STOP_AT, cpu_checkpoint)
    bigger = tiny_config(model_dir, checkpoint_every_steps=0, batch_size=16)
    with pytest.raises(ValueError, match=r"with batch_size 16: it was written with batch_size 8\. .*batch_size=8"):
        TransformerClassifier(bigger, store).fit(*splits)
    assert store.steps() == [STOP_AT]  # refused before any step
