"""No secret in what people read (asset metadata, run logs, MLflow, model cards), and no model or
checkpoint file that runs code when it is loaded."""

import io
import json
import os
from pathlib import Path

import dagster as dg
import mlflow
import pandas as pd
import pytest
import torch
from mlflow.models import Model
from transformers import BertConfig
from word_reviews import toy_reviews

from resources.environment import Profile
from resources.optuna_storage import OptunaStorage
from resources.profiles import resources_for
from sentiment_assets.defs.train_tune.tuned_model import tuned_model
from sentiment_assets.features.feature_group import REVIEWS_FEATURE_GROUP
from sentiment_assets.features.store import OfflineFeatureStore
from sentiment_assets.models.families import FAMILY_FILE, load_model
from sentiment_assets.models.mlflow_model import load_logged_model, log_sentiment_model
from sentiment_assets.models.model_card import TunedModelCard
from sentiment_assets.models.resume import restore_checkpoint
from sentiment_assets.models.safe_loading import RefusedUnsafeFile, load_estimator
from sentiment_assets.models.tfidf import TfidfConfig, TfidfLogisticRegression
from sentiment_assets.redaction import REDACTED, redact, redact_text, redact_url

SENTINEL = "Sentinel-Pa55word"


class WritesAMarker:
    """Unpickled, it opens (creates) `marker`: what a crafted model file would do with os.system."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def crafted_pickle(marker: Path) -> bytes:
    buffer = io.BytesIO()
    torch.save({"format": 2, "model": WritesAMarker(marker)}, buffer)  # torch.save: a zip around a pickle
    return buffer.getvalue()


# --- secrets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql://optuna:Sentinel-Pa55word@db.internal:5432/optuna",
            "postgresql://optuna:***@db.internal:5432/optuna",
        ),
        (
            "mysql+pymysql://u:Sentinel-Pa55word@h/db?ssl=true&password=Sentinel-Pa55word",
            "mysql+pymysql://u:***@h/db?ssl=true&password=***",
        ),
        (
            "https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE&X-Amz-Signature=Sentinel-Pa55word",
            "https://b.s3.amazonaws.com/k?X-Amz-Credential=***&X-Amz-Signature=***",
        ),
        ("sqlite:////tmp/optuna/optuna.db", "sqlite:////tmp/optuna/optuna.db"),
    ],
)
def test_a_url_is_shown_without_its_password_and_secret_query_values(url, shown):
    assert redact_url(url) == shown


def test_log_lines_and_nested_settings_lose_passwords_tokens_and_aws_keys_but_keep_the_rest():
    line = (
        "connect host=db password=Sentinel-Pa55word with --token Sentinel-Pa55word as AKIAIOSFODNN7EXAMPLE "
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY run 3f786850e387550fdab836ed7e6dc881de23001b max_tokens=64"
    )
    shown = redact_text(line)
    assert SENTINEL not in shown and "AKIA" not in shown and "wJalr" not in shown
    assert "host=db" in shown and "3f786850e387550fdab836ed7e6dc881de23001b" in shown and "max_tokens=64" in shown
    settings = {
        "aws_secret_access_key": "x",
        "passed": True,
        "partition_key": "a.csv",
        "nested": [{"url": "redis://:p@h/0"}],
    }
    assert redact(settings) == {
        "aws_secret_access_key": REDACTED,
        "passed": True,
        "partition_key": "a.csv",
        "nested": [{"url": "redis://:***@h/0"}],
    }


@pytest.fixture(scope="module")
def tuned_with_a_secret_in_the_storage_url(tmp_path_factory):
    """tuned_model materialized with an Optuna storage URL that carries a password (SQLite refuses
    a user:password@ part, so the password rides in the query, as libpq's does)."""
    home = tmp_path_factory.mktemp("secret_home")
    every = resources_for(Profile.LOCAL, home=home)
    resources = {name: every[name] for name in ("warehouse", "artifacts", "mlflow_tracking", "compute")}
    resources["optuna_storage"] = OptunaStorage(url=f"sqlite:///{home / 'optuna.db'}?password={SENTINEL}")
    warehouse = resources["warehouse"]
    reviews = pd.concat(
        [toy_reviews(120, 1).assign(split_type="train"), toy_reviews(40, 2).assign(split_type="validation")]
    )
    OfflineFeatureStore(warehouse).ingest(
        REVIEWS_FEATURE_GROUP,
        reviews.assign(
            date=pd.Timestamp("2024-05-01"), sentiment=reviews["label_id"] - 1, input_ids=[[101, 7, 102]] * len(reviews)
        ),
    )
    warehouse.write_table(
        "model_leaderboard",
        pd.DataFrame(
            {
                "rank": [1],
                "family": ["tfidf_logreg"],
                "val_macro_f1": [0.5],
                "config_json": [json.dumps({"C": 4.0, "max_ngram": 1, "min_df": 1})],
            }
        ),
    )
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [tuned_model],
        resources=resources,
        instance=instance,
        run_config={"ops": {"tuned_model": {"config": {"n_trials": 2}}}},
    )
    assert result.success
    return home, resources, instance, result


