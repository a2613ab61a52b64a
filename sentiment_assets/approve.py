"""Approve or reject registered model versions from the command line.

    python -m sentiment_assets.approve list
    python -m sentiment_assets.approve approve 3 --reason "checked the confusion matrix"
    python -m sentiment_assets.approve reject 4 --reason "worse on Trend"

Uses the MLflow store of the active profile (SENTIMENT_PROFILE, SENTIMENT_HOME).
"""

from __future__ import annotations

import argparse

from resources.environment import disable_telemetry, get_profile
from resources.profiles import resources_for
from sentiment_assets.approval import pending_versions, record_decision


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sentiment_assets.approve", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="versions waiting for approval")
    for verb in ("approve", "reject"):
        command = commands.add_parser(verb)
        command.add_argument("version", type=int)
        command.add_argument("--reason", default="")
    args = parser.parse_args(argv)

    disable_telemetry()
    tracking = resources_for(get_profile())["mlflow_tracking"]
    client, name = tracking.client(), tracking.registered_model_name
    if args.command == "list":
        waiting = pending_versions(client, name)
        print(
            "\n".join(f"v{v['version']}  test_accuracy={v['test_accuracy']}  {v['family']}" for v in waiting)
            or f"no version of {name} is waiting for approval"
        )
        return
    print(record_decision(client, name, args.version, approve=args.command == "approve", reason=args.reason).message)


if __name__ == "__main__":
    main()
