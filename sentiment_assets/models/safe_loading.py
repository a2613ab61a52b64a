"""Model files that load without running code.

A pickle (joblib, torch.load(weights_only=False), MLflow's cloudpickle) runs whatever its bytes
ask for while it loads, so anyone who can write to the artifact store, a shared checkpoint
prefix or the registry could run code on every machine that loads a model. Instead:
scikit-learn estimators are saved with skops (a zip of JSON and arrays; loading rebuilds only
types it has been told to trust), transformer weights as safetensors, checkpoints as tensors
and plain values read with torch.load(weights_only=True), settings as JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Types a saved TF-IDF pipeline or embedding head holds that skops does not trust by default
# (it trusts scikit-learn's public estimators, numpy and scipy): private parts of scikit-learn
# estimators we train, which hold fitted numbers only. Found with skops.io.get_untrusted_types.
TRUSTED_SKLEARN_TYPES = (
    "sklearn.calibration._CalibratedClassifier",  # tfidf_linear_svm: one calibrated fold
    "sklearn.calibration._SigmoidCalibration",  # tfidf_linear_svm: its Platt scaling
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",  # tfidf_gbm: one tree
)


class RefusedUnsafeFile(ValueError):
    """A model or checkpoint file that could run code when loaded, refused before it was read."""


def save_estimator(estimator: Any, path: Path) -> Path:
    """Write a fitted scikit-learn estimator (or pipeline) to `path` in skops' format."""
    import skops.io

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    skops.io.dump(estimator, path)
    return path


def load_estimator(path: Path) -> Any:
    """The estimator saved at `path`; refuses (RefusedUnsafeFile) a file that holds any type
    outside scikit-learn's, numpy's and TRUSTED_SKLEARN_TYPES, before building any of it."""
    import skops.io
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        return skops.io.load(Path(path), trusted=list(TRUSTED_SKLEARN_TYPES))
    except UntrustedTypesFoundException as refused:
        raise RefusedUnsafeFile(f"refused {path}: it holds types no saved model of ours holds ({refused})") from refused


def refuse_pickle(directory: Path, pickle_name: str, expected_name: str) -> None:
    """Explain, when `directory` has only the pickle that older versions wrote, that it will not
    be loaded; otherwise do nothing (a missing file then fails where it is opened)."""
    directory = Path(directory)
    if not (directory / expected_name).exists() and (directory / pickle_name).exists():
        raise RefusedUnsafeFile(
            f"refused {directory / pickle_name}: a pickle (written by an older version of this code), "
            f"and loading a pickle can run code. Retrain the model, or re-save it with this version "
            f"from a copy you trust (it then writes {expected_name})."
        )
