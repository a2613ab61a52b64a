"""A user's own files, end to end in-process: a labelled file landed as `train`, a labelled file
kept back as `holdout` and an unlabelled file without a category landed as `score`. Every
accepted review of the score file gets exactly one prediction from the champion; no review of
the score or holdout file reaches a training table; the holdout file is evaluated on its own;
the long-tail training file keeps every review under the user-data defaults."""

import dagster as dg
import duckdb
import pandas as pd
import pytest

from resources.environment import Profile
from resources.profiles import resources_for
from sentiment_assets.definitions import ALL_ASSETS
from sentiment_assets.defs.ingest_analyze.partitions import register_partitions
from sentiment_assets.synthetic.generator import generate_clothing_reviews

TRAIN, HOLDOUT, SCORE = "train/shop.csv", "holdout/kept.csv", "score/new.csv"
TRAIN_ROWS = 600
# Cheap families: this file is about which rows go where, not about model quality.
RUN_CONFIG = {
    "ops": {
        "candidate_models": {
            "config": {"families": ["tfidf_logreg", "tfidf_linear_svm"], "include_finetuned_minilm": False}
        },
        "tuned_model": {"config": {"n_trials": 2}},
        "bias_report": {"config": {"bootstrap_resamples": 20}},
    }
}
TRAINING_TABLES = ["cleaned_reviews", "training_reviews", "balanced_reviews", "review_features", "fg_reviews_v2"]


def kaggle_layout(n_rows: int, seed: int, first_id: int) -> pd.DataFrame:
    """Synthetic reviews in the Kaggle layout (the course's long tail of small categories), with
    ids starting at `first_id` so that files never share a review id."""
    frame = generate_clothing_reviews(n_rows, seed)
    frame.index = range(first_id, first_id + n_rows)
    return frame


@pytest.fixture(scope="module")
def user_files(tmp_path_factory):
    landing = tmp_path_factory.mktemp("landing")
    train = kaggle_layout(TRAIN_ROWS, seed=7, first_id=100_000)
    train.to_csv(landing / "shop.csv")
    kaggle_layout(300, seed=8, first_id=200_000).to_csv(landing / "kept.csv")
    # What a shop exports for scoring: an id and the text, no stars, no category.
    unlabelled = kaggle_layout(250, seed=9, first_id=300_000)
    pd.DataFrame({"comment_id": [f"c{i}" for i in unlabelled.index], "comment": unlabelled["Review Text"]}).to_csv(
        landing / "new.csv", index=False
    )
    return landing


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, user_files):
    home = tmp_path_factory.mktemp("home")
    resources = resources_for(Profile.LOCAL, home=home)
    instance = dg.DagsterInstance.ephemeral()
    register_partitions(instance, [TRAIN, HOLDOUT, SCORE])
    ingest = {
        TRAIN: {"location": str(user_files / "shop.csv"), "role": "train"},
        HOLDOUT: {"location": str(user_files / "kept.csv"), "role": "holdout"},
        SCORE: {
            "location": str(user_files / "new.csv"),
            "role": "score",
            "preset": "generic",
            "mapping": {"review_id": "comment_id", "review_body": "comment"},
        },
    }
    raw = [a for a in ALL_ASSETS if dg.AssetKey("raw_reviews") in a.keys]
    for key, config in ingest.items():
        assert dg.materialize(
            raw,
            resources=resources,
            instance=instance,
            partition_key=key,
            run_config={"ops": {"raw_reviews": {"config": config}}},
        ).success
    # Everything downstream, for the score file's partition (the unpartitioned assets train once).
    result = dg.materialize(
        ALL_ASSETS,
        selection=dg.AssetSelection.all() - dg.AssetSelection.assets("raw_reviews", "finetuned_minilm"),
        resources=resources,
        instance=instance,
        partition_key=SCORE,
        run_config=RUN_CONFIG,
    )
    assert result.success
    return home, resources, instance, result


