"""Fine-tune the transformer classifier in a process of its own: on a GPU machine, in a
container or on a laptop, launched by Dagster Pipes or by hand.

    sentiment-assets train --train train.parquet --valid valid.parquet \\
        --config finetune.json --set epochs=3 --output-dir out/ --checkpoints s3://bucket/run-1

Pipes launches and training pods run the same `main` as `python -m sentiment_assets.training.transformer_job`
(torchrun needs a module to start).

Training data is Parquet with `label_id` and either `input_ids` (token-id lists) or
`review_body`. The output directory receives the model (TransformerClassifier.save) and
`debugger.json`, `profile.json`, `rules.json` and `metrics.json`. With `--checkpoints`, a run
killed part-way resumes where it stopped when started again with the same arguments, on this
machine or any other that reaches the same location. `--train`, `--valid` and `--output-dir`
may be `s3://bucket/key` locations too (boto3, configured by the AWS environment variables), so
that a pod needs nothing but the image, its environment and access to the bucket.

On several GPUs (or CPU processes), torchrun starts one process per device and they train
data-parallel, `batch_size` being the batch of one step over all of them (see
`models/distributed.py`); rank 0 alone writes checkpoints and outputs and reports to Dagster:

    torchrun --standalone --nnodes 1 --nproc_per_node 4 -m sentiment_assets.training.transformer_job ...

A run with `--checkpoints` stops at its next step boundary when asked (the STOP marker in its
checkpoint store, `sentiment-assets move`, or SIGUSR1/SIGTERM): it checkpoints that step, writes
no model and exits with status 75 (EXIT_STOPPED; under Pipes it exits 0 and says so in a custom
message, `{"stopped": {...}}`), to be resumed from the checkpoint, here or on another machine.

Under Dagster Pipes the progress lines go to Dagster's log, each debugger rule comes back as an
asset check (severity WARN) and the scores and profile as materialization metadata. Only
`dagster_pipes` is imported, never `dagster`: the training image needs no orchestrator.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import sys
from pathlib import Path

from dagster_pipes import PipesEnvVarParamsLoader, open_dagster_pipes

from sentiment_assets.models.checkpoints import checkpoint_store_from_uri
from sentiment_assets.models.debugger_rules import RuleResult, evaluate_rules
from sentiment_assets.models.distributed import World, process_group
from sentiment_assets.models.finetune_config import FineTuneConfig
from sentiment_assets.models.s3_io import is_s3, output_directory, read_parquet
from sentiment_assets.models.segments import read_segments
from sentiment_assets.models.stop_signal import stop_on_signals
from sentiment_assets.models.torch_setup import resolve_device
from sentiment_assets.models.transformer import TransformerClassifier

logger = logging.getLogger("sentiment_assets.training.transformer_job")
OUTPUT_FILES = ("debugger.json", "profile.json", "rules.json", "metrics.json")
EXIT_STOPPED = 75  # EX_TEMPFAIL: stopped when asked, its checkpoint written, to be resumed


class StoppedWhenAsked(Exception):
    """The run stopped at a stop request after `step`, checkpointed in `checkpoints`: no model."""

    def __init__(self, step: int, checkpoints: str, segments: list[dict]) -> None:
        super().__init__(
            f"stopped after step {step} when asked (to be moved): its checkpoint is in {checkpoints}; "
            f"no model was written. Start the same command with --checkpoints {checkpoints} to resume."
        )
        self.step, self.checkpoints, self.segments = step, checkpoints, segments

    def report(self) -> dict:
        return {"step": self.step, "checkpoints": self.checkpoints, "segments": self.segments}


def parse_args(argv: list[str] | None = None, prog: str = "sentiment-assets train") -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=prog, description=(__doc__ or "").partition("\n\n")[0])
    parser.add_argument("--train", required=True, help="training Parquet file, or an s3://bucket/key object")
    parser.add_argument("--valid", help="validation Parquet file or s3:// object (optional)")
    parser.add_argument("--config", type=Path, help="JSON object of FineTuneConfig fields")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a FineTuneConfig field (JSON value or text), applied after --config; repeatable",
    )
    parser.add_argument("--output-dir", required=True, help="directory, or s3://bucket/prefix to upload the outputs to")
    parser.add_argument("--checkpoints", help="checkpoint directory or s3://bucket/prefix")
    return parser.parse_args(argv)


def load_config(config_path: Path | None, overrides: list[str]) -> FineTuneConfig:
    """FineTuneConfig from a JSON file, then `key=value` overrides; unknown keys are errors."""
    fields = json.loads(config_path.read_text()) if config_path else {}
    for override in overrides:
        key, sep, text = override.partition("=")
        if not sep:
            raise ValueError(f"--set wants KEY=VALUE, got {override!r}")
        try:
            fields[key.strip()] = json.loads(text)
        except json.JSONDecodeError:
            fields[key.strip()] = text  # a bare string, e.g. a model directory
    known = {f.name for f in dataclasses.fields(FineTuneConfig)}
    unknown = sorted(fields.keys() - known)
    if unknown:
        raise ValueError(f"unknown FineTuneConfig fields: {unknown}; known: {sorted(known)}")
    return FineTuneConfig(**fields)


def train(
    args: argparse.Namespace, config: FineTuneConfig, world: World = World()
) -> tuple[dict, list[RuleResult], dict] | None:
    """Fit; on rank 0 (the only process without torchrun) write every output and return
    (metrics, rule results, profile); None on the other ranks, which write nothing."""
    train_frame = read_parquet(args.train)
    valid_frame = read_parquet(args.valid) if args.valid else None
    store = checkpoint_store_from_uri(args.checkpoints) if args.checkpoints else None
    logger.info(
        "training on %d rows (%s), validating on %d; checkpoints: %s",
        len(train_frame),
        args.train,
        0 if valid_frame is None else len(valid_frame),
        store.describe() if store else "none",
    )

    classifier = TransformerClassifier(config, checkpoints=store).fit(train_frame, valid_frame)
    if not world.is_main:
        return None
    segments = [dataclasses.asdict(s) for s in read_segments(store)] if store is not None else []
    if classifier.stop_reason == "stop_requested" and store is not None:
        raise StoppedWhenAsked(classifier.steps or 0, store.describe(), segments)
    record, profile, class_weights = classifier.debug_record, classifier.profile, classifier.class_weights
    if record is None or profile is None or class_weights is None:  # fit sets all three
        raise RuntimeError("the fine-tune returned no debug record, profile or class weights")
    rules = evaluate_rules(record)
    metrics = {
        **{k: v for k, v in returned_weights_evaluation(record).items() if k.startswith("val_")},
        "train_samples_per_second": classifier.train_samples_per_second,
        "train_seconds": classifier.train_seconds,
        "steps": classifier.steps,
        "resumed_from_step": classifier.resumed_from_step,
        "stopped_early": classifier.stopped_early,
        "world_size": world.size,
        # Each process that trained into the checkpoints (moves, resumes), oldest first.
        "segments": segments,
        "segment_count": len(segments),
        # label_id -> its weight in the training loss; JSON object keys are strings.
        "class_weights": {str(label): w for label, w in class_weights.items()},
    }

    # For an s3:// location: written here, then uploaded in the order written.
    with output_directory(args.output_dir) as out:
        out.mkdir(parents=True, exist_ok=True)
        contents = (record, profile, [dataclasses.asdict(r) for r in rules], metrics)
        for name, content in zip(OUTPUT_FILES, contents, strict=False):
            (out / name).write_text(json.dumps(content, indent=2))
        classifier.save(out)  # last: a directory with a model in it is a finished run
    logger.info("wrote the model and %s to %s", ", ".join(OUTPUT_FILES), args.output_dir)
    return metrics, rules, profile


def returned_weights_evaluation(record: dict) -> dict:
    """The validation pass of the weights the fine-tune returned: with early stopping the best
    pass (its weights are restored, whatever came after), otherwise the last one; {} without any."""
    evaluations = record.get("evaluations") or []
    stopping = record.get("early_stopping") or {}
    if stopping.get("best_evaluation"):
        best = [e for e in evaluations if e.get("step") == stopping.get("best_step")]
        if best:
            return best[-1]
    return evaluations[-1] if evaluations else {}


def report_to_dagster(pipes, metrics: dict, rules: list[RuleResult], profile: dict, output_dir: str) -> None:
    """Each rule as an asset check (WARN: a suspicious run is worth a look, not a failed
    materialization), then the materialization with scores, throughput and profile figures."""
    for rule in rules:
        pipes.report_asset_check(
            check_name=rule.name,
            passed=rule.passed,
            severity="WARN",
            metadata={"description": rule.description, **rule.metadata},
        )
    pipes.report_asset_materialization(
        metadata={
            # Pipes infers scalars' types but wants a dict or list (class weights, segments) marked as JSON.
            **{
                name: {"raw_value": value, "type": "json"} if isinstance(value, (dict, list)) else value
                for name, value in metrics.items()
            },
            **{f"profile_{name}": value for name, value in profile.items()},
            "output_dir": output_dir if is_s3(output_dir) else str(Path(output_dir).resolve()),
        }
    )


class _ToPipesLog(logging.Handler):
    """Forwards this package's log records to Dagster through the Pipes logger."""

    def __init__(self, pipes_log: logging.Logger) -> None:
        super().__init__(logging.INFO)
        self.pipes_log = pipes_log

    def emit(self, record: logging.LogRecord) -> None:
        self.pipes_log.log(record.levelno, record.getMessage())


