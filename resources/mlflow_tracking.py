"""MLflow tracking and model registry, configured once and handed to the assets.

dagster-mlflow is op-era and has no ConfigurableResource; this small resource owns the store's
URIs and the experiment and turns run ids into links for asset metadata.

Nothing here leaves MLflow's process-wide settings changed. `client()` and `experiment_id()` talk
to the store through an explicit `MlflowClient`. The fluent API (`mlflow.start_run`,
`mlflow.pyfunc.log_model`, `mlflow.register_model`, `models:/` URIs) can only be pointed at a
store through MLflow's global tracking URI, registry URI and active experiment (there is no
client-side `log_model`), so `activated()` points it here for a `with` block and puts all of it
back afterwards; inside a step `activate()` does the same until the step's resources are torn
down.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from sentiment_assets.redaction import redact_url

# The environment variables MLflow mirrors its global settings into (so that subprocesses inherit
# them); restored together with the settings.
_MIRRORED_ENV_VARS = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "MLFLOW_EXPERIMENT_ID")


@contextmanager
def fluent_api_at(tracking_uri: str, experiment_id: str) -> Iterator[None]:
    """Point MLflow's fluent API at `tracking_uri` (tracking and registry) and `experiment_id`
    for the block, then restore the previous settings and the environment variables MLflow
    mirrors them into, exactly. MLflow has no public way to read back or unset the active
    experiment, so its three module-level settings are saved and restored here."""
    import mlflow
    from mlflow.tracking import fluent
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    saved_env = {name: os.environ.get(name) for name in _MIRRORED_ENV_VARS}
    saved_tracking = tracking_utils._tracking_uri
    saved_registry = registry_utils._registry_uri
    saved_experiment = fluent._active_experiment_id
    try:
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(tracking_uri)
        mlflow.set_experiment(experiment_id=experiment_id)
        yield
    finally:
        mlflow.set_tracking_uri(saved_tracking)  # public setter: also resets the trace exporter
        registry_utils._registry_uri = saved_registry
        fluent._active_experiment_id = saved_experiment
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class MlflowResource(dg.ConfigurableResource):
    """Where runs, models and registry entries go.

    Locally a SQLite store (tracking + registry) and an artifact directory; on AWS a tracking
    server URI from the environment.
    """

    tracking_uri: str
    # Where a new experiment keeps its artifacts. None: the server's default for a remote
    # store; beside the database file for a local SQLite store (never the current directory).
    artifact_root: str | None = None
    experiment_name: str = "sentiment-assets"
    registered_model_name: str = "review-sentiment"
    # The MLflow UI that links point to. None: the tracking server itself when it is an
    # http(s) URL (it serves the UI); else there is no UI and links are MLflow URIs.
    ui_url: str | None = None

    # Open while a step runs: activate() enters the fluent-API scope here, teardown closes it.
    _step_scope: ExitStack | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._step_scope = ExitStack()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._step_scope is not None:
            self._step_scope.close()
            self._step_scope = None

    def client(self):
        """An MlflowClient for this store's tracking and registry. Inside a step the fluent API
        is pointed here too (see `activate`), since assets mix the two."""
        from mlflow import MlflowClient

        if self._step_scope is not None:
            self.activate()
        self._create_sqlite_directory()
        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    def experiment_id(self) -> str:
        """The experiment's id, created (with its artifact location) when new."""
        from mlflow import MlflowClient

        self._create_sqlite_directory()
        client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
        experiment = client.get_experiment_by_name(self.experiment_name)
        if experiment is not None:
            return experiment.experiment_id
        return client.create_experiment(self.experiment_name, artifact_location=self._artifact_location())

    @contextmanager
    def activated(self) -> Iterator[str]:
        """The fluent API pointed at this store and experiment for the block; yields the
        experiment id. Everything MLflow holds process-wide is as before afterwards."""
        experiment_id = self.experiment_id()
        with fluent_api_at(self.tracking_uri, experiment_id):
            yield experiment_id

    def activate(self) -> str:
        """Inside a step: point the fluent API at this store until the step's resources are torn
        down, and return the experiment id. Outside one, use `with resource.activated():`."""
        if self._step_scope is None:
            raise RuntimeError(
                "MlflowResource.activate() points MLflow's fluent API here for the rest of a step and "
                "so only works inside one; elsewhere use `with mlflow_tracking.activated() as experiment_id:`"
            )
        return self._step_scope.enter_context(self.activated())

    # Links go into asset metadata, which everyone with the UI reads: a ui_url that logs in
    # (https://user:password@host) is shown without its password.
    def run_link(self, experiment_id: str, run_id: str) -> str:
        ui = self._ui()
        return redact_url(f"{ui}/#/experiments/{experiment_id}/runs/{run_id}") if ui else f"runs:/{run_id}"

    def model_link(self, version: str | int) -> str:
        ui = self._ui()
        where = f"{self.registered_model_name}/{version}"
        return (
            redact_url(f"{ui}/#/models/{self.registered_model_name}/versions/{version}") if ui else f"models:/{where}"
        )

    def _ui(self) -> str | None:
        if self.ui_url:
            return self.ui_url.rstrip("/")
        if self.tracking_uri.startswith(("http://", "https://")):
            return self.tracking_uri.rstrip("/")
        return None

    def _sqlite_file(self) -> Path | None:
        return (
            Path(self.tracking_uri.removeprefix("sqlite:///")) if self.tracking_uri.startswith("sqlite:///") else None
        )

    def _create_sqlite_directory(self) -> None:
        # SQLite will not create the directory its database file lives in.
        if (database := self._sqlite_file()) is not None:
            database.parent.mkdir(parents=True, exist_ok=True)

    def _artifact_location(self) -> str | None:
        location = self.artifact_root
        if location is None and (database := self._sqlite_file()) is not None:
            # MLflow's default for a SQLite store is ./mlruns in whatever directory this runs in.
            location = str(database.parent / "artifacts")
        if location and "://" not in location:  # a local directory; s3:// URIs pass as they are
            location = Path(location).absolute().as_uri()
        return location
