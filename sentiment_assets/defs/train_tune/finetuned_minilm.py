"""finetuned_minilm: the transformer candidate, fine-tuned in its own process through Dagster Pipes.

The training entry point (`python -m sentiment_assets.training.transformer_job`) is the same one a
remote GPU job runs: the deployment's `training_launcher` starts it in a subprocess here (local
profile) or in a GPU pod (aws profile; resources/training_launcher.py). It checkpoints into the
artifact store, so a run that dies (killed, out of memory, machine lost) and is re-executed
continues from its last checkpoint instead of starting over.

torch, transformers, MLflow and matplotlib are imported inside the asset, when it runs: loading the
code location must not pay for them.
"""

import json
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import dagster as dg

from resources import ArtifactStore, ComputeResource, MlflowResource, TrainingLauncher, Warehouse
from sentiment_assets.defs.automation_conditions import nightly_retraining
from sentiment_assets.defs.metadata import png_markdown
from sentiment_assets.features.training_splits import FEATURE_GROUP_LABEL, FEATURE_TABLE, read_split
from sentiment_assets.lineage.records import base_model_identity, record_training_lineage, training_lineage
from sentiment_assets.models.debugger_rule_names import RULE_DESCRIPTIONS
from sentiment_assets.models.finetune_config import FineTuneConfig
from sentiment_assets.models.model_card import FinetunedModelCard
from sentiment_assets.redaction import redact
from sentiment_assets.timestamps import naive_utc

GROUP = "train_tune"
ASSET = "finetuned_minilm"
# SageMaker Debugger's rules, one asset check each.
DEBUGGER_CHECKS = RULE_DESCRIPTIONS


class FinetunedMinilmConfig(dg.Config):
    """CPU-sized defaults: every training review at a short sequence length, one epoch, stopped by
    a time budget. On a GPU: max_seq_length 128, batch_size 256, epochs 3, max_seconds null.

    The whole train split, not a sample: measured on a real corpus (benchmarks/
    finetune_class_weighting.py, 2,964 Amazon review sentences), one CPU epoch over all of them
    at length 32 reached holdout macro-F1 0.739 against the TF-IDF baseline's 0.594."""

    model_name_or_path: str = "bundled"
    max_train_samples: int | None = None  # a seeded sample of this size (None: every train review)
    max_seq_length: int = 64  # tokens per review (WordPiece, [CLS] and [SEP] included)
    epochs: int = 1
    batch_size: int = 32
    # MiniLM (6 layers, 384 wide) needs a larger step than BERT-base's 2e-5 to learn anything in
    # one short CPU epoch; measured on the bundled data: 5e-5 -> macro-F1 0.18, 2e-4 -> 0.51.
    learning_rate: float = 2e-4
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    seed: int = 42
    checkpoint_every_steps: int = 25
    max_seconds: float | None = 600.0  # the candidate's time budget; training stops after it
    class_weighting: str = "balanced"  # "balanced": each class's loss weighs n / (3 n_c); "none"
    keep_checkpoints: bool = False  # after success; a failed run's checkpoints are always kept

    def finetune_config(self, device: str) -> FineTuneConfig:
        fields = self.model_dump(exclude={"keep_checkpoints"})
        return FineTuneConfig(**fields, device=device)


