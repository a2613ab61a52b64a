"""The leaderboard: what run_candidate measures, and how rank_candidates orders candidates."""

import pandas as pd
import pytest
from labelled_reviews import labelled_reviews

from sentiment_assets.models.cross_validation import out_of_fold_label_ids, usable_folds
from sentiment_assets.models.leaderboard import (
    OBJECTIVES,
    CandidateResult,
    leaderboard_row,
    rank_candidates,
    run_candidate,
)
from sentiment_assets.models.tfidf import TfidfConfig, TfidfLogisticRegression
from sentiment_assets.models.tfidf_gbm import TfidfGbmConfig, TfidfGradientBoosting

# Five candidates, each best at exactly one objective (the family name says which).
ROWS = [
    {
        "family": "most_accurate",
        "val_accuracy": 0.90,
        "val_macro_f1": 0.50,
        "val_balanced_accuracy": 0.50,
        "train_seconds": 10.0,
        "inference_reviews_per_s": 100.0,
    },
    {
        "family": "best_macro_f1",
        "val_accuracy": 0.80,
        "val_macro_f1": 0.70,
        "val_balanced_accuracy": 0.60,
        "train_seconds": 20.0,
        "inference_reviews_per_s": 200.0,
    },
    {
        "family": "most_balanced",
        "val_accuracy": 0.70,
        "val_macro_f1": 0.60,
        "val_balanced_accuracy": 0.80,
        "train_seconds": 30.0,
        "inference_reviews_per_s": 50.0,
    },
    {
        "family": "quickest_to_train",
        "val_accuracy": 0.60,
        "val_macro_f1": 0.40,
        "val_balanced_accuracy": 0.40,
        "train_seconds": 1.0,
        "inference_reviews_per_s": 10.0,
    },
    {
        "family": "fastest_to_score",
        "val_accuracy": 0.50,
        "val_macro_f1": 0.30,
        "val_balanced_accuracy": 0.30,
        "train_seconds": 40.0,
        "inference_reviews_per_s": 1000.0,
    },
]
WINNER = {
    "val_accuracy": "most_accurate",
    "val_macro_f1": "best_macro_f1",
    "val_balanced_accuracy": "most_balanced",
    "train_seconds": "quickest_to_train",
    "inference_reviews_per_s": "fastest_to_score",
}


pytestmark = pytest.mark.usefixtures("blas_on_one_thread")


@pytest.fixture(scope="module")
def reviews() -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = labelled_reviews(1200, seed=5)
    return frame.iloc[:900].reset_index(drop=True), frame.iloc[900:].reset_index(drop=True)


@pytest.mark.parametrize("objective", list(OBJECTIVES))
def test_ranking_by_each_objective_puts_its_best_candidate_first(objective):
    board = rank_candidates(ROWS, objective)
    assert board.loc[0, "family"] == WINNER[objective]
    assert list(board.columns)[0] == "rank" and board["rank"].tolist() == [1, 2, 3, 4, 5]


def test_ranking_by_training_time_puts_the_slowest_last():
    board = rank_candidates(pd.DataFrame(ROWS), "train_seconds")
    assert board["train_seconds"].tolist() == [1.0, 10.0, 20.0, 30.0, 40.0]


def test_candidates_tied_on_the_objective_are_ordered_by_the_tie_breaker():
    tied = [
        {**ROWS[0], "family": "worse_f1", "val_macro_f1": 0.2},
        {**ROWS[0], "family": "better_f1", "val_macro_f1": 0.9},
    ]
    assert rank_candidates(tied, "val_accuracy")["family"].tolist() == ["better_f1", "worse_f1"]


def test_ranking_a_ranked_board_again_replaces_its_ranks():
    board = rank_candidates(rank_candidates(ROWS, "val_accuracy"), "train_seconds")
    assert list(board.columns).count("rank") == 1
    assert board.loc[0, "family"] == "quickest_to_train" and board.loc[0, "rank"] == 1


def test_an_unknown_objective_is_refused_with_the_known_ones_listed():
    with pytest.raises(ValueError, match="unknown objective 'val_loss'.*val_macro_f1.*train_seconds"):
        rank_candidates(ROWS, "val_loss")


def test_a_leaderboard_missing_the_objective_column_is_refused():
    with pytest.raises(ValueError, match="no inference_reviews_per_s column"):
        rank_candidates(
            [{k: v for k, v in row.items() if k != "inference_reviews_per_s"} for row in ROWS],
            "inference_reviews_per_s",
        )


