"""`sentiment-assets <command> [...]`: the project's one command-line entry point (EXAMPLES below).

`sentiment-assets <command> --help` describes a command's own options. Each command is the
`main(argv, prog)` of the module that does the work, imported only when that command runs, so
`--help` and quick commands do not pay for Dagster, MLflow or torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass

PROG = "sentiment-assets"
EXAMPLES = """\
    sentiment-assets register-partition march.csv april.csv
    sentiment-assets where-to-look
    sentiment-assets registry pending
    sentiment-assets registry approve 3 --reason "checked per-class recall"
    sentiment-assets review list --limit 10
    sentiment-assets lineage prediction 1234 --partition bundled
    sentiment-assets score --db PATH --model-dir DIR --partition KEY --model-name NAME --model-version 3
    sentiment-assets serving serve --port 8080
    sentiment-assets train --train train.parquet --valid valid.parquet --output-dir out/
    sentiment-assets move --from checkpoints/run-1 --to s3://bucket/run-1 --device cuda -- --train ..."""


@dataclass(frozen=True)
class Command:
    name: str
    module: str  # whose `main(argv, prog) -> int` runs the command
    help: str


COMMANDS = (
    Command(
        "register-partition",
        "sentiment_assets.operations.register_partition",
        "add raw_reviews partitions (source files) to the Dagster instance in $DAGSTER_HOME",
    ),
    Command(
        "where-to-look",
        "sentiment_assets.operations.where_to_look",
        "where the demo's results are and how to look at them",
    ),
    Command(
        "registry",
        "sentiment_assets.registry.approval_commands",
        "list the registered model versions waiting for approval; approve or reject one",
    ),
    Command(
        "review",
        "sentiment_assets.scoring.review_commands",
        "queue the predictions the model was unsure of and label them",
    ),
    Command("score", "sentiment_assets.scoring.batch", "score one partition's reviews into batch_predictions"),
    Command(
        "lineage",
        "sentiment_assets.lineage.__main__",
        "where a prediction or a registered model came from: model version, training run, data, raw file hashes",
    ),
    Command(
        "serving",
        "sentiment_assets.serving.commands",
        "serve the champion (and challenger) over HTTP, shift traffic between them, read the traffic stats",
    ),
    Command(
        "train",
        "sentiment_assets.training.transformer_job",
        "fine-tune the transformer on Parquet splits (what a training pod runs, under torchrun for several GPUs)",
    ),
    Command(
        "move",
        "sentiment_assets.training.move_command",
        "move a running fine-tune to another machine or device: stop at a step boundary, copy the checkpoints, resume",
    ),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Review sentiment end to end: the commands around the Dagster assets.",
        epilog=f"examples:\n{EXAMPLES}\n\n`{PROG} COMMAND --help` describes a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        # No options of its own (not even --help): every argument after the command name,
        # --help included, goes to the command's module, which documents and checks them.
        commands.add_parser(command.name, help=command.help, description=command.help, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    args, rest = _parser().parse_known_args(sys.argv[1:] if argv is None else argv)
    command = next(c for c in COMMANDS if c.name == args.command)
    run = importlib.import_module(command.module).main
    return run(rest, prog=f"{PROG} {command.name}")
