"""Every family logged to MLflow as one pyfunc flavour with one input and output shape.

Input: a DataFrame with a `review_body` column (or a list of strings). Output: a DataFrame with
`predicted_label` (-1/0/1), `probability` (of that label) and the three class probabilities, so
the registry's champion can be scored or served without knowing its family.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.artifacts import download_artifacts
from mlflow.models import Model, infer_signature
from mlflow.models.model import ModelInfo
from mlflow.pyfunc.model import PythonModel

from sentiment_assets.features.text_normalisation import normalise_review_texts
from sentiment_assets.labels import SENTIMENT_NAMES, label_id_from_sentiment, sentiment_from_label_id
from sentiment_assets.models.base import SentimentClassifier
from sentiment_assets.models.calibration import decide, decision_offsets_of
from sentiment_assets.models.families import load_model, save_model

PYFUNC_CODE = Path(__file__).with_name("pyfunc_code.py")
# Listed explicitly: MLflow's requirement inference re-imports the model in a subprocess (slow).
_REQUIREMENTS = ("pandas", "numpy", "scikit-learn", "skops", "torch", "transformers", "mlflow")


def predictions_frame(probabilities: np.ndarray, decision_offsets: np.ndarray | None = None) -> pd.DataFrame:
    """The output shape shared by batch scoring, the pyfunc model and the endpoint: the label
    `decide` gives (a calibrated model's own decision with its `decision_offsets`), the
    probability of that label and all three."""
    probabilities = np.asarray(probabilities)
    label_ids = decide(probabilities, decision_offsets)
    frame = pd.DataFrame(
        {
            "predicted_label": sentiment_from_label_id(label_ids),
            "probability": probabilities[np.arange(len(label_ids)), label_ids],
        }
    )
    for label_id, sentiment in enumerate(SENTIMENT_NAMES):
        frame[f"probability_{SENTIMENT_NAMES[sentiment]}"] = probabilities[:, label_id]
    return frame


def predict_reviews(model: SentimentClassifier, model_input) -> pd.DataFrame:
    """predictions_frame for a DataFrame with `review_body` (else its first column is the text)
    or a list of strings, the text normalised as training saw it."""
    if isinstance(model_input, pd.DataFrame):
        reviews = (
            model_input if "review_body" in model_input else model_input.iloc[:, [0]].set_axis(["review_body"], axis=1)
        )
    else:
        reviews = pd.DataFrame({"review_body": list(model_input)})
    # The text as training saw it (batch scoring reads it normalised at ingest): a served
    # review with "&#039;" or wrapping quotes gets the same prediction as the stored one.
    reviews = reviews.reset_index(drop=True).assign(review_body=lambda r: normalise_review_texts(r["review_body"]))
    return predictions_frame(model.predict_proba(reviews), decision_offsets_of(model.predict_proba))


class SentimentPyfunc(PythonModel):
    """What mlflow.pyfunc.load_model returns the predictions of (set by pyfunc_code.py)."""

    def load_context(self, context) -> None:
        self.model = load_model(Path(context.artifacts["model_dir"]))

    def predict(self, context, model_input, params=None) -> pd.DataFrame:
        return predict_reviews(self.model, model_input)


class LoggedSentimentModel:
    """A logged model as `load_logged_model` returns it: the classifier (`model`) and the
    pyfunc model's `predict`."""

    def __init__(self, model: SentimentClassifier):
        self.model = model

    def predict(self, model_input, params=None) -> pd.DataFrame:
        return predict_reviews(self.model, model_input)


def load_logged_model(model_uri: str, *, tracking_uri: str | None = None) -> LoggedSentimentModel:
    """The model logged at `model_uri` (runs:/, models:/name/version, models:/name@alias, ...),
    read by families.load_model from the model's files: no pickle is opened and none of the
    model's code (pyfunc_code.py, a python_model.pkl of an older version) runs, unlike
    mlflow.pyfunc.load_model. Anyone who can write to the artifact store can change those.

    `tracking_uri` (None: MLflow's global one) resolves runs:/ and mlflow-artifacts:/ URIs; a
    models:/ URI is resolved against the global registry URI whatever it is (MLflow's own
    limitation), so a caller with an explicit registry passes the version's download URI."""
    with tempfile.TemporaryDirectory(prefix="logged-model-") as scratch:
        local = Path(download_artifacts(artifact_uri=model_uri, dst_path=scratch, tracking_uri=tracking_uri))
        artifacts = Model.load(str(local)).flavors["python_function"]["artifacts"]
        # Everything is read into memory here: the download goes when this block ends.
        return LoggedSentimentModel(load_model(local / artifacts["model_dir"]["path"]))


def log_sentiment_model(model: SentimentClassifier, name: str = "model") -> ModelInfo:
    """Log `model` into the active MLflow run as a pyfunc model; returns its ModelInfo (model_uri)."""
    with tempfile.TemporaryDirectory() as scratch:
        model_dir = save_model(model, Path(scratch) / "model")
        example = pd.DataFrame(
            {"review_body": ["Love the fit, the fabric is soft.", "Runs small and the zipper broke."]}
        )
        return mlflow.pyfunc.log_model(
            name=name,
            python_model=str(PYFUNC_CODE),  # models from code: no cloudpickle of the model object
            artifacts={"model_dir": str(model_dir)},
            pip_requirements=[f"{p}=={version(p)}" for p in _REQUIREMENTS],
            signature=infer_signature(example, predictions_frame(np.full((2, 3), 1 / 3))),
            input_example=example,
        )


def pyfunc_label_ids(model) -> Callable[[pd.DataFrame], np.ndarray]:
    """A logged model's predictions as label ids (0/1/2), for scoring it like any classifier."""
    return lambda reviews: label_id_from_sentiment(model.predict(reviews)["predicted_label"].to_numpy())