def test_the_storage_password_is_nowhere_in_the_model_card_metadata_logs_or_mlflow(
    tuned_with_a_secret_in_the_storage_url,
):
    home, resources, instance, result = tuned_with_a_secret_in_the_storage_url
    card = (home / "artifacts" / TunedModelCard.ARTIFACT).read_text()
    assert SENTINEL not in card
    assert json.loads(card)["study"]["storage"].endswith("optuna.db?password=***")  # still says where the study is
    [event] = result.get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    assert SENTINEL not in str(metadata) and metadata["optuna_storage"].endswith("?password=***")
    assert not [e.message for e in instance.all_logs(result.run_id) if SENTINEL in (e.message or "")]
    with resources["mlflow_tracking"].activated():
        runs = mlflow.search_runs(search_all_experiments=True)
    assert len(runs) >= 3  # the tuned_model run and its trials
    recorded = runs.filter(regex=r"^(params|tags)\.").astype(str).to_numpy().ravel().tolist()
    assert not [value for value in recorded if SENTINEL in value]


def test_a_storage_url_with_a_password_in_run_config_fails_the_run_without_echoing_it(
    tuned_with_a_secret_in_the_storage_url,
):
    home, resources, _, _ = tuned_with_a_secret_in_the_storage_url
    instance = dg.DagsterInstance.ephemeral()
    storage = f"postgresql://optuna:{SENTINEL}@db.internal/optuna"
    result = dg.materialize(
        [tuned_model],
        resources=resources,
        instance=instance,
        raise_on_error=False,
        run_config={"ops": {"tuned_model": {"config": {"optuna_storage": storage}}}},
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    error = failure.step_failure_data.error
    assert error is not None and "SENTIMENT_OPTUNA_STORAGE" in str(error.message)
    assert not [
        e
        for e in instance.all_logs(result.run_id)
        if SENTINEL in (e.message or "") or (e.dagster_event and SENTINEL in str(e.dagster_event.event_specific_data))
    ]


# --- safe loading ---------------------------------------------------------------------------


def test_the_crafted_file_would_run_code_if_it_were_unpickled(tmp_path):
    # The control for the tests below: the same bytes, fully unpickled, write the marker.
    torch.load(io.BytesIO(crafted_pickle(tmp_path / "ran")), weights_only=False)
    assert (tmp_path / "ran").exists()


def test_a_checkpoint_crafted_to_run_code_is_refused_and_the_code_never_runs(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(RefusedUnsafeFile, match="refused the checkpoint in s3://shared/checkpoints"):
        restore_checkpoint(crafted_pickle(marker), None, None, None, {}, "", where="s3://shared/checkpoints")
    assert not marker.exists()


def _minilm_finetuned_dir(directory: Path) -> None:
    config = BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
    config.num_labels = 3  # a property: BertConfig's typed __init__ does not name it
    config.save_pretrained(directory)
    (directory / "finetune_config.json").write_text("{}")


def _embeddings_dir(directory: Path) -> None:
    (directory / "embeddings_config.json").write_text("{}")


@pytest.mark.parametrize(
    ("family", "pickle_name", "other_files"),
    [
        ("tfidf_logreg", "tfidf_logreg.joblib", lambda d: None),
        ("tfidf_linear_svm", "tfidf_linear_svm.joblib", lambda d: None),
        ("minilm_embeddings_linear", "embeddings_head.joblib", _embeddings_dir),
        ("minilm_finetuned", "pytorch_model.bin", _minilm_finetuned_dir),
    ],
)
def test_a_saved_model_whose_file_is_a_crafted_pickle_is_refused_and_the_code_never_runs(
    tmp_path, family, pickle_name, other_files
):
    model_dir, marker = tmp_path / "model", tmp_path / "ran"
    model_dir.mkdir()
    (model_dir / FAMILY_FILE).write_text(family)
    other_files(model_dir)
    (model_dir / pickle_name).write_bytes(crafted_pickle(marker))
    with pytest.raises(RefusedUnsafeFile, match="loading a pickle can run code"):
        load_model(model_dir)
    assert not marker.exists()


def test_a_skops_file_naming_a_function_outside_scikit_learn_is_refused(tmp_path):
    import skops.io

    skops.io.dump({"step": os.system}, tmp_path / "model.skops")
    with pytest.raises(RefusedUnsafeFile, match="system"):
        load_estimator(tmp_path / "model.skops")


def test_a_logged_model_holds_no_pickle_and_loads_without_running_any_of_its_files(tmp_path, temp_mlflow):
    model = TfidfLogisticRegression(TfidfConfig(min_df=1)).fit(toy_reviews(200, 3))
    with mlflow.start_run():
        info = log_sentiment_model(model)
    [model_root] = {p.parent for p in (temp_mlflow / "artifacts").rglob("MLmodel")}
    files = [p for p in model_root.rglob("*") if p.is_file()]
    assert not [p.name for p in files if p.suffix in {".pkl", ".joblib", ".bin", ".pt", ".pth", ".pickle"}]
    assert "python_model" not in Model.load(str(model_root)).flavors["python_function"]  # no cloudpickle

    # Someone with write access to the artifact store plants code in the model's own files.
    marker = tmp_path / "ran"
    (model_root / "python_model.pkl").write_bytes(crafted_pickle(marker))
    [code] = [p for p in files if p.name == "pyfunc_code.py"]
    code.write_text(f"open({str(marker)!r}, 'w')\n" + code.read_text())
    texts = pd.DataFrame({"review_body": ["love gorgeous perfect", "awful broke cheap"]})
    served = load_logged_model(info.model_uri).predict(texts)
    assert served["predicted_label"].tolist() == [1, -1]
    assert not marker.exists()
