"""A failure inside the server answers 500 with a request id, never with the exception's text.

The exception's text can carry paths, model internals or the request itself; the client gets
`{"error": "internal error", "request_id": ...}` and the server log gets the traceback under the
same id, so a report from a client can be matched to its cause.

This is ASGI middleware rather than a Starlette exception handler: Starlette re-raises after its
500 handler runs, and uvicorn then logs the error a second time and closes the connection.
"""

from __future__ import annotations

import json
import logging
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-Id"

logger = logging.getLogger(__name__)


class InternalErrorsAnswered:
    """Wraps an ASGI app: any exception becomes a logged traceback and a generic 500."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def send_and_note(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except Exception:
            request_id = uuid.uuid4().hex
            logger.exception("request %s %s %s failed", request_id, scope.get("method"), scope.get("path"))
            if response_started:
                return  # e.g. recording the traffic after the answer: the client has what it asked for
            body = json.dumps({"error": "internal error", "request_id": request_id}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (REQUEST_ID_HEADER.lower().encode(), request_id.encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
