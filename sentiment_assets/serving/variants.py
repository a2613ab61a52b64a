"""The models the endpoint serves: the registry's `champion` and, if aliased, its `challenger`.

Each alias is resolved to a version number first and that exact version is loaded, so the
version named in a response header is the one that scored it even if an alias moves while the
server starts. Moving an alias afterwards takes effect on the next server start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from sentiment_assets.registry.approval import CHAMPION_ALIAS
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
    model: Any  # mlflow_model.LoggedSentimentModel, or anything with the same predict()

    def predict(self, texts: list[str]) -> tuple[list[int], list[float]]:
        """Predicted labels (-1/0/1) and their probabilities, one per text, in order."""
        scored = self.model.predict(pd.DataFrame({"review_body": texts}))
        return [int(label) for label in scored["predicted_label"]], [float(p) for p in scored["probability"]]


def load_variants(tracking_uri: str, model_name: str) -> dict[str, Variant]:
    """The champion (required) and the challenger (when the alias exists), keyed by variant.

    Everything goes through a client on `tracking_uri` (also the registry): MLflow's
    process-global tracking and registry URIs are neither read nor set."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from sentiment_assets.models.mlflow_model import load_logged_model
    from sentiment_assets.redaction import redact_url

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    no_champion = NoChampionError(
        f"{model_name} has no '{CHAMPION_ALIAS}' alias in {redact_url(tracking_uri)}; register and approve "
        "a model first (the registered_model asset, or sentiment-assets registry approve VERSION)"
    )
    try:
        # One read gives every alias: no error code has to mean "absent". (MLflow 3 reports a
        # missing alias as INVALID_PARAMETER_VALUE, MLflow 2 as RESOURCE_DOES_NOT_EXIST.)
        aliases = client.get_registered_model(model_name).aliases
    except MlflowException as error:
        if error.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise  # an unreachable store must not look like "no model"
        raise no_champion from None
    if CHAMPION_ALIAS not in aliases:
        raise no_champion
    variants: dict[str, Variant] = {}
    for variant, alias in ALIASES.items():
        if alias not in aliases:
            continue  # no challenger: the champion serves alone
        version = str(aliases[alias])
        model_uri = f"models:/{model_name}/{version}"
        # Where the version's files are, asked of this client: downloading a models:/ URI itself
        # would resolve it against the global registry URI.
        files = client.get_model_version_download_uri(model_name, version)
        variants[variant] = Variant(variant, version, model_uri, load_logged_model(files, tracking_uri=tracking_uri))
    return variants
