"""The HTTP protocol `citykb serve` runs: uvicorn's, with the limits it lacks.

- A request must arrive whole, headers included, within `HEADER_TIMEOUT_S` of the connection
  opening or of the previous answer: a client that trickles its headers (slowloris) gets a 408
  and loses the connection, instead of holding it for ever.
- A request line or header block too large to parse gets a 414 or a 431 problem. The rest of
  what the client is still sending is read and dropped for a moment before the connection
  closes, so that the client reads the answer rather than a reset."""

import asyncio
from http import HTTPStatus
from typing import Any

import h11
import orjson
from uvicorn.protocols.http.h11_impl import H11Protocol

from app.config import get_settings

DRAIN_S = 2.0
"""How long a refused request's remaining bytes are read and dropped before the close."""
DRAIN_BYTES = 16 << 20


def problem_bytes(status: int, detail: str) -> bytes:
    """A whole HTTP/1.1 answer with an application/problem+json body, closing the connection."""
    phrase = HTTPStatus(status).phrase
    problem = {"type": "about:blank", "title": phrase, "status": status, "detail": detail}
    body = orjson.dumps(problem)
    head = (
        f"HTTP/1.1 {status} {phrase}\r\n"
        "content-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for request headers and clear answers to
    requests too large to parse."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout_s = get_settings().header_timeout_s
        self._header_deadline: asyncio.TimerHandle | None = None
        self._drained = 0
        self._draining = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def data_received(self, data: bytes) -> None:
        if self._draining:
            self._drained += len(data)
            if self._drained > DRAIN_BYTES:
                self.transport.close()
            return
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._headers_arrived()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_arrived()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        buffered, _ = self.conn.trailing_data
        if len(buffered) > self.conn._max_incomplete_event_size:
            if b"\r\n" not in buffered[: self.conn._max_incomplete_event_size]:
                self._refuse(414, "The request's URL, query string included, is too long.")
            else:
                self._refuse(431, "The request's header fields are too large.")
            return
        self._refuse(400, "The request is not valid HTTP/1.1.")

    def _refuse(self, status: int, detail: str) -> None:
        self._headers_arrived()
        self._draining = True
        self.transport.write(problem_bytes(status, detail))
        self.loop.call_later(DRAIN_S, self.transport.close)

    def _await_headers(self) -> None:
        self._headers_arrived()
        self._header_deadline = self.loop.call_later(self._header_timeout_s, self._headers_too_slow)

    def _headers_arrived(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        buffered, _ = self.conn.trailing_data
        if buffered:
            self.transport.write(
                problem_bytes(408, "The request's headers did not arrive in time.")
            )
        self.transport.close()
