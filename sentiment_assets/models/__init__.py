"""Framework-free sentiment classifiers (no Dagster imports here)."""
