"""MLflow tracking and model registry, configured once and handed to the assets.

dagster-mlflow is op-era and has no ConfigurableResource; this small resource sets the URIs,
owns the experiment and turns run ids into links for asset metadata.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from sentiment_assets.redaction import redact_url


class MlflowResource(dg.ConfigurableResource):
    """Where runs, models and registry entries go.

    Locally a SQLite store (tracking + registry) and an artifact directory; on AWS a tracking
    server URI from the environment.
    """

    tracking_uri: str
    artifact_root: str | None = None
    experiment_name: str = "sentiment-assets"
    registered_model_name: str = "review-sentiment"
    ui_url: str = "http://127.0.0.1:5000"

    def activate(self) -> str:
        """Point the mlflow client at this store and return the experiment id (created if new)."""
        import mlflow

        if self.tracking_uri.startswith("sqlite:///"):
            # SQLite will not create the directory its database file lives in.
            Path(self.tracking_uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        mlflow.set_tracking_uri(self.tracking_uri)
        mlflow.set_registry_uri(self.tracking_uri)
        experiment = mlflow.get_experiment_by_name(self.experiment_name)
        if experiment is not None:
            experiment_id = experiment.experiment_id
        else:
            location = self.artifact_root
            if location and "://" not in location:  # a local directory; s3:// URIs pass as they are
                location = Path(location).as_uri()
            experiment_id = mlflow.create_experiment(self.experiment_name, artifact_location=location)
        mlflow.set_experiment(experiment_id=experiment_id)
        return experiment_id

    def client(self):
        from mlflow import MlflowClient

        self.activate()
        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    # Links go into asset metadata, which everyone with the UI reads: a ui_url that logs in
    # (https://user:password@host) is shown without its password.
    def run_link(self, experiment_id: str, run_id: str) -> str:
        return redact_url(f"{self.ui_url}/#/experiments/{experiment_id}/runs/{run_id}")

    def model_link(self, version: str | int) -> str:
        return redact_url(f"{self.ui_url}/#/models/{self.registered_model_name}/versions/{version}")