def query(home, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def metadata_of(result, asset: str) -> dict:
    return next(
        e.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(asset)
    )


def test_the_unlabelled_file_without_a_category_is_accepted_whole_with_its_role(pipeline):
    home, *_ = pipeline
    rows = query(
        home,
        f"SELECT count(*), count(sentiment), min(product_category), max(product_category), "
        f"min(source_role) FROM raw_reviews WHERE source_partition = '{SCORE}'",
    )
    [(rejected,)] = query(home, f"SELECT count(*) FROM rejected_reviews WHERE source_partition = '{SCORE}'")
    accepted, labelled, lowest, highest, role = rows[0]
    # Blank reviews of the synthetic text are the only rejections; everything else is accepted.
    assert accepted + rejected == 250 and accepted > 240
    assert (labelled, lowest, highest, role) == (0, "unknown", "unknown", "score")


def test_every_accepted_review_of_the_score_file_has_exactly_one_prediction_from_the_champion(pipeline):
    home, _, _, result = pipeline
    version = metadata_of(result, "batch_predictions")["model_version"].value
    [(accepted, predicted, distinct, other_versions)] = query(
        home,
        f"""
        SELECT (SELECT count(*) FROM raw_reviews WHERE source_partition = '{SCORE}'),
               count(*), count(DISTINCT p.review_id), count(*) FILTER (p.model_version <> {version})
        FROM batch_predictions p JOIN raw_reviews r ON r.review_id = p.review_id AND r.source_partition = '{SCORE}'""",
    )
    assert predicted == distinct == accepted and other_versions == 0
    coverage = next(
        c for c in result.get_asset_check_evaluations() if c.check_name == "every_accepted_review_scored_once"
    )
    assert coverage.passed and coverage.metadata["reviews"].value == accepted


def test_no_review_of_the_score_or_holdout_file_reaches_any_training_table(pipeline):
    home, *_ = pipeline
    for table in TRAINING_TABLES:
        [(leaked, total)] = query(
            home,
            f"""
            SELECT count(*) FILTER (r.source_role <> 'train'), count(*)
            FROM {table} t JOIN raw_reviews r ON r.review_id = t.review_id""",
        )
        assert total > 0 and leaked == 0, table
    # The tuning study and the candidates read the feature store's splits: only train reviews there.
    [(splits,)] = query(home, "SELECT count(DISTINCT split_type) FROM fg_reviews_v2")
    assert splits == 3


def test_the_holdout_file_is_evaluated_on_its_own_with_its_size(pipeline):
    home, _, _, result = pipeline
    [(holdout_rows,)] = query(home, f"SELECT count(*) FROM raw_reviews WHERE source_partition = '{HOLDOUT}'")
    evaluation = metadata_of(result, "model_evaluation")
    assert f"| {HOLDOUT}" in evaluation["holdout"].value and f"{holdout_rows}" in evaluation["holdout"].value
    board = query(home, "SELECT holdout_reviews, holdout_accuracy FROM model_leaderboard")
    assert board and all(n == holdout_rows and 0.0 <= accuracy <= 1.0 for n, accuracy in board)


def test_the_600_review_file_gets_a_leaderboard_with_intervals_and_a_champion_without_config(pipeline):
    home, _, _, result = pipeline
    board = query(
        home, "SELECT val_macro_f1_low, val_macro_f1, val_macro_f1_high, validation_reviews FROM model_leaderboard"
    )
    assert board and all(low < score < high and n > 0 for low, score, high, n in board)
    registered = metadata_of(result, "registered_model")
    assert registered["promoted"].value, registered["promotion_reason"].value


def test_the_long_tail_training_file_keeps_every_review_and_the_run_says_why(pipeline):
    home, _, instance, result = pipeline
    [(accepted, excluded, balanced)] = query(
        home,
        f"""
        SELECT (SELECT count(*) FROM raw_reviews WHERE source_partition = '{TRAIN}'),
               (SELECT count(*) FROM excluded_reviews), (SELECT count(*) FROM balanced_reviews)""",
    )
    small = query(home, "SELECT product_category FROM cleaned_reviews GROUP BY 1 HAVING count(*) <= 10")
    assert small, "the synthetic long tail has categories of <= 10 reviews: the course would drop them"
    assert excluded == 0 and balanced == accepted
    balancing = metadata_of(result, "balanced_reviews")
    assert balancing["balancing"].value == "none"
    assert "balancing=none (auto for user data" in balancing["population_settings"].value
    said = [e.user_message for e in instance.all_logs(result.run_id) if e.step_key == "dbt_models"]
    assert any("min_reviews_per_category=0 (auto for user data" in m for m in said)


def test_unlabelled_predictions_below_the_threshold_reach_the_review_queue(pipeline):
    home, *_ = pipeline
    [(queued, with_text)] = query(
        home, f"SELECT count(*), count(review_body) FROM review_queue WHERE source_partition = '{SCORE}'"
    )
    [(unsure,)] = query(
        home, f"SELECT count(*) FILTER (probability < 0.9) FROM batch_predictions WHERE source_partition = '{SCORE}'"
    )
    assert queued == unsure > 0 and with_text == queued


def test_a_train_file_without_labels_is_refused_by_name(pipeline, user_files):
    _, resources, instance, _ = pipeline
    register_partitions(instance, ["train/new.csv"])
    raw = [a for a in ALL_ASSETS if dg.AssetKey("raw_reviews") in a.keys]
    config = {
        "location": str(user_files / "new.csv"),
        "role": "train",
        "preset": "generic",
        "mapping": {"review_id": "comment_id", "review_body": "comment"},
    }
    with pytest.raises(dg.Failure, match=r"new\.csv: role 'train' needs labels"):
        dg.materialize(
            raw,
            resources=resources,
            instance=instance,
            partition_key="train/new.csv",
            run_config={"ops": {"raw_reviews": {"config": config}}},
        )
