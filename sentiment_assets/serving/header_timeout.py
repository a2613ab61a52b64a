"""A deadline for a request's headers, which uvicorn does not have.

uvicorn closes idle keep-alive connections and the app times out request bodies (request_body),
but from the first byte of a request to its last header line there is no timer: a client that
opens a connection and sends nothing, or sends headers a byte a minute, holds the connection
(and a place under any concurrency limit) forever. This wraps uvicorn's HTTP protocol with one.

It relies on two things both of uvicorn's HTTP/1.1 protocols (h11 and httptools) have: `cycle`,
the request/response in progress, replaced when a new request's headers are complete, and its
`response_complete`. tests/test_serving_hardening.py checks the behaviour against the real server.
"""

from __future__ import annotations

import asyncio
from typing import Any

TIMEOUT_RESPONSE = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


def with_header_timeout(protocol: type[asyncio.Protocol], timeout_s: float) -> type[asyncio.Protocol]:
    """`protocol` (a uvicorn HTTP protocol class) closing connections whose request headers are
    not complete `timeout_s` seconds after the connection opened or the request's first byte."""

    class HeaderTimeoutProtocol(protocol):  # type: ignore[misc, valid-type]
        # Set by the uvicorn protocol this extends (h11 or httptools), not declared by asyncio's.
        cycle: Any
        loop: asyncio.AbstractEventLoop
        transport: asyncio.Transport
        _header_timer: asyncio.TimerHandle | None = None
        _cycle_when_started: object = None
        _partial_request = False

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            self._start_header_timer()

        def data_received(self, data: bytes) -> None:
            if self._header_timer is None and (self.cycle is None or self.cycle.response_complete):
                self._start_header_timer()  # the first bytes of the next request on a kept-alive connection
            self._partial_request = self._header_timer is not None
            super().data_received(data)
            if self._header_timer is not None and self.cycle is not self._cycle_when_started:
                self._stop_header_timer()  # a new cycle: the headers are complete

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_header_timer()
            super().connection_lost(exc)

        def _start_header_timer(self) -> None:
            self._cycle_when_started, self._partial_request = self.cycle, False
            self._header_timer = self.loop.call_later(timeout_s, self._headers_too_slow)

        def _stop_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if self.cycle is not self._cycle_when_started or self.transport.is_closing():
                return
            if self._partial_request:
                self.transport.write(TIMEOUT_RESPONSE)  # a client mid-request learns why
            self.transport.close()

    HeaderTimeoutProtocol.__name__ = HeaderTimeoutProtocol.__qualname__ = f"HeaderTimeout{protocol.__name__}"
    return HeaderTimeoutProtocol
