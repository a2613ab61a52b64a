"""Where fine-tuning runs, decided by the profile: a subprocess on this machine, or a GPU pod.

Both run the same entry point (`python -m sentiment_assets.training.transformer_job`, under torchrun
when there are several GPUs) with the same arguments through Dagster Pipes; only where the
inputs, outputs and checkpoints live differs (local paths or s3:// URIs). The deployment binds
one launcher as the `training_launcher` resource, so the asset never sees the other's client:

    SubprocessTrainingLauncher()                          # local: PipesSubprocessClient
    K8sTrainingLauncher(pod=RemoteTrainingResource(...))  # aws: PipesK8sClient, pod spec from `pod`
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg

from resources.remote_training import RemoteTrainingResource, training_arguments, training_command

if TYPE_CHECKING:
    import pandas as pd

    from sentiment_assets.models.finetune_config import FineTuneConfig


@dataclass
class TrainingRun:
    """What a finished training run left: Pipes reports, the model directory here, and where
    its checkpoints are (removed with `discard_checkpoints` once the result is safe)."""

    reported: list
    output: Path
    checkpoints: str

    def discard_checkpoints(self) -> None:
        if self.checkpoints.startswith("s3://"):
            from sentiment_assets.models.s3_io import delete_prefix

            delete_prefix(self.checkpoints)
        else:
            shutil.rmtree(self.checkpoints, ignore_errors=True)


def train_in_subprocess(
    context: dg.AssetExecutionContext,
    finetune: FineTuneConfig,
    train: pd.DataFrame,
    valid: pd.DataFrame,
    *,
    scratch: Path,
    checkpoints: Path,
    client: dg.PipesSubprocessClient,
) -> TrainingRun:
    """The entry point in a child process of this one, with its inputs and outputs in `scratch`."""
    from sentiment_assets.redaction import redact_text

    output = scratch / "model"
    train.to_parquet(scratch / "train.parquet")
    valid.to_parquet(scratch / "valid.parquet")
    args = training_arguments(
        asdict(finetune),
        train=str(scratch / "train.parquet"),
        valid=str(scratch / "valid.parquet"),
        output_dir=str(output),
        checkpoints=str(checkpoints),
    )
    command = training_command(1, args)
    context.log.info("fine-tuning in a subprocess: %s", redact_text(" ".join(command)))
    reported = finished_or_stopped(client.run(command=command, context=context))
    return TrainingRun(reported, output, str(checkpoints))


def train_in_pod(
    context: dg.AssetExecutionContext,
    finetune: FineTuneConfig,
    train: pd.DataFrame,
    valid: pd.DataFrame,
    *,
    scratch: Path,
    run_key: str,
    pod: RemoteTrainingResource,
    client: Any,
) -> TrainingRun:
    """The entry point in a GPU pod started by `client` (a PipesK8sClient); inputs, outputs and
    checkpoints on S3 under the run's key, the model brought back to `scratch`."""
    from sentiment_assets.models.s3_io import download_directory, s3_client, split_s3_uri

    output = scratch / "model"
    where = pod.locations(run_key)
    s3 = s3_client()
    for frame, uri in ((train, where.train), (valid, where.valid)):
        frame.to_parquet(scratch / "upload.parquet")
        s3.upload_file(str(scratch / "upload.parquet"), *split_s3_uri(uri))
    # The pod has the GPU, not this step: train on the pod's device whatever this machine has.
    args = training_arguments(
        asdict(replace(finetune, device=pod.device)),
        train=where.train,
        valid=where.valid,
        output_dir=where.output_dir,
        checkpoints=where.checkpoints,
    )
    context.log.info("fine-tuning in a %d-GPU pod (image %s), outputs to %s", pod.gpus, pod.image, where.output_dir)
    reported = finished_or_stopped(client.run(context=context, **pod.run_kwargs(args)))
    download_directory(where.output_dir, output)
    return TrainingRun(reported, output, where.checkpoints)


def finished_or_stopped(invocation) -> list:
    """The results a finished run reported; a dg.Failure when it stopped when asked (to be moved),
    so that the asset registers no half-trained model and says where the checkpoint is."""
    stops = [m["stopped"] for m in invocation.get_custom_messages() if isinstance(m, dict) and "stopped" in m]
    if stops:
        stop = stops[-1]
        raise dg.Failure(
            description=(
                f"fine-tuning stopped after step {stop['step']} when asked (to be moved to another machine); "
                f"no model was registered. Its checkpoint is in {stop['checkpoints']}: the run resumes from "
                f"there (`sentiment-assets move`, or materializing again with the checkpoints at the target)."
            ),
            metadata={
                "stopped_at_step": stop["step"],
                "checkpoints": stop["checkpoints"],
                "segments": dg.MetadataValue.json(stop["segments"]),
            },
            allow_retries=False,
        )
    return list(invocation.get_results())


class TrainingLauncher(dg.ConfigurableResource):
    """Runs the fine-tuning entry point somewhere and brings the model back to `scratch`.

    `run_key` names the run (the training fingerprint: a retried run finds its checkpoints);
    `local_checkpoints` is where a run on this machine checkpoints.
    """

    def launch(
        self,
        context: dg.AssetExecutionContext,
        finetune: FineTuneConfig,
        train: pd.DataFrame,
        valid: pd.DataFrame,
        *,
        scratch: Path,
        run_key: str,
        local_checkpoints: Path,
    ) -> TrainingRun:
        raise NotImplementedError


class SubprocessTrainingLauncher(TrainingLauncher):
    """The local profile: a child process on this machine, through PipesSubprocessClient."""

    def pipes_client(self) -> dg.PipesSubprocessClient:
        return dg.PipesSubprocessClient()

    def launch(self, context, finetune, train, valid, *, scratch, run_key, local_checkpoints) -> TrainingRun:
        return train_in_subprocess(
            context, finetune, train, valid, scratch=scratch, checkpoints=local_checkpoints, client=self.pipes_client()
        )


class K8sTrainingLauncher(TrainingLauncher):
    """The aws profile: a Kubernetes GPU pod (image, size, place: `pod`), through PipesK8sClient.
    The client is made when a run trains, so building the resource contacts no cluster."""

    pod: RemoteTrainingResource

    def pipes_client(self) -> Any:
        from dagster_k8s import PipesK8sClient  # only where a pod is started

        return PipesK8sClient()

    def launch(self, context, finetune, train, valid, *, scratch, run_key, local_checkpoints) -> TrainingRun:
        return train_in_pod(
            context, finetune, train, valid, scratch=scratch, run_key=run_key, pod=self.pod, client=self.pipes_client()
        )
