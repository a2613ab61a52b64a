"""The aws deployment configuration: the executor, the instance, the Helm values, the variable list
and the IAM policy agree with each other and with the schemas of the code that reads them.

Nothing here starts Kubernetes or reaches AWS. The executor is created for real (its config
checked against dagster-k8s's schema and turned into a step pod's container settings); only
loading the in-cluster credentials is skipped.
"""

import json
from pathlib import Path
from unittest import mock

import botocore.session
import dagster as dg
import pytest
import yaml
from dagster._config import process_config
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.executor.init import InitExecutorContext
from dagster._core.executor.step_delegating import StepDelegatingExecutor
from dagster._core.instance.config import dagster_instance_config, dagster_instance_config_schema
from dagster._core.system_config.objects import ResolvedRunConfig
from dagster._serdes.config_class import ConfigurableClass, class_from_code_pointer
from dagster_k8s import K8sRunLauncher, k8s_job_executor
from dagster_k8s.executor import K8sStepHandler

from sentiment_assets.defs.executors import (
    AWS_SECRET_ENV_VARS,
    AWS_SECRET_NAME,
    AWS_SETTINGS_ENV_VARS,
    SERVICE_ACCOUNT,
    aws_executor,
)

DEPLOY = Path(__file__).resolve().parents[1] / "deploy" / "aws"
INSTANCE_ENV = {
    "DAGSTER_PG_USERNAME": "dagster",
    "DAGSTER_PG_PASSWORD": "pw",
    "DAGSTER_PG_HOST": "db",
    "DAGSTER_PG_DB": "dagster",
    "DAGSTER_K8S_NAMESPACE": "sentiment",
    "SENTIMENT_S3_BUCKET": "bucket",
    "AWS_REGION": "eu-west-1",
}


@dg.asset
def one_step() -> int:
    return 1


def job_with(executor: dg.ExecutorDefinition) -> dg.JobDefinition:
    return dg.Definitions(assets=[one_step], executor=executor).resolve_implicit_global_asset_job_def()


def create_executor():
    """The executor as a run pod creates it, minus reading the cluster's service-account token."""
    executor = aws_executor()
    job = job_with(executor)
    config = ResolvedRunConfig.build(job, {}).execution.execution_engine_config
    creation_fn = executor.executor_creation_fn
    assert creation_fn is not None
    with mock.patch("kubernetes.config.load_incluster_config"):
        return creation_fn(
            InitExecutorContext(
                job=InMemoryJob(job),
                executor_def=executor,
                executor_config=config,
                instance=dg.DagsterInstance.ephemeral(),
            )
        )


def test_the_aws_executor_config_passes_the_k8s_executor_schema():
    job = job_with(aws_executor())
    assert job.executor_def is aws_executor()
    execution = ResolvedRunConfig.build(job, {}).execution
    assert execution.execution_engine_name == "aws_k8s_executor"
    assert execution.execution_engine_config["max_concurrent"] == 4


def test_a_misspelled_executor_setting_is_refused_by_the_same_check():
    with pytest.raises(DagsterInvalidConfigError, match="max_concurent"):
        ResolvedRunConfig.build(job_with(k8s_job_executor.configured({"max_concurent": 4})), {})


def test_step_pods_get_the_profile_settings_the_secret_resources_and_the_service_account(monkeypatch):
    for name in AWS_SETTINGS_ENV_VARS:
        monkeypatch.setenv(name, f"value of {name}")
    executor = create_executor()
    # dagster-k8s internals: what the step handler will put in every step's pod spec.
    assert isinstance(executor, StepDelegatingExecutor) and isinstance(executor._step_handler, K8sStepHandler)
    pod = executor._step_handler._executor_container_context.run_k8s_config
    env = {e["name"]: e["value"] for e in pod.container_config["env"]}
    assert env == {name: f"value of {name}" for name in AWS_SETTINGS_ENV_VARS}
    assert pod.container_config["env_from"] == [{"secret_ref": {"name": AWS_SECRET_NAME}}]
    assert pod.container_config["resources"]["limits"]["memory"] == "6Gi"
    assert pod.pod_spec_config["service_account_name"] == SERVICE_ACCOUNT
    assert executor._max_concurrent == 4


def test_a_step_pod_is_not_launched_without_a_profile_setting(monkeypatch):
    for name in AWS_SETTINGS_ENV_VARS:
        monkeypatch.setenv(name, "set")
    monkeypatch.delenv("SENTIMENT_GLUE_DATABASE")
    with pytest.raises(Exception, match="SENTIMENT_GLUE_DATABASE"):
        create_executor()


def test_the_instance_yaml_is_valid_and_each_component_accepts_its_config(monkeypatch):
    for name, value in INSTANCE_ENV.items():
        monkeypatch.setenv(name, value)
    dagster_instance_config(str(DEPLOY), "dagster.yaml")  # the schema dagster checks at startup
    raw = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    # Resolving the {env: ...} sources too, as the instance does when it starts.
    resolved = process_config(dg.Shape(dagster_instance_config_schema()), raw)
    assert resolved.success and resolved.value is not None, resolved.errors
    assert resolved.value["storage"]["postgres"]["postgres_db"]["password"] == "pw"
    for section in ("run_coordinator", "run_launcher", "compute_logs"):
        component = class_from_code_pointer(raw[section]["module"], raw[section]["class"])
        assert issubclass(component, ConfigurableClass), component
        checked = process_config(component.config_type(), raw[section]["config"])
        assert checked.success, (section, checked.errors)
    assert class_from_code_pointer(raw["run_launcher"]["module"], raw["run_launcher"]["class"]) is K8sRunLauncher
    assert (
        class_from_code_pointer(raw["run_coordinator"]["module"], raw["run_coordinator"]["class"])
        is dg.QueuedRunCoordinator
    )


