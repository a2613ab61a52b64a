"""The models the endpoint serves: the registry's `champion` and, if aliased, its `challenger`.

Each alias is resolved to a version number first and that exact version is loaded, so the
version named in a response header is the one that scored it even if an alias moves while the
server starts. Moving an alias afterwards takes effect on the next server start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from sentiment_assets.approval import CHAMPION_ALIAS
from sentiment_assets.serving.routing import CHALLENGER, CHAMPION

CHALLENGER_ALIAS = "challenger"
#: Registry alias per routing variant.
ALIASES: dict[str, str] = {CHAMPION: CHAMPION_ALIAS, CHALLENGER: CHALLENGER_ALIAS}


class NoChampionError(LookupError):
    """The registry has nothing to serve: no `champion` alias on the registered model."""


@dataclass(frozen=True)
class Variant:
    """A loaded model version answering as `name` (champion or challenger)."""

    name: str
    version: str
    model_uri: str
    model: Any  # mlflow.pyfunc.PyFuncModel, or anything with the same predict()

    def predict(self, texts: list[str]) -> tuple[list[int], list[float]]:
        """Predicted labels (-1/0/1) and their probabilities, one per text, in order."""
        scored = self.model.predict(pd.DataFrame({"review_body": texts}))
        return [int(label) for label in scored["predicted_label"]], [float(p) for p in scored["probability"]]


def load_variants(tracking_uri: str, model_name: str) -> dict[str, Variant]:
    """The champion (required) and the challenger (when the alias exists), keyed by variant."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    variants: dict[str, Variant] = {}
    for variant, alias in ALIASES.items():
        try:
            version = client.get_model_version_by_alias(model_name, alias).version
        except MlflowException as error:
            if error.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise  # an unreachable store must not look like "no challenger"
            if variant == CHAMPION:
                raise NoChampionError(f"{model_name} has no '{alias}' alias in {tracking_uri}; register and approve "
                                   "a model first (the registered_model asset, or python -m sentiment_assets.approve)") from None
            continue
        model_uri = f"models:/{model_name}/{version}"
        variants[variant] = Variant(variant, str(version), model_uri, mlflow.pyfunc.load_model(model_uri))
    return variants