def test_run_candidate_fits_the_model_and_judges_it_on_the_validation_reviews(reviews):
    train, valid = reviews
    reports = []
    result = run_candidate(TfidfLogisticRegression(TfidfConfig(max_features=5000)), train, valid, reports.append)
    assert isinstance(result, CandidateResult)
    assert len(reports) == 1 and reports[0].metrics["val_macro_f1"] == pytest.approx(result.val_macro_f1)
    assert 0.5 < result.val_accuracy <= 1 and 0.4 < result.val_macro_f1 <= 1
    assert 0 < result.val_balanced_accuracy <= 1
    assert result.train_seconds > 0 and result.inference_reviews_per_s > 0
    assert result.validation_reviews == len(valid)
    assert result.time_budget_s is None and not result.stopped_by_budget and not result.over_budget
    # The score comes with its uncertainty: a bootstrap interval around it, wider on fewer reviews.
    assert result.val_macro_f1_low < result.val_macro_f1 < result.val_macro_f1_high
    few = run_candidate(TfidfLogisticRegression(TfidfConfig(max_features=5000)), train, valid.iloc[:40])
    assert few.val_macro_f1_high - few.val_macro_f1_low > result.val_macro_f1_high - result.val_macro_f1_low


def test_a_one_shot_trainer_over_its_budget_is_reported_over_it_not_stopped(reviews):
    train, valid = reviews
    result = run_candidate(TfidfLogisticRegression(TfidfConfig(max_features=5000, time_budget_s=1e-6)), train, valid)
    assert result.time_budget_s == 1e-6
    assert result.over_budget and not result.stopped_by_budget


def test_a_stepwise_trainer_that_kept_its_budget_by_stopping_early_says_so(reviews):
    train, valid = reviews
    config = TfidfGbmConfig(n_components=30, iter_chunk=5, n_threads=1, time_budget_s=1e-3)
    result = run_candidate(TfidfGradientBoosting(config), train, valid)
    assert result.stopped_by_budget


def test_a_leaderboard_row_is_flat_and_starts_with_the_family():
    result = CandidateResult(
        val_accuracy=0.8,
        val_macro_f1=0.6,
        val_balanced_accuracy=0.65,
        train_seconds=2.0,
        inference_reviews_per_s=900.0,
        validation_reviews=100,
        time_budget_s=60.0,
        stopped_by_budget=False,
        over_budget=False,
    )
    row = leaderboard_row("tfidf_logreg", result)
    assert list(row)[0] == "family" and row["family"] == "tfidf_logreg"
    assert all(not isinstance(value, (dict, list)) for value in row.values())
    assert set(OBJECTIVES) <= set(row)
    assert rank_candidates([row], "val_macro_f1").loc[0, "rank"] == 1


def test_run_candidate_refuses_an_empty_validation_split(reviews):
    with pytest.raises(ValueError, match="at least one validation review"):
        run_candidate(TfidfLogisticRegression(), reviews[0], reviews[1].iloc[:0])


def test_small_data_is_judged_by_stratified_cross_validation_over_train_and_validation(reviews):
    train, valid = reviews
    small_train, small_valid = train.iloc[:240], valid.iloc[:30]
    result = run_candidate(
        TfidfLogisticRegression(TfidfConfig(max_features=5000)), small_train, small_valid, cv_folds=5
    )
    assert result.evaluation == "5-fold cross-validation" and result.validation_reviews == 270
    assert result.val_macro_f1_low < result.val_macro_f1 < result.val_macro_f1_high
    # Folds never outnumber the rarest class's reviews; with one review of a class there is no folding.
    assert usable_folds(pd.Series([0] * 3 + [1] * 10 + [2] * 10), 5) == 3
    assert usable_folds(pd.Series([0] + [1] * 10 + [2] * 10), 5) == 0
    plain = run_candidate(TfidfLogisticRegression(TfidfConfig(max_features=5000)), small_train, small_valid)
    assert plain.evaluation == "validation split" and plain.validation_reviews == 30


def test_out_of_fold_predictions_come_from_models_that_never_saw_the_review(reviews):
    train, _ = reviews
    pool = train.iloc[:200].reset_index(drop=True)
    # A model that saw a review predicts it better than the fold model that did not.
    predicted = out_of_fold_label_ids(lambda: TfidfLogisticRegression(TfidfConfig(max_features=5000)), pool, folds=4)
    assert len(predicted) == len(pool) and set(predicted) <= {0, 1, 2}
    fitted_on_all = TfidfLogisticRegression(TfidfConfig(max_features=5000)).fit(pool).predict(pool)
    assert (predicted == pool["label_id"]).mean() < (fitted_on_all == pool["label_id"]).mean()
