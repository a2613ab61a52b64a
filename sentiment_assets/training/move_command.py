"""`sentiment-assets move`: move a running (or interrupted) fine-tune to another machine.

    sentiment-assets move --from checkpoints/run-1 --to s3://bucket/runs/run-1 --device cuda \\
        -- --train train.parquet --valid valid.parquet --output-dir out/

asks the run training into `--from` to stop at its next step boundary (or once it has done
`--after-step` steps), waits for that step's checkpoint, copies the checkpoints and segments to
`--to`, and starts the training entry point here with the arguments after `--` (those of
`sentiment-assets train`), `--checkpoints TO` and the target's device, under torchrun with
`--processes` > 1. It resumes from the copied step and exits with the entry point's status.
Run it on the target machine; with `--no-relaunch` it only stops and copies (a GPU pod, or the
next materialization of finetuned_minilm with the target as its checkpoints, resumes from there).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from sentiment_assets.models.checkpoints import checkpoint_store_from_uri
from sentiment_assets.models.finetune_config import DEVICES
from sentiment_assets.training.move import move_checkpoints


def parse_args(argv: list[str], prog: str) -> tuple[argparse.Namespace, list[str]]:
    """The move's options, and the training arguments after `--`."""
    own, train_args = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(__doc__ or "").partition("\n\n")[0],
        epilog="Arguments after `--` are those of `sentiment-assets train` (without --checkpoints).",
    )
    parser.add_argument("--from", dest="source", required=True, help="the run's checkpoints: directory or s3://")
    parser.add_argument("--to", dest="target", required=True, help="the target's checkpoints: directory or s3://")
    parser.add_argument("--device", choices=DEVICES, default="auto", help="what the target trains on (auto)")
    parser.add_argument("--processes", type=int, default=1, help="torchrun processes on the target (1: none)")
    parser.add_argument("--after-step", type=int, default=0, help="stop once this many steps are done (0: next)")
    parser.add_argument("--interrupted", action="store_true", help="no run is training: move its newest checkpoint")
    parser.add_argument("--wait-seconds", type=float, default=600.0, help="how long to wait for the stop")
    parser.add_argument("--no-relaunch", action="store_true", help="stop and copy only")
    args = parser.parse_args(own)
    if "--checkpoints" in train_args:
        parser.error("the training arguments get --checkpoints TO from the move; leave it out")
    if not args.no_relaunch and not train_args:
        parser.error("give the training arguments after `--` (or --no-relaunch)")
    return args, train_args


def relaunch_command(train_args: list[str], target: str, device: str, processes: int) -> list[str]:
    """The entry point with the training's arguments, resuming from `target` on `device`."""
    from resources.remote_training import training_command

    return training_command(processes, [*train_args, "--set", f"device={device}", "--checkpoints", target])


def main(argv: list[str] | None = None, prog: str = "sentiment-assets move") -> int:
    args, train_args = parse_args(sys.argv[1:] if argv is None else argv, prog)
    source, target = checkpoint_store_from_uri(args.source), checkpoint_store_from_uri(args.target)
    if not args.interrupted:
        print(f"asking the run in {source.describe()} to stop; waiting up to {args.wait_seconds:g} s", flush=True)
    try:
        moved = move_checkpoints(
            source, target, after_step=args.after_step, interrupted=args.interrupted, wait_seconds=args.wait_seconds
        )
    except (RuntimeError, TimeoutError, ValueError) as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 1
    last = moved.segments[-1] if moved.segments else None
    where = f" on {last.host} ({last.device})" if last else ""
    print(f"stopped at step {moved.step}{where}; checkpoints {moved.copied_steps} copied to {moved.target}")
    if args.no_relaunch:
        return 0
    command = relaunch_command(train_args, moved.target, args.device, args.processes)
    print(f"resuming from step {moved.step} on {args.device}: {' '.join(command)}", flush=True)
    return subprocess.run(command).returncode
