"""Where a prediction or a registered model came from, printed as a chain.

    python -m sentiment_assets.lineage prediction REVIEW_ID [--partition KEY]
    python -m sentiment_assets.lineage model VERSION
    python -m sentiment_assets.lineage reproduce VERSION

(also `sentiment-assets lineage ...`). It reads the profile's warehouse and MLflow registry
($SENTIMENT_PROFILE, $SENTIMENT_HOME as for the pipeline).
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None, prog: str = "python -m sentiment_assets.lineage") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=(__doc__ or "").partition("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prediction = commands.add_parser("prediction", help="a review's stored predictions and what each came from")
    prediction.add_argument("review_id", help="the review's id as raw_reviews holds it")
    prediction.add_argument("--partition", help="only the prediction in this partition (source file)")
    model = commands.add_parser("model", help="a registered model version and what it came from")
    model.add_argument("version", type=int, help="the registered model's version number")
    again = commands.add_parser(
        "reproduce",
        help="re-create a registered version from its recorded inputs and compare its test predictions "
        "(identical, or within the stated tolerance for the fine-tuned transformer); refuses, naming it, when "
        "the code, a raw file, the feature table's snapshot or the train split as then read differs",
    )
    again.add_argument("version", type=int, help="the registered model's version number")
    args = parser.parse_args(argv)

    # Imported only now: the profiles pull in Dagster and MLflow, which `--help` need not load.
    from resources.environment import disable_telemetry, get_profile
    from resources.profiles import resolved, resources_for
    from sentiment_assets.lineage.chain import (
        LineageNotFound,
        format_model_chain,
        format_prediction_chain,
        model_chain,
        prediction_chains,
    )

    disable_telemetry()
    resources = resources_for(get_profile())
    tracking, warehouse = resolved(resources["mlflow_tracking"]), resolved(resources["warehouse"])
    client = tracking.client()
    try:
        if args.command == "model":
            print(format_model_chain(model_chain(client, tracking.registered_model_name, args.version)))
            return 0
        if args.command == "reproduce":
            return _reproduce(resources, warehouse, tracking, client, args.version, prog)
        chains = prediction_chains(warehouse, client, args.review_id, args.partition)
    except LineageNotFound as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 1
    print("\n\n".join(format_prediction_chain(chain) for chain in chains))
    return 0


def _reproduce(resources: dict, warehouse, tracking, client, version: int, prog: str) -> int:
    """Print the comparison; exit 0 when the predictions are identical (or, for the transformer,
    within its stated tolerance), 1 when they differ, 2 when
    the version cannot be re-created (the reason on stderr)."""
    from sentiment_assets.lineage.reproduce import CannotReproduce, reproduce

    try:
        result = reproduce(
            warehouse,
            client,
            tracking.registered_model_name,
            version,
            tracking_uri=tracking.tracking_uri,
            s3_client=_s3_client(resources),
        )
    except CannotReproduce as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 2
    print(result.summary())
    return 0 if result.reproduced else 1


def _s3_client(resources: dict):
    """A client for raw files recorded at s3:// locations; None where none can be made (only a
    recorded s3:// file then fails, by name)."""
    try:
        return resources["s3"].get_client()
    except Exception:  # no region, no credentials: botocore raises several types  # noqa: BLE001
        return None


if __name__ == "__main__":
    raise SystemExit(main())
