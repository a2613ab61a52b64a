"""Reading a request body with a size cap (413) and a deadline (408).

Both are enforced while reading, not after: a client that announces or streams more than the
cap is refused at the first byte over it, and one that stops sending (Content-Length 100, then
19 bytes and silence) is answered 408 when the deadline passes instead of holding the request,
and a thread of the server's attention, forever.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request

from sentiment_assets.serving.jsonlines import BAD_REQUEST, PAYLOAD_TOO_LARGE, REQUEST_TIMEOUT, RequestError


async def read_body(request: Request, limit: int, timeout_s: float) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed `limit` bytes (from
    Content-Length before reading, and while reading for chunked or lying clients), and with
    408 if it has not all arrived `timeout_s` seconds after the headers."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise RequestError(BAD_REQUEST, f"Content-Length {declared!r} is not a number of bytes")
        if int(declared) > limit:
            raise RequestError(PAYLOAD_TOO_LARGE, f"body is {int(declared)} bytes; the limit is {limit} bytes")
    chunks, size = [], 0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise RequestError(PAYLOAD_TOO_LARGE, f"body exceeds the limit of {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise RequestError(
            REQUEST_TIMEOUT,
            f"the body did not arrive within {timeout_s:g} s ({size} bytes received{_of_declared(declared)})",
        ) from None
    return b"".join(chunks)


def _of_declared(declared: str | None) -> str:
    return f" of {declared} announced" if declared is not None else ""