@dg.asset(
    group_name=GROUP,
    kinds={"python", "pytorch", "mlflow"},
    deps=["feature_store"],
    check_specs=[
        dg.AssetCheckSpec(name, asset=ASSET, description=description) for name, description in DEBUGGER_CHECKS.items()
    ],
    automation_condition=nightly_retraining(),
)
def finetuned_minilm(
    context: dg.AssetExecutionContext,
    config: FinetunedMinilmConfig,
    warehouse: Warehouse,
    artifacts: ArtifactStore,
    mlflow_tracking: MlflowResource,
    compute: ComputeResource,
    training_launcher: TrainingLauncher,
) -> dg.MaterializeResult:
    """MiniLM fine-tuned end to end for 3-class sentiment: the deep-learning candidate of the
    leaderboard, with SageMaker Debugger's rules (loss not decreasing, overfitting, vanishing
    and exploding gradients) as asset checks and a profiler summary in the metadata."""
    from sentiment_assets.analysis.plots import training_curves_png
    from sentiment_assets.models.transformer import TransformerClassifier
    from sentiment_assets.training.run_name import run_fingerprint

    finetune = config.finetune_config(compute.resolve_device())
    read_at = naive_utc().isoformat()  # the feature store as of now: what the fine-tune trains on
    train, valid = read_split(warehouse, "train"), read_split(warehouse, "validation")
    # Same config and data -> same checkpoint location, so a retried run resumes where the last died.
    run_key = run_fingerprint(finetune, train)
    with tempfile.TemporaryDirectory(prefix="finetune-") as scratch:
        run = training_launcher.launch(
            context,
            finetune,
            train,
            valid,
            scratch=Path(scratch),
            run_key=run_key,
            local_checkpoints=artifacts.path("checkpoints", ASSET, run_key, "x").parent,
        )
        reported, output = run.reported, run.output
        materialization = next(r for r in reported if isinstance(r, dg.MaterializeResult))
        check_results = [r for r in reported if isinstance(r, dg.AssetCheckResult)]

        model = TransformerClassifier.load(output)
        started = time.perf_counter()
        model.predict_proba(valid)
        inference_rate = len(valid) / max(time.perf_counter() - started, 1e-9)
        metrics = json.loads((output / "metrics.json").read_text())
        record = json.loads((output / "debugger.json").read_text())
        card = _log_to_mlflow(context, mlflow_tracking, model, finetune, metrics, record, inference_rate, len(valid))
        record_training_lineage(
            mlflow_tracking.client(),
            card.run_id,
            training_lineage(
                warehouse,
                train,
                family=model.family,
                feature_group=FEATURE_GROUP_LABEL,
                seed=finetune.seed,
                base_model=base_model_identity(model.family),
                read_at=read_at,
                config=model.params(),
                feature_table=FEATURE_TABLE,
                steps=metrics.get("steps"),
                stop_reason=record.get("stop_reason"),
            ),
        )
        card.save(artifacts)  # candidate_models puts it on the leaderboard
    if not config.keep_checkpoints:
        run.discard_checkpoints()

    curves = training_curves_png(record)
    return dg.MaterializeResult(
        metadata={
            **(materialization.metadata or {}),
            "inference_reviews_per_s": inference_rate,
            "training_curves": png_markdown(curves, "Training loss and validation scores"),
            "checkpoints": run.checkpoints,
            "model_uri": card.model_uri,
            "mlflow_run": dg.MetadataValue.url(mlflow_tracking.run_link(card.experiment_id, card.run_id)),
        },
        check_results=check_results,
    )


def _log_to_mlflow(
    context: dg.AssetExecutionContext,
    mlflow_tracking: MlflowResource,
    model,
    finetune: FineTuneConfig,
    metrics: dict,
    record: dict,
    inference_rate: float,
    validation_reviews: int,
) -> FinetunedModelCard:
    """One MLflow run: the config, the per-step debugger series, the final scores and the model;
    the card of the model it logged."""
    import mlflow

    from sentiment_assets.models.mlflow_model import log_sentiment_model

    experiment_id = mlflow_tracking.activate()
    with mlflow.start_run(run_name=ASSET, tags={"dagster.run_id": context.run.run_id}) as run:
        mlflow.log_params(redact({"family": model.family, **model.params()}))
        for step in record.get("steps", []):
            mlflow.log_metrics(
                {
                    k: step[k]
                    for k in ("loss", "grad_norm", "samples_per_second", "learning_rate")
                    if isinstance(step.get(k), (int, float))
                },
                step=int(step["step"]),
            )
        scores = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
        mlflow.log_metrics({**scores, "inference_reviews_per_s": inference_rate})
        if metrics.get("segments"):  # one per process that trained it: where each part of a moved run ran
            mlflow.log_dict(metrics["segments"], "segments.json")
        model_info = log_sentiment_model(model)
    return FinetunedModelCard(
        family=model.family,
        run_id=run.info.run_id,
        experiment_id=experiment_id,
        model_uri=model_info.model_uri,
        metrics=metrics,
        inference_reviews_per_s=inference_rate,
        config_json=json.dumps(asdict(finetune)),
        validation_reviews=validation_reviews,
    )
