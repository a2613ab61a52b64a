"""Dagster resources and the one place that maps a profile (local | aws) to them.

Names load on first use (PEP 562), so plain entry points that only need `resources.environment`
-- the model server, the training process -- start without importing Dagster.
"""

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ imports on first use
    from resources.artifacts import ArtifactStore, LocalArtifactStore
    from resources.compute import ComputeResource
    from resources.environment import Profile, get_profile, sentiment_home
    from resources.iceberg_warehouse import IcebergWarehouse
    from resources.mlflow_tracking import MlflowResource
    from resources.remote_training import RemoteTrainingResource
    from resources.s3_artifacts import S3ArtifactStore
    from resources.training_launcher import TrainingLauncher
    from resources.warehouse import DuckDBWarehouse, Warehouse


_WHERE = {
    "ArtifactStore": "resources.artifacts",
    "LocalArtifactStore": "resources.artifacts",
    "S3ArtifactStore": "resources.s3_artifacts",
    "IcebergWarehouse": "resources.iceberg_warehouse",
    "Warehouse": "resources.warehouse",
    "ComputeResource": "resources.compute",
    "Profile": "resources.environment",
    "get_profile": "resources.environment",
    "sentiment_home": "resources.environment",
    "MlflowResource": "resources.mlflow_tracking",
    "RemoteTrainingResource": "resources.remote_training",
    "TrainingLauncher": "resources.training_launcher",
    "DuckDBWarehouse": "resources.warehouse",
}

__all__ = [  # the keys of _WHERE, written out for type checkers
    "ArtifactStore",
    "ComputeResource",
    "DuckDBWarehouse",
    "IcebergWarehouse",
    "LocalArtifactStore",
    "MlflowResource",
    "Profile",
    "RemoteTrainingResource",
    "S3ArtifactStore",
    "TrainingLauncher",
    "Warehouse",
    "get_profile",
    "sentiment_home",
]
assert sorted(__all__) == sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'resources' has no attribute {name!r}")
    return getattr(import_module(_WHERE[name]), name)
