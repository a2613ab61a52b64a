"""The code location: the defs folder (every asset, check, job and sensor under
sentiment_assets/defs) with the profile's deployment bound to it.

`SENTIMENT_PROFILE` (default `local`) picks the deployment (sentiment_assets/defs/deployment.py):
resources, executor, dbt target, the automation sensor's status, paths and links. Nothing here
branches on the profile. When each asset runs is on its decorator (`automation_condition=`).

`dg dev`, `dg launch`, `dg list defs`, workspace.yaml and the gRPC server load `code_location`;
the defs folder is found through pyproject.toml's [tool.dg.project], so the package runs from a
checkout (or an image) that has pyproject.toml beside it.
"""

import functools
from pathlib import Path
from typing import Any

import dagster as dg

from resources.environment import disable_telemetry
from sentiment_assets.defs.automation_conditions import automation_sensor
from sentiment_assets.defs.deployment import Deployment, deployment_for

disable_telemetry()

PACKAGE_DIR = Path(__file__).parent


def defs_folder() -> dg.Definitions:
    """Every asset, check, job and sensor under sentiment_assets/defs, without resources: each
    module there is imported and what it defines at module scope is collected."""
    return dg.load_from_defs_folder(path_within_project=PACKAGE_DIR)


def definitions_for(deployment: Deployment) -> dg.Definitions:
    """The defs folder with the deployment's resources, executor and automation sensor."""
    return dg.Definitions.merge(
        defs_folder(),
        dg.Definitions(
            resources=dict(deployment.resources),
            executor=deployment.executor,
            sensors=[automation_sensor(deployment.automation_sensor_status)],
        ),
    )


@dg.definitions
def code_location() -> dg.Definitions:
    # Decided before the defs folder is imported, so an unusable profile fails with its own message.
    return definitions_for(deployment_for())


@functools.cache
def _built() -> dg.Definitions:
    return code_location()


def __getattr__(name: str) -> Any:
    """`defs`: the code location, built once on first use, for tests and scripts that import it;
    `ALL_ASSETS`: its assets, for `dg.materialize`. Module attributes Dagster does not see, so it
    loads `code_location` alone."""
    if name == "defs":
        return _built()
    if name == "ALL_ASSETS":
        return list(_built().assets or [])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
