"""A throw-away MLflow store for the tests (not a test module): conftest.py's `temp_mlflow`
fixture, and the module-scoped stores of the tuning and serving tests; `reset_mlflow_uris` for
tests that let the code under test set the global URIs."""

import contextlib
from collections.abc import Iterator
from pathlib import Path

import mlflow


@contextlib.contextmanager
def temporary_mlflow(root: Path, experiment: str = "tests", registry: bool = False) -> Iterator[str]:
    """MLflow's global tracking URI (and registry URI, with `registry`) on a SQLite file under
    `root`, with `experiment` active, while inside; set back to the defaults after. Yields the URI.

    The experiment's artifacts go to root/artifacts: the SQLite store's default would be ./mlruns
    in the working directory, i.e. the repository."""
    uri = f"sqlite:///{root / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    if registry:
        mlflow.set_registry_uri(uri)
    try:
        location = (root / "artifacts").as_uri()
        mlflow.set_experiment(experiment_id=mlflow.create_experiment(experiment, artifact_location=location))
        yield uri
    finally:
        reset_mlflow_uris(registry=registry)


def reset_mlflow_uris(registry: bool = True) -> None:
    """MLflow's global tracking URI (and registry URI, with `registry`) back to the defaults."""
    mlflow.set_tracking_uri(None)  # pyright: ignore[reportArgumentType]  # None restores the default; annotated str
    if registry:
        mlflow.set_registry_uri(None)  # pyright: ignore[reportArgumentType]  # None restores the default; annotated str
