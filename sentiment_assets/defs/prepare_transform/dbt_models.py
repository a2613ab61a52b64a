"""The dbt models (staging, cleaned_reviews, slices) as Dagster assets; dbt tests become checks."""


import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from resources.dbt import dbt_project, release_duckdb_adapter
from resources.environment import get_profile

project = dbt_project(get_profile())


@dbt_assets(manifest=project.manifest_path, project=project)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Runs `dbt build`: models and their tests, in dependency order, against the profile's target.
    Each model reports its row count, column schema and column lineage back to Dagster."""
    try:
        yield from dbt.cli(["build"], context=context).stream().fetch_row_counts().fetch_column_metadata()
    finally:
        release_duckdb_adapter()
