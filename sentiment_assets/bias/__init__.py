"""Statistical bias metrics with SageMaker Clarify's definitions (no Dagster imports)."""
