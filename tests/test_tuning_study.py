"""tune() end to end on synthetic reviews with TF-IDF: nested MLflow runs, median pruning,
the best model kept on disk, warm start from an earlier study, and two worker processes."""

import os

import mlflow
import numpy as np
import optuna
import pandas as pd
import pytest
from labelled_reviews import labelled_reviews
from mlflow import MlflowClient
from mlflow_store import temporary_mlflow
from optuna.trial import TrialState

from sentiment_assets.models.families import load_model
from sentiment_assets.models.metrics import classification_scores
from sentiment_assets.models.tfidf import TfidfConfig, TfidfLogisticRegression
from sentiment_assets.models.tuning import SearchSpace, TfidfSpace, TuningConfig, tune

# Unigrams only, to keep fits fast; min_df up to 60 leaves a tiny vocabulary and C down to 1e-3
# barely learns, so some trials are clearly worse at every training fraction.
SPACE = SearchSpace(tfidf=TfidfSpace(C=(1e-3, 10.0), max_ngram=(1, 1), min_df=(1, 60)))
BASE = TfidfConfig(C=4.0, max_ngram=1, min_df=2)
N_TRIALS = 8


@pytest.fixture(scope="module")
def reviews() -> tuple[pd.DataFrame, pd.DataFrame]:
    """About 1,500 synthetic reviews: 1,000 to train on, the rest to validate with."""
    frame = labelled_reviews(1600, seed=11)
    frame.insert(0, "review_id", np.array([f"r{i}" for i in range(len(frame))]))
    return frame.iloc[:1000], frame.iloc[1000:]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One temporary MLflow store (slow to create) and Optuna storage for the whole module."""
    home = tmp_path_factory.mktemp("tuning")
    with temporary_mlflow(home, "tuning"):
        yield home


def storage_url(home) -> str:
    return f"sqlite:///{home / 'optuna.db'}"


@pytest.fixture(scope="module")
def tuned(home, reviews):
    """An 8-trial study with the median pruner, run inside a parent MLflow run."""
    train, valid = reviews
    with mlflow.start_run(run_name="parent") as parent:
        result = tune(
            "tfidf_logreg",
            train,
            valid,
            study_name="first",
            storage_url=storage_url(home),
            models_dir=home / "first",
            space=SPACE,
            base_config=BASE,
            config=TuningConfig(n_trials=N_TRIALS, pruner="median", pruner_startup_trials=2),
        )
    return result, parent.info.run_id


def child_runs(parent_run_id: str) -> pd.DataFrame:
    return mlflow.search_runs(filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}'")


def test_each_trial_is_a_child_run_of_the_callers_run(tuned):
    result, parent_run_id = tuned
    children = child_runs(parent_run_id)
    assert len(children) == N_TRIALS
    assert sorted(children["params.trial_number"].astype(int)) == list(range(N_TRIALS))
    assert set(children["run_id"]) == {t.user_attrs["mlflow_run_id"] for t in result.study.trials}
    assert set(children["tags.worker_pid"]) == {str(os.getpid())}
    # Intermediate scores are a history with one step per training fraction.
    baseline_run = result.study.trials[0].user_attrs["mlflow_run_id"]
    history = MlflowClient().get_metric_history(baseline_run, "val_macro_f1")
    assert sorted({m.step for m in history}) == [1, 2, 3]


def test_the_median_pruner_stops_clearly_worse_trials_and_mlflow_marks_them_pruned(tuned):
    result, parent_run_id = tuned
    pruned = [t for t in result.study.trials if t.state == TrialState.PRUNED]
    assert result.n_pruned == len(pruned) >= 1
    assert result.n_complete + result.n_pruned + result.n_failed == N_TRIALS
    assert all(len(t.intermediate_values) < 3 for t in pruned)  # stopped before the full training set
    children = child_runs(parent_run_id).set_index("run_id")
    for trial in result.study.trials:
        run = children.loc[trial.user_attrs["mlflow_run_id"]]
        assert run["tags.optuna.trial_state"] == trial.state.name
        assert run["status"] == ("KILLED" if trial.state == TrialState.PRUNED else "FINISHED")


def test_the_baseline_runs_first_and_only_the_best_trials_model_is_kept(tuned, home, reviews):
    result, _ = tuned
    _, valid = reviews
    assert result.study.trials[0].params == {"C": 4.0, "max_ngram": 1, "min_df": 2}
    assert result.best_trial_number == result.study.best_trial.number
    assert result.best_params == result.study.best_params
    assert [p.name for p in (home / "first").glob("trial-*")] == [f"trial-{result.best_trial_number}"]
    scores = classification_scores(valid["label_id"].to_numpy(), load_model(result.best_model_dir).predict(valid))
    assert scores == pytest.approx(result.best_scores)
    assert result.best_scores["macro_f1"] == pytest.approx(result.study.best_value)
    assert set(result.plots.paths) == {"optimization_history", "intermediate_values", "param_importances"}


def test_a_warm_started_study_first_retries_the_previous_studys_best_params(tuned, home, reviews):
    first, _ = tuned
    train, valid = reviews
    previous_best = sorted(
        (t for t in first.study.trials if t.state == TrialState.COMPLETE), key=lambda t: t.value, reverse=True
    )[:2]
    with mlflow.start_run(run_name="second data version"):
        second = tune(
            "tfidf_logreg",
            train,
            valid,
            study_name="second",
            storage_url=storage_url(home),
            models_dir=home / "second",
            space=SPACE,
            base_config=BASE,
            config=TuningConfig(n_trials=3, pruner="none", warm_start_from="first", warm_start_top_k=2),
        )
    trials = second.study.trials
    assert [t.params for t in trials[:2]] == [t.params for t in previous_best]
    assert [t.user_attrs["warm_start_trial"] for t in trials[:2]] == [t.number for t in previous_best]
    assert all(t.user_attrs["warm_start_from"] == "first" for t in trials[:2])
    assert len(trials) == 3 and second.n_complete == 3


def test_warm_starting_from_a_study_that_does_not_exist_is_an_error(home, reviews):
    train, valid = reviews
    with mlflow.start_run(), pytest.raises(ValueError, match="'missing'"):
        tune(
            "tfidf_logreg",
            train,
            valid,
            study_name="orphan",
            storage_url=storage_url(home),
            models_dir=home / "orphan",
            space=SPACE,
            config=TuningConfig(n_trials=1, warm_start_from="missing"),
        )


def test_two_worker_processes_on_one_sqlite_storage_complete_every_trial(home, reviews):
    train, valid = reviews
    with mlflow.start_run(run_name="parallel") as parent:
        result = tune(
            "tfidf_logreg",
            train,
            valid,
            study_name="parallel",
            storage_url=storage_url(home),
            models_dir=home / "parallel",
            space=SPACE,
            base_config=BASE,
            config=TuningConfig(n_trials=4, pruner="none", n_workers=2),
        )
    study = optuna.load_study(study_name="parallel", storage=storage_url(home))
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 4
    # The enqueued untuned candidate runs in this process first (on SQLite two workers could both
    # claim an enqueued trial); the sampled trials are spread over the two worker processes.
    assert study.trials[0].user_attrs["worker_pid"] == os.getpid()
    pids = {t.user_attrs["worker_pid"] for t in study.trials[1:]}
    assert len(pids) == 2 and os.getpid() not in pids
    assert len(child_runs(parent.info.run_id)) == 4
    assert isinstance(result.best_model, TfidfLogisticRegression)
    assert len(result.best_model.predict(valid)) == len(valid)
    assert [p.name for p in (home / "parallel").glob("trial-*")] == [f"trial-{result.best_trial_number}"]


def test_tuning_outside_an_mlflow_run_is_refused(home, reviews):
    train, valid = reviews
    with pytest.raises(RuntimeError, match="active MLflow run"):
        tune(
            "tfidf_logreg",
            train,
            valid,
            study_name="no-run",
            storage_url=storage_url(home),
            models_dir=home / "no-run",
            config=TuningConfig(n_trials=1),
        )


def test_on_small_data_trials_are_judged_by_cross_validation_over_train_and_validation(home, reviews):
    train, valid = reviews[0].iloc[:300], reviews[1].iloc[:60]
    pool = pd.concat([train, valid], ignore_index=True)
    with mlflow.start_run(run_name="small"):
        result = tune(
            "tfidf_logreg",
            train,
            valid,
            study_name="small-cv",
            storage_url=storage_url(home),
            models_dir=home / "small-cv",
            space=SPACE,
            base_config=BASE,
            config=TuningConfig(n_trials=3, pruner="none", cv_folds=4),
        )
    assert result.evaluation == "4-fold cross-validation over 360 reviews"
    # The untuned candidate (trial 0) scored again by hand: out-of-fold over all 360 reviews.
    from sentiment_assets.models.cross_validation import out_of_fold_label_ids

    first = result.study.trials[0]
    expected = classification_scores(
        pool["label_id"].to_numpy(), out_of_fold_label_ids(lambda: TfidfLogisticRegression(BASE), pool, 4, seed=42)
    )["macro_f1"]
    assert first.value == pytest.approx(expected)
    # ... and not the validation-split score of a model fitted on train alone.
    split_score = classification_scores(
        valid["label_id"].to_numpy(), TfidfLogisticRegression(BASE).fit(train).predict(valid)
    )["macro_f1"]
    assert first.value != pytest.approx(split_score)
    # The model handed on was fitted on train only (calibration is fitted on validation next).
    assert result.best_model.predict(valid).shape == (60,)


def test_cv_folds_of_one_is_refused():
    with pytest.raises(ValueError, match="cv_folds"):
        TuningConfig(cv_folds=1)
