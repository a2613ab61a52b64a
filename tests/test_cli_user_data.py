"""The "From the CLI" commands of docs/user-data.md, run as subprocesses against a temporary SENTIMENT_HOME,
DAGSTER_HOME and landing zone: train / holdout / score files from their role folders, the whole
pipeline for a score file, a later file scored straight after its ingest, and a file in its own
layout ingested with run config."""

import json
import os
import subprocess

import pandas as pd
import pytest
import yaml
from cli_helpers import REPO, cli_environment, instance_of, materializations, run, warehouse

from sentiment_assets.synthetic.generator import generate_clothing_reviews

TRAIN, HOLDOUT, SCORE, LATER = (
    "train/reviews_2025.csv",
    "holdout/kept_back.csv",
    "score/new_reviews.csv",
    "score/june.csv",
)
# Small and cheap: the commands are under test here, not the models.
FAST = {
    "ops": {
        "finetuned_minilm": {"config": {"max_train_samples": 48, "max_seq_length": 32, "batch_size": 16}},
        "candidate_models": {"config": {"families": ["tfidf_logreg"]}},
        "tuned_model": {"config": {"n_trials": 2, "transformer_n_trials": 1}},
        "bias_report": {"config": {"bootstrap_resamples": 10}},
    }
}


def kaggle_layout(n_rows: int, seed: int, first_id: int, labelled: bool = True) -> pd.DataFrame:
    frame = generate_clothing_reviews(n_rows, seed)
    frame.index = range(first_id, first_id + n_rows)
    return frame if labelled else frame.drop(columns=["Rating", "Class Name"])


@pytest.fixture(scope="module")
def user_homes(tmp_path_factory):
    """A landing zone with train/, holdout/ and score/ folders holding the user's files (the score
    files have no stars and no category), an export in another layout, and the CLI environment."""
    root = tmp_path_factory.mktemp("cli_user_data")
    landing = root / "landing"
    for role in ("train", "holdout", "score"):
        (landing / role).mkdir(parents=True)
    kaggle_layout(600, seed=7, first_id=100_000).to_csv(landing / TRAIN)
    kaggle_layout(300, seed=8, first_id=200_000).to_csv(landing / HOLDOUT)
    kaggle_layout(200, seed=9, first_id=300_000, labelled=False).to_csv(landing / SCORE)
    kaggle_layout(120, seed=10, first_id=400_000, labelled=False).to_csv(landing / LATER)
    export = kaggle_layout(80, seed=11, first_id=500_000)
    pd.DataFrame({"id": [f"e{i}" for i in export.index], "comment": export["Review Text"]}).to_csv(
        root / "export.csv", index=False
    )
    return root, cli_environment(root, landing)


@pytest.fixture(scope="module")
def trained_and_scored(user_homes):
    """The docs' lines: register, ingest each file from its folder, then the whole pipeline."""
    root, env = user_homes
    run(env, "sentiment-assets", "register-partition", TRAIN, HOLDOUT, SCORE)
    for key in (TRAIN, HOLDOUT, SCORE):
        run(env, "dg", "launch", "--job", "ingest_job", "--partition", key)
    run(env, "dg", "launch", "--assets", "not key:raw_reviews", "--partition", SCORE, "--config-json", json.dumps(FAST))
    return root, env


def test_each_landed_file_is_ingested_from_its_role_folder_with_that_role(trained_and_scored):
    _, env = trained_and_scored
    roles = dict(
        warehouse(
            env,
            "SELECT source_partition, min(source_role) FROM raw_reviews GROUP BY 1 "
            "HAVING count(DISTINCT source_role) = 1",
        )
    )
    assert roles == {TRAIN: "train", HOLDOUT: "holdout", SCORE: "score"}


def test_the_pipeline_trains_on_the_train_file_only_and_scores_every_review_of_the_score_file(trained_and_scored):
    _, env = trained_and_scored
    [(partitions,)] = warehouse(env, "SELECT list(DISTINCT source_partition) FROM cleaned_reviews")
    assert partitions == [TRAIN]
    [(accepted, scored)] = warehouse(
        env,
        f"""
        SELECT (SELECT count(*) FROM raw_reviews WHERE source_partition = '{SCORE}'),
               (SELECT count(DISTINCT review_id) FROM batch_predictions WHERE source_partition = '{SCORE}')""",
    )
    assert scored == accepted > 190
    with instance_of(env) as instance:
        [evaluation] = materializations(instance, "model_evaluation")
        assert evaluation.asset_materialization is not None
        holdout = evaluation.asset_materialization.metadata["holdout"].value
    assert isinstance(holdout, str) and HOLDOUT in holdout


def test_a_later_score_file_is_scored_straight_after_its_ingest(trained_and_scored):
    _, env = trained_and_scored
    run(env, "sentiment-assets", "register-partition", LATER)
    run(env, "dg", "launch", "--job", "ingest_job", "--partition", LATER)
    run(env, "dg", "launch", "--assets", "batch_predictions", "--partition", LATER)
    [(accepted, scored)] = warehouse(
        env,
        f"""
        SELECT (SELECT count(*) FROM raw_reviews WHERE source_partition = '{LATER}'),
               (SELECT count(DISTINCT review_id) FROM batch_predictions WHERE source_partition = '{LATER}')""",
    )
    assert scored == accepted > 100


def test_a_file_in_its_own_layout_goes_in_with_run_config_and_is_scored(trained_and_scored):
    root, env = trained_and_scored
    config = root / "score_run_config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "ops": {
                    "raw_reviews": {
                        "config": {
                            "location": str(root / "export.csv"),
                            "role": "score",
                            "preset": "generic",
                            "mapping": {"review_id": "id", "review_body": "comment"},
                        }
                    }
                }
            }
        )
    )
    run(env, "sentiment-assets", "register-partition", "export.csv")
    run(env, "dg", "launch", "--assets", "raw_reviews", "--partition", "export.csv", "-c", str(config))
    run(env, "dg", "launch", "--assets", "batch_predictions", "--partition", "export.csv")
    [(accepted, scored, training)] = warehouse(
        env,
        """
        SELECT (SELECT count(*) FROM raw_reviews WHERE source_partition = 'export.csv'),
               (SELECT count(DISTINCT review_id) FROM batch_predictions WHERE source_partition = 'export.csv'),
               (SELECT count(*) FROM cleaned_reviews WHERE source_partition = 'export.csv')""",
    )
    assert scored == accepted > 70 and training == 0


def test_make_dagster_home_sets_up_an_empty_home_of_ones_own(tmp_path):
    home = tmp_path / "mydata"
    env = {**os.environ, "SENTIMENT_HOME": str(home), "DAGSTER_HOME": str(home / "dagster_home")}
    subprocess.run(
        ["make", "-s", "dagster-home"],
        cwd=REPO,
        env=env,
        check=True,
        timeout=60,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert (home / "dagster_home" / "dagster.yaml").read_text() == (REPO / "deploy" / "dagster.yaml").read_text()
