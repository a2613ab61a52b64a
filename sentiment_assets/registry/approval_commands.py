"""Approve or reject registered model versions from the command line.

    sentiment-assets registry pending
    sentiment-assets registry approve 3 --reason "checked the confusion matrix"
    sentiment-assets registry reject 4 --reason "worse on Trend"

Uses the MLflow store of the active profile (SENTIMENT_PROFILE, SENTIMENT_HOME).
"""

from __future__ import annotations

import argparse

VERBS = {
    "approve": "approve a version that passed the gate: it becomes the champion",
    "reject": "reject a waiting version (the current champion cannot be rejected)",
}


def main(argv: list[str] | None = None, prog: str = "sentiment-assets registry") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=(__doc__ or "").partition("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("pending", help="the versions waiting for a decision")
    for verb, help_text in VERBS.items():
        command = commands.add_parser(verb, help=help_text, description=help_text)
        command.add_argument("version", type=int, help="the version number, as `pending` lists it")
        command.add_argument("--reason", default="", help="recorded with the decision on the version")
    args = parser.parse_args(argv)

    # Imported only now: the profiles pull in Dagster and MLflow, which `--help` need not load.
    from resources.environment import disable_telemetry, get_profile
    from resources.profiles import resolved, resources_for
    from sentiment_assets.registry.approval import pending_versions, record_decision

    disable_telemetry()
    tracking = resolved(resources_for(get_profile())["mlflow_tracking"])
    client, name = tracking.client(), tracking.registered_model_name
    if args.command == "pending":
        waiting = pending_versions(client, name)
        print(
            "\n".join(f"v{v['version']}  test_accuracy={v['test_accuracy']}  {v['family']}" for v in waiting)
            or f"no version of {name} is waiting for approval"
        )
        return 0
    print(record_decision(client, name, args.version, approve=args.command == "approve", reason=args.reason).message)
    return 0
