"""The Kubernetes GPU pod that fine-tunes through Dagster Pipes: what its spec asks for, what it
runs, and that nothing secret goes into it. No cluster here: the pod is built by dagster_k8s's
own `build_pod_body`, the function `PipesK8sClient.run` builds it with before creating it."""

import dataclasses
import inspect
import json
import sys

import dagster as dg
import pytest
from dagster_k8s import PipesK8sClient
from dagster_k8s.pipes import build_pod_body

from resources.remote_training import ENTRY_MODULE, RemoteTrainingResource, training_arguments, training_command
from sentiment_assets.models.finetune_config import FineTuneConfig
from sentiment_assets.training.transformer_job import load_config, parse_args

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sentiment-training:2026-11-27"
SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEYID0000",
    "AWS_SECRET_ACCESS_KEY": "wJalrEXAMPLESECRETKEY",
    "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEXAMPLETOKEN",
}
PLAIN = {
    "AWS_REGION": "eu-west-1",
    "AWS_ENDPOINT_URL": "http://minio.storage:9000",
    "MLFLOW_TRACKING_URI": "http://mlflow.ml:5000",
}


@pytest.fixture()
def environment(monkeypatch):
    """The orchestrator's environment: the image name, plain settings and credentials (which
    it has, and which must stay with it)."""
    for name, value in {
        "SENTIMENT_TRAINING_IMAGE": IMAGE,
        "SENTIMENT_S3_BUCKET": "ml-bucket",
        **PLAIN,
        **SECRETS,
    }.items():
        monkeypatch.setenv(name, value)


def remote(**fields) -> RemoteTrainingResource:
    """The resource as Dagster hands it to an asset, its EnvVar fields resolved."""
    resource = RemoteTrainingResource(
        image=dg.EnvVar("SENTIMENT_TRAINING_IMAGE"), bucket=dg.EnvVar("SENTIMENT_S3_BUCKET"), **fields
    )
    with dg.build_resources({"remote": resource}) as built:
        return built.remote


def arguments(locations) -> list[str]:
    config = FineTuneConfig(max_train_samples=None, max_seq_length=128, batch_size=256, device="cuda")
    return training_arguments(
        dataclasses.asdict(config),
        train=locations.train,
        valid=locations.valid,
        output_dir=locations.output_dir,
        checkpoints=locations.checkpoints,
    )


def test_the_pod_runs_the_local_entry_point_with_the_same_arguments_under_torchrun(environment):
    resource = remote(gpus=4)
    args = arguments(resource.locations("run-abc"))
    [container] = resource.base_pod_spec(args)["containers"]
    assert container["command"] == [
        "torchrun",
        "--standalone",
        "--nnodes",
        "1",
        "--nproc_per_node",
        "4",
        "-m",
        ENTRY_MODULE,
        *args,
    ]
    # Locally the same torchrun (this interpreter's), and one plain process for one device.
    assert training_command(4, args) == [sys.executable, "-m", "torch.distributed.run", *container["command"][1:]]
    assert training_command(1, args) == [sys.executable, "-m", ENTRY_MODULE, *args]
    # The arguments carry the whole config, so the pod needs no local file to rebuild it.
    parsed = parse_args(args)
    assert parsed.train == "s3://ml-bucket/training/run-abc/input/train.parquet"
    assert parsed.output_dir == "s3://ml-bucket/training/run-abc/output"
    assert parsed.checkpoints == "s3://ml-bucket/training/run-abc/checkpoints"
    assert load_config(parsed.config, parsed.overrides) == FineTuneConfig(
        max_train_samples=None, max_seq_length=128, batch_size=256, device="cuda"
    )