def test_the_instance_needs_its_database_credentials_from_the_environment(monkeypatch):
    for name, value in INSTANCE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DAGSTER_PG_PASSWORD")
    raw = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    assert not process_config(dg.Shape(dagster_instance_config_schema()), raw).success


def test_the_tag_limits_name_only_sensors_and_schedules_that_exist():
    from sentiment_assets.definitions import defs

    limits = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())["run_coordinator"]["config"][
        "tag_concurrency_limits"
    ]
    named = {limit["key"]: limit.get("value") for limit in limits}
    assert named["dagster/sensor_name"] in {sensor.name for sensor in defs.sensors or []}
    # The code location has no schedule: a limit on one would never apply.
    assert named.get("dagster/schedule_name") in {None, *(schedule.name for schedule in defs.schedules or [])}


def test_the_helm_values_set_what_the_instance_yaml_and_the_executor_set():
    values = yaml.safe_load((DEPLOY / "values.yaml").read_text())
    instance = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    [deployment] = values["dagster-user-deployments"]["deployments"]
    assert set(deployment["env"]) == set(AWS_SETTINGS_ENV_VARS)
    assert deployment["env"]["SENTIMENT_PROFILE"] == "aws"
    assert deployment["envSecrets"] == [{"name": AWS_SECRET_NAME}]
    assert deployment["includeConfigInLaunchedRuns"] == {"enabled": True}
    assert (
        values["serviceAccount"]["name"]
        == SERVICE_ACCOUNT
        == instance["run_launcher"]["config"]["service_account_name"]
    )
    queued = values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    assert queued["maxConcurrentRuns"] == instance["run_coordinator"]["config"]["max_concurrent_runs"]
    assert queued["tagConcurrencyLimits"] == instance["run_coordinator"]["config"]["tag_concurrency_limits"]
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["computeLogManager"]["type"] == "S3ComputeLogManager"


def test_the_env_example_lists_exactly_the_variables_the_aws_profile_passes_on():
    lines = (DEPLOY / ".env.aws.example").read_text().splitlines()
    names = [line.split("=", 1)[0] for line in lines if line.strip() and not line.startswith("#")]
    assert sorted(names) == sorted({*AWS_SETTINGS_ENV_VARS, *AWS_SECRET_ENV_VARS})
    assert not [n for n in names if n.startswith("AWS_") and n != "AWS_REGION"]  # no credentials


def test_the_iam_policy_is_json_scoped_to_the_bucket_database_and_workgroup():
    policy = json.loads((DEPLOY / "iam-policy.json").read_text())
    assert policy["Version"] == "2012-10-17"
    statements = policy["Statement"]
    assert {s["Effect"] for s in statements} == {"Allow"}
    by_action = {}
    for s in statements:
        for action in [s["Action"]] if isinstance(s["Action"], str) else s["Action"]:
            by_action[action] = [s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"]
    assert not [a for a in by_action if "*" in a]
    # Only the ECR login, which has no resource-level permissions, may name every resource.
    assert [a for a, resources in by_action.items() if "*" in resources] == ["ecr:GetAuthorizationToken"]
    assert all(r.startswith("arn:aws:s3:::<bucket>") for a, rs in by_action.items() if a.startswith("s3:") for r in rs)
    assert all(
        r.endswith(("catalog", "database/sentiment", "table/sentiment/*"))
        for a, rs in by_action.items()
        if a.startswith("glue:") and a != "glue:GetDatabases"
        for r in rs
    )
    assert all(r.endswith("workgroup/primary") for a, rs in by_action.items() if a.startswith("athena:") for r in rs)
    # What the pipeline calls (the Python assets' S3/Glue/Athena code, dbt-athena, image pulls).
    assert {
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:ListBucket",
        "glue:GetTable",
        "glue:CreateTable",
        "glue:UpdateTable",
        "glue:DeleteTable",
        "glue:GetTableVersions",
        "glue:CreatePartition",
        "glue:BatchDeletePartition",
        "athena:StartQueryExecution",
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "athena:GetWorkGroup",
        "ecr:BatchGetImage",
    } <= set(by_action)


def test_every_glue_athena_ecr_and_logs_action_in_the_policy_is_a_real_operation():
    """For these services an IAM action is named after its API operation, so botocore's service
    models catch a misspelled action (S3's action names differ from its operations)."""
    session = botocore.session.get_session()
    actions = [
        a
        for s in json.loads((DEPLOY / "iam-policy.json").read_text())["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    unknown = [
        a
        for a in actions
        if a.split(":")[0] in {"glue", "athena", "ecr", "logs"}
        and a.split(":")[1] not in session.get_service_model(a.split(":")[0]).operation_names
    ]
    assert not unknown
