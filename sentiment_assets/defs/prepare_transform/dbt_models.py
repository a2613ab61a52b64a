"""The dbt models (staging, cleaned_reviews, slices) as Dagster assets; dbt tests become checks.

Built from the prepared manifest (resources/dbt.py: `make prepare`), so importing this module
runs no dbt; the dbt target is the `dbt` resource's, read when the asset runs.
"""

import json
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from resources import Warehouse
from resources.dbt import manifest_for_run, prepared_dbt_project, release_duckdb_adapter, use_manifest
from sentiment_assets.defs.automation_conditions import follow_upstream
from sentiment_assets.defs.prepare_transform.population import train_partitions
from sentiment_assets.training.population import PopulationSettings, population_settings

project = prepared_dbt_project()


class DbtModelsConfig(dg.Config):
    """How cleaned_reviews is cut from the staged reviews of train files."""

    # Categories with this many reviews or fewer leave training (into excluded_reviews, with the
    # reason). None: the course's 10 when the bundled data is the only training data, else 0
    # (keep every review of a user's long-tail categories).
    min_reviews_per_category: int | None = None


class TargetNeutralTranslator(DagsterDbtTranslator):
    """dagster-dbt's defaults, but a model's table is named as every target names it (its alias):
    the manifest's database and schema are those of the target it was prepared for, not
    necessarily the run's. Every model follows its upstream: a landed file flows through dbt at once."""

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        metadata = dict(super().get_metadata(dbt_resource_props))
        if "dagster/table_name" in metadata:
            metadata["dagster/table_name"] = dbt_resource_props.get("alias") or dbt_resource_props["name"]
        return metadata

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> dg.AutomationCondition:
        return follow_upstream()


def dbt_build_args(settings: PopulationSettings) -> list[str]:
    """`dbt build` with the run's population settings as dbt vars."""
    return ["build", "--vars", json.dumps({"min_reviews_per_category": settings.min_reviews_per_category})]


@dbt_assets(manifest=project.manifest_path, project=project, dagster_dbt_translator=TargetNeutralTranslator())
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse, config: DbtModelsConfig):
    """Runs `dbt build`: models and their tests, in dependency order, against the dbt resource's
    target. Each model reports its row count, column schema and column lineage back to Dagster."""
    settings = population_settings(
        train_partitions(warehouse), min_reviews_per_category=config.min_reviews_per_category
    )
    context.log.info("cleaned_reviews: %s", settings.category_reason)
    own_manifest = manifest_for_run(dbt)  # None on the target the manifest was prepared for
    try:
        invocation = use_manifest(dbt.cli(dbt_build_args(settings), context=context), own_manifest)
        yield from invocation.stream().fetch_row_counts().fetch_column_metadata()
    finally:
        release_duckdb_adapter()
