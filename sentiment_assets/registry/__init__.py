"""The MLflow model registry's workflow: the approval gate and champion promotion."""