def main(argv: list[str] | None = None, prog: str = "sentiment-assets train") -> int:
    args = parse_args(argv, prog)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    package_logger = logging.getLogger("sentiment_assets")
    package_logger.setLevel(logging.INFO)
    config = load_config(args.config, args.overrides)
    # A signal stops a run that checkpoints at its next step boundary; one without checkpoints
    # would lose its steps either way, so it keeps the default (die).
    signals = stop_on_signals() if args.checkpoints else contextlib.nullcontext()
    # Under torchrun: join the other processes (nccl or gloo, after the config's device).
    with signals, process_group(resolve_device(config.device)) as world:
        if not world.is_main:
            package_logger.setLevel(logging.WARNING)  # one account of the run: rank 0's
        # Only rank 0 opens Pipes: Dagster expects one reporting process, and the context's
        # messages channel (a file, or the pod's log) must not receive every rank's reports.
        if not world.is_main or not PipesEnvVarParamsLoader().is_dagster_pipes_process():
            try:
                train(args, config, world)
            except StoppedWhenAsked as stopped:
                logger.warning("%s", stopped)
                return EXIT_STOPPED
            return 0
        with open_dagster_pipes() as pipes:
            handler = _ToPipesLog(pipes.log)
            package_logger.addHandler(handler)
            try:
                trained = train(args, config, world)
            except StoppedWhenAsked as stopped:
                # Not a failure of the process: the launcher turns it into a clear stop.
                pipes.log.warning(str(stopped))
                pipes.report_custom_message({"stopped": stopped.report()})
                return 0
            finally:
                package_logger.removeHandler(handler)
            if trained is None:  # rank 0 always returns its outputs
                raise RuntimeError("training returned no outputs on rank 0")
            metrics, rules, profile = trained
            report_to_dagster(pipes, metrics, rules, profile, args.output_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
