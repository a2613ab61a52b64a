"""Fine-tuning on a Kubernetes GPU node through Dagster Pipes (`dagster_k8s.PipesK8sClient`).

The pod runs the very entry point the local subprocess runs, with the same arguments, under
torchrun with one process per GPU:

    torchrun --standalone --nnodes 1 --nproc_per_node {gpus} -m sentiment_assets.training.transformer_job ...

Its inputs, outputs and checkpoints are s3:// locations, so the pod needs nothing but the
training image (deploy/aws/training.Dockerfile), a few plain environment variables and access to
the bucket. That access comes from the pod's service account (an IAM role for service accounts,
or EKS Pod Identity), never from keys in the pod spec: nothing here reads a credential, and
environment variables that look like one are refused.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg

ENTRY_MODULE = "sentiment_assets.training.transformer_job"
CONTAINER_NAME = "training"
# Plain settings the pod needs from the orchestrator's environment, passed when set there.
FORWARDED_ENV_VARS = ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "MLFLOW_TRACKING_URI")
# The taint GPU node groups conventionally carry; tolerating it is harmless where it is absent.
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
# Names that carry secrets: refused even when configured, because a pod spec is readable by
# anyone who may list pods, and it ends up in events and Dagster's logs.
_SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|ACCESS_KEY|CREDENTIAL|PRIVATE|API_KEY", re.IGNORECASE)
# A URL that carries a user (and so, likely, a password): scheme://user:password@host
_URL_WITH_USER = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@]*@", re.IGNORECASE)


def torchrun_options(processes: int) -> list[str]:
    """One machine, `processes` workers; --standalone picks a free rendezvous port itself."""
    if processes < 1:
        raise ValueError(f"need at least one process, got {processes!r}")
    return ["--standalone", "--nnodes", "1", "--nproc_per_node", str(processes)]


def training_command(gpus: int, args: Sequence[str]) -> list[str]:
    """The command that trains on this machine: this interpreter running the entry point, or
    running torchrun (`python -m torch.distributed.run`, the same venv) for several devices."""
    if gpus == 1:
        return [sys.executable, "-m", ENTRY_MODULE, *args]
    return [sys.executable, "-m", "torch.distributed.run", *torchrun_options(gpus), "-m", ENTRY_MODULE, *args]


def training_arguments(
    config_fields: Mapping[str, Any],
    *,
    train: str,
    valid: str | None,
    output_dir: str,
    checkpoints: str | None = None,
) -> list[str]:
    """The entry point's arguments, the FineTuneConfig as `--set key=<json>` pairs, so that they
    work unchanged in a pod that cannot see a local config file."""
    args = ["--train", train]
    if valid is not None:
        args += ["--valid", valid]
    for key, value in config_fields.items():
        args += ["--set", f"{key}={json.dumps(value)}"]
    args += ["--output-dir", output_dir]
    if checkpoints is not None:
        args += ["--checkpoints", checkpoints]
    return args


@dataclass(frozen=True)
class RemoteLocations:
    """Where one remote training run reads and writes, under the resource's staging prefix."""

    train: str
    valid: str
    output_dir: str
    checkpoints: str


