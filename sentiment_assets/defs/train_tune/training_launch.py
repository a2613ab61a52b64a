"""Where fine-tuning runs: a subprocess on this machine, or a GPU pod on Kubernetes.

Both run the same entry point (`python -m sentiment_assets.train_transformer`, under torchrun
when there are several GPUs) with the same arguments; only where the inputs, outputs and
checkpoints live differs (local paths or s3:// URIs) and which Pipes client starts it.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import dagster as dg
import pandas as pd
from dagster_k8s import PipesK8sClient

from resources.remote_training import RemoteTrainingResource, training_arguments, training_command
from sentiment_assets.models.finetune import FineTuneConfig
from sentiment_assets.models.s3_io import delete_prefix, download_directory, s3_client, split_s3_uri
from sentiment_assets.redaction import redact_text


@dataclass
class TrainingRun:
    """What a finished training run left: Pipes reports, the model directory here, and where
    its checkpoints are (removed with `discard_checkpoints` once the result is safe)."""

    reported: list
    output: Path
    checkpoints: str

    def discard_checkpoints(self) -> None:
        if self.checkpoints.startswith("s3://"):
            delete_prefix(self.checkpoints)
        else:
            shutil.rmtree(self.checkpoints, ignore_errors=True)


def run_training(
    context: dg.AssetExecutionContext,
    finetune: FineTuneConfig,
    train: pd.DataFrame,
    valid: pd.DataFrame,
    *,
    scratch: Path,
    run_key: str,
    local_checkpoints: Path,
    pipes_subprocess_client: dg.PipesSubprocessClient,
    pipes_k8s_client: PipesK8sClient,
    remote_training: RemoteTrainingResource,
) -> TrainingRun:
    """Train with the entry point where the profile says, and bring the model back to `scratch`.
    `run_key` names the run's checkpoint location, so a retried run resumes from it."""
    output = scratch / "model"
    if not remote_training.enabled:
        train.to_parquet(scratch / "train.parquet")
        valid.to_parquet(scratch / "valid.parquet")
        args = training_arguments(
            asdict(finetune),
            train=str(scratch / "train.parquet"),
            valid=str(scratch / "valid.parquet"),
            output_dir=str(output),
            checkpoints=str(local_checkpoints),
        )
        command = training_command(1, args)
        context.log.info("fine-tuning in a subprocess: %s", redact_text(" ".join(command)))
        reported = pipes_subprocess_client.run(command=command, context=context).get_results()
        return TrainingRun(list(reported), output, str(local_checkpoints))

    where = remote_training.locations(run_key)
    client = s3_client()
    for frame, uri in ((train, where.train), (valid, where.valid)):
        frame.to_parquet(scratch / "upload.parquet")
        client.upload_file(str(scratch / "upload.parquet"), *split_s3_uri(uri))
    # The pod has the GPU, not this step: train on the pod's device whatever this machine has.
    args = training_arguments(
        asdict(replace(finetune, device=remote_training.device)),
        train=where.train,
        valid=where.valid,
        output_dir=where.output_dir,
        checkpoints=where.checkpoints,
    )
    context.log.info(
        "fine-tuning in a %d-GPU pod (image %s), outputs to %s",
        remote_training.gpus,
        remote_training.image,
        where.output_dir,
    )
    reported = pipes_k8s_client.run(context=context, **remote_training.run_kwargs(args)).get_results()
    download_directory(where.output_dir, output)
    return TrainingRun(list(reported), output, where.checkpoints)
