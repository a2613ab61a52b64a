"""Dagster resources and the one place that maps a profile (local | aws) to them."""

from resources.artifacts import LocalArtifactStore
from resources.compute import ComputeResource
from resources.environment import Profile, get_profile, sentiment_home
from resources.mlflow_tracking import MlflowResource
from resources.warehouse import DuckDBWarehouse

__all__ = [
    "ComputeResource",
    "DuckDBWarehouse",
    "LocalArtifactStore",
    "MlflowResource",
    "Profile",
    "get_profile",
    "sentiment_home",
]