class RemoteTrainingResource(dg.ConfigurableResource):
    """The Kubernetes GPU pod that fine-tunes: image, place, size and environment. Without an
    image and a bucket (the local profile: `RemoteTrainingResource()`) it is disabled, and
    fine-tuning runs on this machine.

    On the aws profile, e.g.:

        RemoteTrainingResource(image=dg.EnvVar("SENTIMENT_TRAINING_IMAGE"),
                               bucket=dg.EnvVar("SENTIMENT_S3_BUCKET"),
                               namespace="sentiment", service_account="sentiment-pipeline")
    """

    image: str | None = None  # the training image in ECR (deploy/aws/training.Dockerfile)
    bucket: str | None = None  # for each run's inputs, outputs and checkpoints, under `prefix`
    prefix: str = "training"
    namespace: str = "default"
    gpus: int = 1  # per pod: torchrun starts one training process per GPU
    device: str = "cuda"  # what the pod trains on, whatever the step's own machine has
    gpu_resource: str = "nvidia.com/gpu"  # the device plugin's resource name
    service_account: str | None = None  # bound to the IAM role that reaches the bucket
    node_selector: dict[str, str] = {}  # e.g. {"karpenter.k8s.aws/instance-gpu-name": "a10g"}
    tolerations: list[dict[str, str]] = [GPU_TOLERATION]
    env_vars: list[str] = list(FORWARDED_ENV_VARS)  # passed through when set here
    shm_size: str = "2Gi"  # /dev/shm: NCCL and DataLoader workers outgrow Docker's 64 MB default

    @property
    def enabled(self) -> bool:
        """Whether fine-tuning runs in a pod (else in a local subprocess)."""
        return bool(self.image and self.bucket)

    @property
    def staging_uri(self) -> str:
        """s3://bucket/prefix: where the runs' folders are."""
        return "/".join(part for part in (f"s3://{self.bucket}", self.prefix.strip("/")) if part)

    def locations(self, run_key: str) -> RemoteLocations:
        """The S3 locations of one run; `run_key` names it (e.g. the training fingerprint, so a
        retried run finds its checkpoints)."""
        self._require_enabled()
        root = f"{self.staging_uri}/{run_key}"
        return RemoteLocations(
            train=f"{root}/input/train.parquet",
            valid=f"{root}/input/valid.parquet",
            output_dir=f"{root}/output",
            checkpoints=f"{root}/checkpoints",
        )

    def command(self, args: Sequence[str]) -> list[str]:
        """The pod's command: the image's torchrun, one process per GPU."""
        return ["torchrun", *torchrun_options(self.gpus), "-m", ENTRY_MODULE, *args]

    def pod_env(self) -> dict[str, str]:
        """The configured variables that are set in this process's environment, plus
        PYTHONUNBUFFERED so that progress lines reach the pod log (and Dagster) as they happen."""
        env = {"PYTHONUNBUFFERED": "1"}
        for name in self.env_vars:
            if _SECRET_NAME.search(name):
                raise ValueError(
                    f"{name} looks like a credential and is never put in a pod spec; "
                    f"the pod gets its AWS access from its service account's IAM role"
                )
            value = os.environ.get(name)
            if value is None:
                continue
            if _URL_WITH_USER.match(value):
                raise ValueError(f"{name} holds a URL with credentials in it; give the pod a Kubernetes secret instead")
            env[name] = value
        return env

    def base_pod_spec(self, args: Sequence[str]) -> dict[str, Any]:
        """The pod spec for `PipesK8sClient.run(base_pod_spec=...)`: one container with the
        image and the torchrun command, the GPUs as a resource limit, never restarted (Pipes
        and the asset's retry policy decide about reruns; a rerun resumes from checkpoints)."""
        self._require_enabled()
        spec: dict[str, Any] = {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": CONTAINER_NAME,
                    "image": self.image,
                    "command": self.command(args),
                    "env": [{"name": k, "value": v} for k, v in self.pod_env().items()],
                    # Requests default to the limits for extended resources such as GPUs.
                    "resources": {"limits": {self.gpu_resource: str(self.gpus)}},
                    "volumeMounts": [{"name": "dshm", "mountPath": "/dev/shm"}],
                }
            ],
            "volumes": [{"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": self.shm_size}}],
            "tolerations": [dict(t) for t in self.tolerations],
        }
        if self.node_selector:
            spec["nodeSelector"] = dict(self.node_selector)
        if self.service_account:
            spec["serviceAccountName"] = self.service_account
        return spec

    def base_pod_meta(self) -> dict[str, Any]:
        """Labels to find the training pods by (dagster_k8s adds its own)."""
        return {
            "labels": {"app.kubernetes.io/name": "sentiment-training", "app.kubernetes.io/component": "fine-tuning"}
        }

    def run_kwargs(self, args: Sequence[str]) -> dict[str, Any]:
        """Keyword arguments for `PipesK8sClient.run(context=..., **run_kwargs(args))`."""
        return {
            "namespace": self.namespace,
            "base_pod_spec": self.base_pod_spec(args),
            "base_pod_meta": self.base_pod_meta(),
        }

    def _require_enabled(self) -> None:
        if not self.enabled:
            raise ValueError(
                "RemoteTrainingResource needs `image` (e.g. SENTIMENT_TRAINING_IMAGE) "
                "and `bucket` (e.g. SENTIMENT_S3_BUCKET) to run training in a pod"
            )
