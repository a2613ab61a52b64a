"""Dagster definitions: thin assets over the framework-free modules."""
