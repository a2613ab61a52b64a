"""The aws profile's executor: every step of a run in its own Kubernetes Job (dagster-k8s).

Locally all steps share one DuckDB file, which takes one writer, so they run in one process. On
AWS the tables are Parquet on S3 behind Glue and Athena, and steps that touch different tables
(or different partitions) can run side by side, each in a pod sized for ordinary steps.
Fine-tuning does not run in these pods: its step starts the training image on a GPU node through
Dagster Pipes (resources/remote_training.py), so no step pod asks for a GPU.

The aws deployment (sentiment_assets/defs/deployment.py) picks `aws_executor()`; the local one
runs every step in one process (`dg.in_process_executor`). dagster-k8s is imported only when the
aws executor is built: this module is imported with the defs folder under every profile.

The executor runs inside the run pod that the K8sRunLauncher starts (deploy/aws/dagster.yaml),
which has the user code deployment's environment (deploy/aws/values.yaml). Each step pod gets the
same image and the variables below, read from the run pod when the step is launched.
"""

from __future__ import annotations

import functools

import dagster as dg

# Plain settings of the aws profile, passed by name from the run pod to each step pod. A name
# that is unset in the run pod fails the step at launch, naming the variable, instead of letting
# the step fall back to a default bucket or database.
AWS_SETTINGS_ENV_VARS = (
    "SENTIMENT_PROFILE",
    "SENTIMENT_S3_BUCKET",
    "SENTIMENT_GLUE_DATABASE",
    "SENTIMENT_ATHENA_WORKGROUP",
    "SENTIMENT_ATHENA_STAGING_DIR",
    "SENTIMENT_DBT_S3_DATA_DIR",
    "SENTIMENT_TRAINING_IMAGE",
    "MLFLOW_TRACKING_URI",
    "AWS_REGION",
)
# Settings that carry a password (the Optuna study's database URL) come from this Kubernetes
# Secret through envFrom, so their values never appear in a Job spec or in Dagster's run config.
AWS_SECRET_ENV_VARS = ("SENTIMENT_OPTUNA_STORAGE",)
AWS_SECRET_NAME = "sentiment-aws"
# The Kubernetes service account bound to the IAM role (IRSA / EKS Pod Identity) that grants
# deploy/aws/iam-policy.json. AWS credentials come from it, never from variables.
SERVICE_ACCOUNT = "sentiment-pipeline"

AWS_EXECUTOR_CONFIG = {
    # Per run. Steps mostly wait on S3 and Athena, but batch scoring and feature building hold
    # a table in memory: four at once fits a node of 16 GiB with the requests below.
    "max_concurrent": 4,
    "service_account_name": SERVICE_ACCOUNT,
    "env_vars": list(AWS_SETTINGS_ENV_VARS),
    "env_secrets": [AWS_SECRET_NAME],
    "step_k8s_config": {
        "container_config": {
            "resources": {
                "requests": {"cpu": "1", "memory": "3Gi"},
                # No CPU limit (throttling only slows a step); a memory limit stops a runaway
                # step before the node's other pods are evicted.
                "limits": {"memory": "6Gi"},
            },
        },
    },
}


@functools.cache
def aws_executor() -> dg.ExecutorDefinition:
    """dagster-k8s's k8s_job_executor with AWS_EXECUTOR_CONFIG (one definition per process)."""
    from dagster_k8s import k8s_job_executor

    return k8s_job_executor.configured(AWS_EXECUTOR_CONFIG, name="aws_k8s_executor")
