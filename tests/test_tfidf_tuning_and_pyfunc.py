"""The TF-IDF family, Optuna tuning with nested MLflow runs, and the logged pyfunc model."""

import mlflow
import numpy as np
import optuna
import pandas as pd
import pytest
from word_reviews import toy_reviews

from sentiment_assets.models.tfidf import TfidfConfig, TfidfLogisticRegression
from sentiment_assets.models.tuning import TuningConfig, tune


def test_tfidf_learns_a_separable_toy_problem_and_round_trips_through_save(tmp_path):
    model = TfidfLogisticRegression(TfidfConfig(min_df=1)).fit(toy_reviews(300, 1))
    test = toy_reviews(60, 2)
    assert (model.predict(test) == test["label_id"].to_numpy()).mean() > 0.95
    model.save(tmp_path / "m")
    again = TfidfLogisticRegression.load(tmp_path / "m")
    np.testing.assert_allclose(again.predict_proba(test), model.predict_proba(test))


def test_tfidf_rejects_a_non_positive_regularisation():
    with pytest.raises(ValueError, match="C must be > 0"):
        TfidfConfig(C=0)


def test_tuning_starts_from_the_untuned_config_logs_nested_runs_and_persists_the_study(tmp_path, temp_mlflow):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    train, valid = toy_reviews(200, 3), toy_reviews(60, 4)
    with mlflow.start_run() as parent:
        result = tune(
            "tfidf_logreg",
            train,
            valid,
            config=TuningConfig(n_trials=3),
            storage_url=storage,
            study_name="s",
            models_dir=tmp_path / "models",
            base_config=TfidfConfig(C=4.0, max_ngram=2, min_df=2),
        )
    study = optuna.load_study(study_name="s", storage=storage)
    assert len(study.trials) == 3
    assert study.trials[0].params == {"C": 4.0, "max_ngram": 2, "min_df": 2}
    assert result.best_scores["macro_f1"] == pytest.approx(study.best_value)
    children = mlflow.search_runs(filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert len(children) == 3
    # A second session continues the same study instead of starting over.
    with mlflow.start_run():
        tune(
            "tfidf_logreg",
            train,
            valid,
            config=TuningConfig(n_trials=2),
            storage_url=storage,
            study_name="s",
            models_dir=tmp_path / "models",
        )
    assert len(optuna.load_study(study_name="s", storage=storage).trials) == 5


def test_the_logged_pyfunc_model_returns_sentiment_and_probabilities_for_text(temp_mlflow):
    from sentiment_assets.models.mlflow_model import log_sentiment_model

    model = TfidfLogisticRegression(TfidfConfig(min_df=1)).fit(toy_reviews(300, 5))
    with mlflow.start_run():
        info = log_sentiment_model(model)
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    out = loaded.predict(pd.DataFrame({"review_body": ["love gorgeous perfect", "awful broke cheap"]}))
    assert out["predicted_label"].tolist() == [1, -1]
    probabilities = out[["probability_negative", "probability_neutral", "probability_positive"]].to_numpy()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    np.testing.assert_allclose(out["probability"], probabilities.max(axis=1))


def test_the_pyfunc_model_reads_text_normalised_as_in_training(temp_mlflow):
    from sentiment_assets.models.mlflow_model import log_sentiment_model

    # Entities and a soft hyphen inside words: read raw, the tokenizer sees other words.
    model = TfidfLogisticRegression(TfidfConfig(min_df=1)).fit(toy_reviews(300, 5))
    with mlflow.start_run():
        loaded = mlflow.pyfunc.load_model(log_sentiment_model(model).model_uri)
    raw = pd.DataFrame({"review_body": ['"lo&#118;e gorge&shy;ous&nbsp;perf&#101;ct"', "aw\u200bful broke\n\ncheap"]})
    clean = pd.DataFrame({"review_body": ["love gorgeous perfect", "awful broke cheap"]})
    assert not np.allclose(model.predict_proba(raw), model.predict_proba(clean))  # the raw text reads differently
    served = loaded.predict(raw)[["probability_negative", "probability_neutral", "probability_positive"]].to_numpy()
    np.testing.assert_allclose(served, model.predict_proba(clean))


def test_the_transformer_family_tunes_and_serves_through_the_same_pyfunc_model(tmp_path, temp_mlflow):
    from sentiment_assets.models.finetune_config import FineTuneConfig
    from sentiment_assets.models.mlflow_model import log_sentiment_model
    from sentiment_assets.models.transformer import TransformerClassifier

    base = FineTuneConfig(max_seq_length=16, epochs=1, batch_size=8, eval_batch_size=8)
    with mlflow.start_run():
        result = tune(
            "minilm_finetuned",
            toy_reviews(32, 6),
            toy_reviews(12, 7),
            config=TuningConfig(n_trials=1),
            storage_url=f"sqlite:///{tmp_path / 'optuna.db'}",
            study_name="t",
            models_dir=tmp_path / "models",
            base_config=base,
        )
        info = log_sentiment_model(result.best_model)
    assert isinstance(result.best_model, TransformerClassifier)
    assert result.best_model.config.learning_rate == base.learning_rate  # the baseline trial ran first
    texts = pd.DataFrame({"review_body": ["love gorgeous perfect", "awful broke cheap", "okay fine"]})
    served = mlflow.pyfunc.load_model(info.model_uri).predict(texts)
    direct = result.best_model.predict_proba(texts)
    np.testing.assert_allclose(served["probability_positive"], direct[:, 2], rtol=1e-5)
    assert set(served["predicted_label"]) <= {-1, 0, 1}
