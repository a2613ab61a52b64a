"""Provenance after a small end-to-end run (the session's `end_to_end_run`): a stored prediction's
chain names the model version the champion alias points at, that version's training run, the
feature group and the train split's fingerprint, and the raw file whose bytes hash as recorded;
the same chain is on the registered_model and batch_predictions materializations, and
`sentiment-assets lineage` prints it. `reproduce` re-creates the TF-IDF champion with identical
test predictions, and refuses, naming the file, once one byte of the raw file changed."""

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sentiment_assets.features.training_splits import FEATURE_GROUP_LABEL, read_split
from sentiment_assets.lineage.chain import LineageNotFound, model_chain, prediction_chains
from sentiment_assets.lineage.records import split_fingerprint

SCRIPT = Path(sys.executable).parent / "sentiment-assets"


@pytest.fixture(scope="module")
def chain(end_to_end_run):
    warehouse = end_to_end_run.resources["warehouse"]
    tracking = end_to_end_run.resources["mlflow_tracking"]
    review_id = str(warehouse.read_table("batch_predictions", ["review_id"])["review_id"].iloc[0])
    [found] = prediction_chains(warehouse, tracking.client(), review_id)
    return found


def test_a_predictions_chain_names_the_champion_version_and_its_training_run(end_to_end_run, chain):
    tracking = end_to_end_run.resources["mlflow_tracking"]
    champion = tracking.client().get_model_version_by_alias(tracking.registered_model_name, "champion")

    assert (chain.model.model_name, chain.model.version) == (tracking.registered_model_name, int(champion.version))
    assert chain.model.run_id == champion.run_id and chain.model.run_id
    assert "champion" in chain.model.aliases and chain.model.approval_status == "Approved"
    assert chain.model.params.get("family") == chain.model.training.family  # pyright: ignore[reportOptionalMemberAccess]


def test_the_chain_names_the_feature_group_and_the_train_splits_fingerprint(end_to_end_run, chain):
    training = chain.model.training
    train = read_split(end_to_end_run.resources["warehouse"], "train")

    assert training is not None
    assert training.feature_group == FEATURE_GROUP_LABEL
    assert training.train_fingerprint == split_fingerprint(train) and training.train_reviews == len(train)
    assert training.code_version.startswith(("git:", "sentiment-assets "))


def test_the_raw_files_recorded_hash_as_the_files_bytes_do(chain):
    training_files = chain.model.training.source_files  # pyright: ignore[reportOptionalMemberAccess]

    assert chain.review_files and training_files
    for recorded in [*chain.review_files, *training_files]:
        data = Path(recorded.source_file).read_bytes()
        assert (recorded.sha256, recorded.size_bytes) == (hashlib.sha256(data).hexdigest(), len(data))


def test_the_registry_version_carries_the_lineage_tags(end_to_end_run, chain):
    tracking = end_to_end_run.resources["mlflow_tracking"]
    version = tracking.client().get_model_version(tracking.registered_model_name, str(chain.model.version))

    assert version.tags["lineage.train_fingerprint"] == chain.model.training.train_fingerprint  # pyright: ignore[reportOptionalMemberAccess]
    assert version.tags["lineage.feature_group"] == FEATURE_GROUP_LABEL


def test_registered_model_and_batch_predictions_show_the_chain_in_their_metadata(end_to_end_run, chain):
    events = {
        event.asset_key.to_user_string(): event.materialization.metadata
        for event in end_to_end_run.result.get_asset_materialization_events()
    }
    registered, predictions = events["registered_model"], events["batch_predictions"]

    assert chain.model.run_id in registered["training_run"].value
    assert chain.model.training.train_fingerprint in registered["lineage"].value  # pyright: ignore[reportOptionalMemberAccess]
    assert predictions["training_run"].value == registered["training_run"].value
    assert {f.source_file: f.sha256 for f in chain.review_files} == {
        file: facts["sha256"] for file, facts in predictions["source_files"].value.items()
    }


def test_an_unknown_review_or_version_is_a_clear_error(end_to_end_run):
    warehouse = end_to_end_run.resources["warehouse"]
    tracking = end_to_end_run.resources["mlflow_tracking"]

    with pytest.raises(LineageNotFound, match="no prediction of review 'no-such-review'"):
        prediction_chains(warehouse, tracking.client(), "no-such-review")
    with pytest.raises(LineageNotFound, match="no version 999"):
        model_chain(tracking.client(), tracking.registered_model_name, 999)


def test_the_lineage_command_prints_the_chain_of_a_prediction_and_of_a_model(end_to_end_run, chain):
    env = {**os.environ, "SENTIMENT_HOME": str(end_to_end_run.home), "SENTIMENT_PROFILE": "local"}

    prediction = subprocess.run(
        [str(SCRIPT), "lineage", "prediction", chain.review_id, "--partition", chain.source_partition],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    model = subprocess.run(
        [str(SCRIPT), "lineage", "model", str(chain.model.version)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert prediction.returncode == 0, prediction.stderr
    assert f"review {chain.review_id} in {chain.source_partition}" in prediction.stdout
    assert f"v{chain.model.version}" in prediction.stdout and str(chain.model.run_id) in prediction.stdout
    assert chain.review_files[0].sha256 in prediction.stdout
    assert model.returncode == 0, model.stderr
    assert chain.model.training.train_fingerprint in model.stdout  # pyright: ignore[reportOptionalMemberAccess]


def test_reproduce_re_creates_the_tfidf_champion_with_identical_test_predictions(end_to_end_run, chain):
    from sentiment_assets.lineage.reproduce import reproduce

    tracking = end_to_end_run.resources["mlflow_tracking"]

    result = reproduce(
        end_to_end_run.resources["warehouse"],
        tracking.client(),
        tracking.registered_model_name,
        chain.model.version,
        tracking_uri=tracking.tracking_uri,
    )

    assert result.family.startswith("tfidf")  # the small run's champion: an in-process family
    assert result.test_reviews > 0 and result.identical and result.max_abs_difference == 0.0


def test_reproduce_refuses_naming_the_raw_file_when_one_byte_of_it_changed(end_to_end_run, chain):
    from sentiment_assets.lineage.reproduce import CannotReproduce, reproduce

    tracking = end_to_end_run.resources["mlflow_tracking"]
    raw = Path(chain.model.training.source_files[0].source_file)  # pyright: ignore[reportOptionalMemberAccess]
    original = raw.read_bytes()
    changed = bytearray(original)
    changed[len(changed) // 2] ^= 0x01
    raw.write_bytes(bytes(changed))
    try:
        with pytest.raises(CannotReproduce, match=rf"raw file {re.escape(str(raw))}: sha256 [0-9a-f]{{64}}"):
            reproduce(
                end_to_end_run.resources["warehouse"],
                tracking.client(),
                tracking.registered_model_name,
                chain.model.version,
                tracking_uri=tracking.tracking_uri,
            )
    finally:
        raw.write_bytes(original)  # later tests re-run slices of the pipeline on this file


def test_the_reproduce_command_prints_the_comparison_and_exits_0_when_identical(end_to_end_run, chain):
    env = {**os.environ, "SENTIMENT_HOME": str(end_to_end_run.home), "SENTIMENT_PROFILE": "local"}

    done = subprocess.run(
        [str(SCRIPT), "lineage", "reproduce", str(chain.model.version)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert done.returncode == 0, done.stderr
    assert f"v{chain.model.version}" in done.stdout and "identical predictions" in done.stdout
