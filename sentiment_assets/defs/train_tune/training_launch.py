"""Where fine-tuning runs: now the `training_launcher` resource the deployment binds
(resources/training_launcher.py: a local subprocess or a Kubernetes GPU pod, never both).

`run_training` is the call finetuned_minilm still makes with the three resources it used to
get; it hands over to the same launch functions. Once the asset takes
`training_launcher: TrainingLauncher` and calls `training_launcher.launch(...)` with the same
arguments minus the three resources, this shim and the deployment's legacy keys go.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from resources.remote_training import RemoteTrainingResource
from resources.training_launcher import TrainingRun, train_in_pod, train_in_subprocess
from sentiment_assets.models.finetune_config import FineTuneConfig

__all__ = ["TrainingRun", "run_training"]


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
    pipes_k8s_client: Any,
    remote_training: RemoteTrainingResource,
) -> TrainingRun:
    """Train where the deployment put `remote_training` (enabled only by the aws profile, the
    same resource its K8sTrainingLauncher holds), and bring the model back to `scratch`."""
    if remote_training.enabled:
        return train_in_pod(
            context,
            finetune,
            train,
            valid,
            scratch=scratch,
            run_key=run_key,
            pod=remote_training,
            client=pipes_k8s_client,
        )
    return train_in_subprocess(
        context, finetune, train, valid, scratch=scratch, checkpoints=local_checkpoints, client=pipes_subprocess_client
    )
