"""Serve the registry's champion (and challenger) over HTTP, move traffic between them, read the stats.

    sentiment-assets serving serve [--port 8080] [--tracking-uri URI] [--model-name NAME]
    sentiment-assets serving shift-traffic --challenger 0.2
    sentiment-assets serving stats [--json]

The tracking URI is --tracking-uri, else MLFLOW_TRACKING_URI, else the store of the active
profile (SENTIMENT_PROFILE, SENTIMENT_HOME). Routing table and traffic log default to
`<SENTIMENT_HOME>/serving/` (SENTIMENT_ROUTING_TABLE, SENTIMENT_TRAFFIC_LOG override them).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import sys
from pathlib import Path

from resources.environment import disable_telemetry
from sentiment_assets.serving.routing import (
    CHALLENGER,
    RoutingFile,
    challenger_table,
    default_table,
    read_table,
    write_table,
)
from sentiment_assets.serving.settings import (
    DEFAULT_BODY_TIMEOUT_S,
    DEFAULT_HEADER_TIMEOUT_S,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_TEXTS,
    DEFAULT_SHADOW_FRACTION,
    DEFAULT_TRAFFIC_LOG_BACKUPS,
    DEFAULT_TRAFFIC_LOG_MAX_BYTES,
    KEEP_ALIVE_TIMEOUT_S,
    MODEL_NAME_ENV_VAR,
    ServingLimits,
    default_routing_path,
    default_traffic_log_path,
)
from sentiment_assets.serving.traffic_log import TrafficLog, format_stats


def main(argv: list[str] | None = None, prog: str = "sentiment-assets serving") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=(__doc__ or "").partition("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the endpoint in the foreground (Ctrl-C or SIGTERM stops it)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument(
        "--tracking-uri", help="MLflow tracking/registry URI (default: MLFLOW_TRACKING_URI, else the profile's)"
    )
    serve.add_argument("--model-name", help=f"registered model (default: {MODEL_NAME_ENV_VAR}, else the profile's)")
    serve.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES)
    serve.add_argument("--max-texts", type=int, default=DEFAULT_MAX_TEXTS)
    serve.add_argument(
        "--shadow-fraction",
        type=float,
        default=DEFAULT_SHADOW_FRACTION,
        help="share of requests the other variant also scores, to measure agreement "
        "(default 0: each shadowed request costs twice the model time)",
    )
    serve.add_argument(
        "--header-timeout",
        type=float,
        default=DEFAULT_HEADER_TIMEOUT_S,
        help="seconds a client has to send a request's headers before the connection is closed",
    )
    serve.add_argument(
        "--body-timeout",
        type=float,
        default=DEFAULT_BODY_TIMEOUT_S,
        help="seconds a client has to send a request's body after its headers (then 408)",
    )
    serve.add_argument(
        "--traffic-log-max-bytes",
        type=int,
        default=DEFAULT_TRAFFIC_LOG_MAX_BYTES,
        help="rotate the traffic log at this size",
    )
    serve.add_argument(
        "--traffic-log-backups",
        type=int,
        default=DEFAULT_TRAFFIC_LOG_BACKUPS,
        help="rotated traffic log files to keep (older ones are deleted; their counts stay in the stats)",
    )
    serve.add_argument("--log-level", default="info")

    shift = commands.add_parser(
        "shift-traffic", help="set the challenger's share of traffic (the server picks it up live)"
    )
    shift.add_argument("--challenger", type=float, required=True, help="0..1; the champion gets the rest")

    stats = commands.add_parser("stats", help="per-variant requests, latency, agreement and weights")
    stats.add_argument("--json", action="store_true", help="print the summary as JSON")

    for command in (serve, shift, stats):
        command.add_argument(
            "--routing", type=Path, help="routing table JSON (default: <SENTIMENT_HOME>/serving/routing.json)"
        )
    for command in (serve, stats):
        command.add_argument(
            "--traffic-log", type=Path, help="traffic JSON Lines (default: <SENTIMENT_HOME>/serving/traffic.jsonl)"
        )
    args = parser.parse_args(argv)
    routing_path = args.routing or default_routing_path()
    traffic_path = getattr(args, "traffic_log", None) or default_traffic_log_path()

    disable_telemetry()
    if args.command == "serve":
        try:
            limits = ServingLimits(
                args.max_body_bytes, args.max_texts, args.shadow_fraction, args.header_timeout, args.body_timeout
            )
            traffic = TrafficLog(traffic_path, args.traffic_log_max_bytes, args.traffic_log_backups)
        except ValueError as error:
            parser.error(str(error))
        return _serve(args, limits, routing_path, traffic)
    if args.command == "shift-traffic":
        try:
            table = challenger_table(args.challenger)
        except ValueError as error:
            parser.error(str(error))
        write_table(routing_path, table)
        print(f"{routing_path}: " + ", ".join(f"{v} {share:.0%}" for v, share in table.shares().items()))
        return 0
    try:
        weights = read_table(routing_path).shares() if routing_path.exists() else {}
    except ValueError as error:
        print(f"warning: {error}", file=sys.stderr)  # the traffic is still worth showing
        weights = {}
    # The checkpoint of rotated traffic plus the current file: bounded however long the server has run.
    summary = TrafficLog(traffic_path).summary(weights)
    print(json.dumps(summary, indent=2) if args.json else format_stats(summary))
    return 0


def _serve(args: argparse.Namespace, limits: ServingLimits, routing_path: Path, traffic: TrafficLog) -> int:
    import uvicorn
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    from sentiment_assets.serving.app import create_app
    from sentiment_assets.serving.header_timeout import with_header_timeout
    from sentiment_assets.serving.variants import NoChampionError, load_variants

    tracking_uri, model_name = _registry(args)
    try:
        variants = load_variants(tracking_uri, model_name)
    except NoChampionError as error:
        print(f"error: {error}", file=sys.stderr)  # a state to fix, not a bug: no traceback
        return 1
    if not routing_path.exists():
        # Written out so `stats` and a person see the weights in effect, and edit from there.
        write_table(routing_path, default_table(CHALLENGER in variants))
    print(
        f"serving {model_name}: "
        + ", ".join(f"{v.name} v{v.version}" for v in variants.values())
        + f"; routing {routing_path}; traffic log {traffic.path}",
        file=sys.stderr,
        flush=True,
    )
    traffic.summary({})  # reads the totals so far now, not during the first request
    app = create_app(variants, RoutingFile(routing_path, variants), traffic, limits, model_name)
    # uvicorn catches SIGINT/SIGTERM, stops accepting, finishes open requests, then restores this
    # handler and re-raises the signal. A requested stop is a clean one: exit 0, not -15.
    signal.signal(signal.SIGTERM, _stop_cleanly)
    # Models and libraries loaded so far live as long as the server: frozen, the garbage collector
    # stops walking them on every full collection (latency spikes) and again at exit (slow stops).
    gc.freeze()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,  # swallows Ctrl-C's KeyboardInterrupt
        http=with_header_timeout(AutoHTTPProtocol, limits.header_timeout_s),
        timeout_keep_alive=KEEP_ALIVE_TIMEOUT_S,
    )
    return 0


def _stop_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _registry(args: argparse.Namespace) -> tuple[str, str]:
    tracking_uri = args.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    model_name = args.model_name or os.environ.get(MODEL_NAME_ENV_VAR)
    if tracking_uri and model_name:
        return tracking_uri, model_name
    # Imported only here: the profiles pull in dagster-aws and dagster-dbt, which explicit options skip.
    from resources.environment import get_profile
    from resources.profiles import resources_for

    tracking = resources_for(get_profile())["mlflow_tracking"]
    return tracking_uri or tracking.tracking_uri, model_name or tracking.registered_model_name
