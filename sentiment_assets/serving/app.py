"""The ASGI application: POST /invocations, GET /ping, /health and /stats.

Scoring runs in Starlette's thread pool so /ping and /health answer while a large request is
being scored. The shadow scoring and the traffic record happen after the response is sent
(a background task), so measuring agreement never slows the client down, though a shadowed
request still costs the server twice the model time. A failure answers a generic 500 with a
request id (server_errors); the body is read under a size cap and a deadline (request_body).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Mapping
from typing import Any, cast

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ExceptionHandler

from sentiment_assets.serving.jsonlines import (
    MAX_JSON_DEPTH,
    REQUEST_TIMEOUT,
    RESPONSE_TYPE,
    RequestError,
    check_content_type,
    format_predictions,
    parse_invocation,
)
from sentiment_assets.serving.request_body import read_body
from sentiment_assets.serving.routing import RoutingFile
from sentiment_assets.serving.server_errors import InternalErrorsAnswered
from sentiment_assets.serving.settings import ServingLimits
from sentiment_assets.serving.traffic_log import TrafficLog, TrafficRecord
from sentiment_assets.serving.variants import Variant

VARIANT_HEADER, VERSION_HEADER = "X-Model-Variant", "X-Model-Version"

logger = logging.getLogger(__name__)


def create_app(
    variants: Mapping[str, Variant],
    routing: RoutingFile,
    traffic: TrafficLog,
    limits: ServingLimits,
    model_name: str,
    rng: random.Random | None = None,
) -> Starlette:
    """The endpoint over already-loaded `variants`.

    `rng` draws each request's route and whether it is shadowed; a seeded one makes both reproducible.
    """
    rng = rng or random.Random()
    started = time.monotonic()

    async def invocations(request: Request) -> Response:
        arrived, received = time.time(), time.perf_counter()
        check_content_type(request.headers.get("content-type"))  # 415 before reading a body we cannot parse
        body = await read_body(request, limits.max_body_bytes, limits.body_timeout_s)
        texts = parse_invocation(body, request.headers.get("content-type"), limits.max_texts)
        variant = variants[routing.current().choose(rng.random())]
        labels, probabilities = await run_in_threadpool(variant.predict, texts)
        latency_ms = (time.perf_counter() - received) * 1000
        others = [v for name, v in variants.items() if name != variant.name]
        shadow = others[0] if others and rng.random() < limits.shadow_fraction else None
        record = BackgroundTask(_record, traffic, arrived, variant, texts, labels, latency_ms, shadow)
        return Response(
            format_predictions(labels, probabilities),
            media_type=RESPONSE_TYPE,
            background=record,
            headers={VARIANT_HEADER: variant.name, VERSION_HEADER: variant.version},
        )

    async def ping(request: Request) -> Response:
        # SageMaker's contract: 200 once the container can serve, anything else while it cannot.
        return Response(status_code=200 if variants else 503)

    async def health(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok" if variants else "no models loaded",
                "model_name": model_name,
                "variants": {name: {"version": v.version, "model_uri": v.model_uri} for name, v in variants.items()},
                "routing": {"weights": routing.current().shares(), "path": str(routing.path), "error": routing.error},
                "shadow_fraction": limits.shadow_fraction,
                "limits": {
                    "max_body_bytes": limits.max_body_bytes,
                    "max_texts": limits.max_texts,
                    "max_json_depth": MAX_JSON_DEPTH,
                    "header_timeout_s": limits.header_timeout_s,
                    "body_timeout_s": limits.body_timeout_s,
                },
                "uptime_s": round(time.monotonic() - started, 3),
            }
        )

    async def stats(request: Request) -> Response:
        weights = routing.current().shares()
        # Running totals, not the log: the cost does not grow with traffic (a thread only for the
        # first call of a process, which reads the checkpoint and the current file).
        summary = await run_in_threadpool(traffic.summary, weights)
        return JSONResponse({**summary, "traffic_log": str(traffic.path)})

    return Starlette(
        routes=[
            Route("/invocations", invocations, methods=["POST"]),
            Route("/ping", ping, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            Route("/stats", stats, methods=["GET"]),
        ],
        # Starlette calls each handler with its own exception class only; its type says any Exception.
        exception_handlers=cast(
            Mapping[Any, ExceptionHandler], {RequestError: _request_error, HTTPException: _http_error}
        ),
        middleware=[Middleware(InternalErrorsAnswered)],
    )


def _record(
    traffic: TrafficLog,
    arrived: float,
    variant: Variant,
    texts: list[str],
    labels: list[int],
    latency_ms: float,
    shadow: Variant | None,
) -> None:
    agreed = None
    if shadow is not None:
        try:
            shadow_labels, _ = shadow.predict(texts)
            agreed = sum(a == b for a, b in zip(labels, shadow_labels, strict=False))
        except Exception:
            # The client already has its answer; a failing shadow must not lose the request's record.
            logger.exception("shadow scoring by %s v%s failed", shadow.name, shadow.version)
            shadow = None
    traffic.append(
        TrafficRecord(
            arrived,
            variant.name,
            variant.version,
            len(texts),
            round(latency_ms, 3),
            shadow.name if shadow else None,
            agreed,
        )
    )


async def _request_error(request: Request, error: RequestError) -> Response:
    # A timed-out body is still arriving, or never will: this connection cannot carry another request.
    headers = {"Connection": "close"} if error.status == REQUEST_TIMEOUT else None
    return JSONResponse({"error": error.message, **error.fields}, status_code=error.status, headers=headers)


async def _http_error(request: Request, error: HTTPException) -> Response:
    return JSONResponse({"error": error.detail}, status_code=error.status_code, headers=error.headers)
