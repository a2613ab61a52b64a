"""Label the reviews the model was unsure of, from the command line.

    sentiment-assets review enqueue --threshold 0.9
    sentiment-assets review list --limit 10
    sentiment-assets review label R123 --label positive --reviewer alice --note "sarcasm"
    sentiment-assets review skip R124 --reviewer alice --note "not English"
    sentiment-assets review labels

Works on the local warehouse ($SENTIMENT_HOME/warehouse.duckdb, default .sentiment/) unless
--db names another DuckDB file. Every label or skip refreshes the human_labels table.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from resources.environment import sentiment_home
from sentiment_assets.frames import column as col
from sentiment_assets.frames import columns as select
from sentiment_assets.labels import SENTIMENT_NAMES
from sentiment_assets.scoring.review_queue import (
    STATUSES,
    ReviewQueueError,
    Warehouse,
    enqueue_low_confidence,
    human_labels,
    list_items,
    record_label,
    skip_item,
)

# The file resources.profiles.local_resources gives the warehouse; read here without importing
# the whole resource stack, so the CLI starts quickly.
WAREHOUSE_FILE = "warehouse.duckdb"
BODY_WIDTH = 70


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--db", help=f"DuckDB file (default: $SENTIMENT_HOME/{WAREHOUSE_FILE})")
    commands = parser.add_subparsers(dest="command", required=True)

    enqueue = commands.add_parser("enqueue", help="queue predictions below a probability threshold")
    enqueue.add_argument("--threshold", type=float, default=0.90)
    enqueue.add_argument("--model-version", type=int)
    enqueue.add_argument("--partition", help="only reviews of this source partition")

    listing = commands.add_parser("list", help="queued items, least confident first")
    listing.add_argument("--status", choices=[*STATUSES, "all"], default="pending")
    listing.add_argument("--limit", type=int, default=20)

    label = commands.add_parser("label", help="record a human label")
    label.add_argument("review_id")
    label.add_argument("--label", required=True, help="negative, neutral, positive (or -1, 0, 1)")
    skip = commands.add_parser("skip", help="skip an item that cannot be labelled")
    skip.add_argument("review_id")
    for command in (label, skip):
        command.add_argument("--reviewer", required=True)
        command.add_argument("--note")
        command.add_argument("--model-version", type=int, help="needed when the review is queued for several")

    commands.add_parser("labels", help="the human labels training will use")
    return parser


def _left_aligned(width: int) -> Callable[[object], str]:
    """A to_string formatter padding each value to `width` characters."""
    return lambda value: str(value).ljust(width)


def _table(frame: pd.DataFrame, columns: list[str]) -> str:
    shown = select(frame, columns).copy()
    for column in ("predicted_label", "human_label", "sentiment"):
        if column in shown:
            shown[column] = shown[column].map(lambda v: SENTIMENT_NAMES.get(v, "") if pd.notna(v) else "")
    for column in ("probability", "model_probability"):
        if column in shown:
            shown[column] = shown[column].round(3)
    if "review_body" in shown:
        shown["review_body"] = (
            shown["review_body"]
            .fillna("")
            .map(lambda text: text if len(text) <= BODY_WIDTH else text[: BODY_WIDTH - 3] + "...")
        )
    # Text reads better left-aligned; pandas right-aligns unless every cell has the same width.
    text_columns = [c for c in shown if not pd.api.types.is_numeric_dtype(shown[c])]
    widths = {c: int(col(shown, c).astype(str).str.len().max()) for c in text_columns}
    formatters: dict[str | int, Callable[[object], str]] = {c: _left_aligned(w) for c, w in widths.items()}
    return shown.fillna("").to_string(index=False, formatters=formatters, justify="left")


def _run(args: argparse.Namespace, warehouse: Warehouse) -> str:
    if args.command == "enqueue":
        added = enqueue_low_confidence(
            warehouse, threshold=args.threshold, model_version=args.model_version, partition=args.partition
        )
        return f"queued {added} prediction(s) with probability below {args.threshold}"
    if args.command == "list":
        status = None if args.status == "all" else args.status
        items = list_items(warehouse, status=status, limit=args.limit)
        if items.empty:
            return f"no {status} items in the review queue" if status else "the review queue is empty"
        return _table(
            items,
            [
                "review_id",
                "model_version",
                "predicted_label",
                "probability",
                "status",
                "human_label",
                "reviewer",
                "review_body",
            ],
        )
    if args.command in ("label", "skip"):
        if args.command == "label":
            item = record_label(warehouse, args.review_id, args.label, args.reviewer, args.note, args.model_version)
            done = f"labelled {args.review_id} as {SENTIMENT_NAMES[item['human_label']]}"
        else:
            item = skip_item(warehouse, args.review_id, args.reviewer, args.note, args.model_version)
            done = f"skipped {args.review_id}"
        model_said = (
            f"model v{item['model_version']} said {SENTIMENT_NAMES[item['predicted_label']]} "
            f"with probability {item['probability']:.3f}"
        )
        return f"{done} ({model_said}); reviewer {item['reviewer']}"
    labels = human_labels(warehouse)
    if labels.empty:
        return "no human labels yet"
    return _table(labels, ["review_id", "sentiment", "reviewer", "labelled_at", "model_version", "model_probability"])


def main(argv: list[str] | None = None, prog: str = "sentiment-assets review") -> int:
    args = _parser(prog).parse_args(argv)
    db = Path(args.db) if args.db else sentiment_home() / WAREHOUSE_FILE
    if not db.exists():
        print(f"error: no warehouse at {db}: pass --db or set SENTIMENT_HOME", file=sys.stderr)
        return 2
    # Imported here: resources.warehouse loads Dagster, which `--help` and a bad path need not wait for.
    from resources.warehouse import DuckDBWarehouse

    try:
        print(_run(args, DuckDBWarehouse(path=str(db))))
    except ReviewQueueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