def test_the_pod_asks_for_its_gpus_tolerates_gpu_nodes_and_is_never_restarted(environment):
    resource = remote(
        gpus=2, service_account="sentiment-training", node_selector={"karpenter.k8s.aws/instance-gpu-name": "a10g"}
    )
    spec = resource.base_pod_spec(["--train", "s3://b/t"])
    [container] = spec["containers"]
    assert container["image"] == IMAGE  # from SENTIMENT_TRAINING_IMAGE
    assert container["resources"]["limits"] == {"nvidia.com/gpu": "2"}
    assert spec["restartPolicy"] == "Never"
    assert spec["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert spec["nodeSelector"] == {"karpenter.k8s.aws/instance-gpu-name": "a10g"}
    assert spec["serviceAccountName"] == "sentiment-training"  # its IAM role reaches the bucket
    assert {"name": "dshm", "mountPath": "/dev/shm"} in container["volumeMounts"]


def test_plain_settings_reach_the_pod_and_credentials_never_do(environment, monkeypatch):
    spec = remote().base_pod_spec(["--train", "s3://b/t"])
    env = {item["name"]: item["value"] for item in spec["containers"][0]["env"]}
    assert {name: env.get(name) for name in PLAIN} == PLAIN
    text = json.dumps(spec)
    for name, value in SECRETS.items():
        assert name not in text and value not in text

    with pytest.raises(ValueError, match="AWS_SECRET_ACCESS_KEY looks like a credential"):
        remote(env_vars=["AWS_REGION", "AWS_SECRET_ACCESS_KEY"]).base_pod_spec([])
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "https://user:hunter2@mlflow.example.com")
    with pytest.raises(ValueError, match="MLFLOW_TRACKING_URI holds a URL with credentials"):
        remote().base_pod_spec([])


def test_pipes_k8s_client_builds_its_pod_from_the_spec_and_takes_the_run_arguments(environment):
    resource = remote(gpus=2)
    args = arguments(resource.locations("run-abc"))
    run_kwargs = resource.run_kwargs(args)
    # PipesK8sClient.run(context=..., **run_kwargs) binds: every key is one of its parameters.
    inspect.signature(PipesK8sClient.run).bind(PipesK8sClient(), context=None, **run_kwargs)
    assert run_kwargs["namespace"] == "default"

    pipes_env = {"DAGSTER_PIPES_CONTEXT": "context", "DAGSTER_PIPES_MESSAGES": "messages"}
    pod = build_pod_body(
        pod_name="dagster-run-abc",
        image=None,
        command=None,
        env_vars=pipes_env,
        base_pod_meta=run_kwargs["base_pod_meta"],
        base_pod_spec=run_kwargs["base_pod_spec"],
    )
    assert pod.spec is not None and pod.metadata is not None
    [container] = pod.spec.containers
    assert container.image == IMAGE
    assert container.command == resource.command(args)
    assert container.resources.limits == {"nvidia.com/gpu": "2"}
    assert pod.spec.restart_policy == "Never"
    assert pod.spec.tolerations[0].key == "nvidia.com/gpu"
    assert pod.spec.volumes[0].empty_dir.medium == "Memory"
    env = {item.name: item.value for item in container.env}
    assert env["DAGSTER_PIPES_CONTEXT"] == "context" and env["AWS_REGION"] == "eu-west-1"
    assert pod.metadata.labels["app.kubernetes.io/name"] == "sentiment-training"


def test_without_an_image_and_a_bucket_remote_training_is_off_and_says_what_it_needs():
    assert not RemoteTrainingResource().enabled  # the local profile: train in a subprocess here
    assert not RemoteTrainingResource(image=IMAGE).enabled
    with pytest.raises(ValueError, match="needs `image`.*and `bucket`"):
        RemoteTrainingResource(image=IMAGE).base_pod_spec(["--train", "s3://b/t"])
    enabled = RemoteTrainingResource(image=IMAGE, bucket="ml-bucket", prefix="/sentiment/training/")
    assert enabled.enabled
    assert enabled.locations("run-1").checkpoints == "s3://ml-bucket/sentiment/training/run-1/checkpoints"


def test_the_aws_launcher_holds_the_pod_and_makes_its_k8s_client_only_when_training(environment):
    from resources.training_launcher import K8sTrainingLauncher, SubprocessTrainingLauncher

    launcher = K8sTrainingLauncher(
        pod=RemoteTrainingResource(image=dg.EnvVar("SENTIMENT_TRAINING_IMAGE"), bucket=dg.EnvVar("SENTIMENT_S3_BUCKET"))
    )
    with dg.build_resources({"training_launcher": launcher}) as built:
        pod = built.training_launcher.pod
        assert pod.enabled and pod.image == IMAGE  # the nested pod's variables resolved at run start
        assert isinstance(built.training_launcher.pipes_client(), PipesK8sClient)
    assert isinstance(SubprocessTrainingLauncher().pipes_client(), dg.PipesSubprocessClient)
