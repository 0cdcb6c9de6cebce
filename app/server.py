"""The HTTP protocols `citykb serve` runs: uvicorn's, with the limits they lack.

`citykb serve` runs uvicorn's httptools protocol on uvloop, the fastest stack uvicorn has;
`--http h11` runs its pure-Python one instead, with the same guards:

- A request must arrive whole, headers included, within `HEADER_TIMEOUT_S` of the connection
  opening or of the previous answer: a client that trickles its headers (slowloris) gets a 408
  and loses the connection, instead of holding it for ever.
- A request line or header block larger than `MAX_HEAD_BYTES` gets a 414 or a 431 problem. The
  rest of what the client is still sending is read and dropped for a moment before the
  connection closes, so that the client reads the answer rather than a reset.

The httptools protocol also stamps each request with when its head was read (`ARRIVED`): the
response cache lets the requests read in one pass share one read of the revision."""

import asyncio
import time
from http import HTTPStatus
from typing import Any

import h11
import orjson
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.cache import ARRIVED
from app.config import get_settings

DRAIN_S = 2.0
"""How long a refused request's remaining bytes are read and dropped before the close."""
DRAIN_BYTES = 16 << 20
MAX_HEAD_BYTES = 16 << 10
"""The largest request line plus header block read (h11's own limit)."""
URL_TOO_LONG = "The request's URL, query string included, is too long."
HEADERS_TOO_LARGE = "The request's header fields are too large."
NOT_HTTP = (
    "The request is not valid HTTP/1.1: its request line, headers or body could not be read. "
    "A URL is ASCII: percent-encode any other character (curl: --data-urlencode)."
)


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


class HeadGuard:
    """The deadline for a request's head and the refusal of one too large, for a uvicorn
    protocol class that it comes before in the bases."""

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop

    def _guard(self) -> None:
        self._header_timeout_s = get_settings().header_timeout_s
        self._head_due: float | None = None
        """When the awaited head is due (loop time); None while no head is awaited."""
        # One timer a connection, moved on only when it fires: one scheduled and cancelled for
        # every request cost 3.6% of a cached answer's time.
        self._head_timer: asyncio.TimerHandle | None = None
        self._drained = 0
        self._draining = False

    def _drain(self, data: bytes) -> bool:
        """Whether `data` follows a refusal, and is dropped."""
        if self._draining:
            self._drained += len(data)
            if self._drained > DRAIN_BYTES:
                self.transport.close()
        return self._draining

    def _refuse(self, status: int, detail: str) -> None:
        self._headers_arrived()
        self._draining = True
        self.transport.write(problem_bytes(status, detail))
        self.loop.call_later(DRAIN_S, self.transport.close)

    def _await_headers(self) -> None:
        self._head_due = self.loop.time() + self._header_timeout_s
        if self._head_timer is None:
            self._head_timer = self.loop.call_at(self._head_due, self._head_timer_fired)

    def _headers_arrived(self) -> None:
        self._head_due = None

    def _unguard(self) -> None:
        self._head_due = None
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timer_fired(self) -> None:
        self._head_timer = None
        if self._head_due is None:  # the head came; the next one schedules its own
            return
        if self.loop.time() < self._head_due:  # a later head is awaited
            self._head_timer = self.loop.call_at(self._head_due, self._head_timer_fired)
            return
        self._head_due = None
        if self.transport.is_closing() or not self._reading_head():
            return
        if self._head_begun():
            self.transport.write(
                problem_bytes(408, "The request's headers did not arrive in time.")
            )
        self.transport.close()

    def _reading_head(self) -> bool:
        """Whether the next request's head is awaited or partly read (not its body)."""
        raise NotImplementedError

    def _head_begun(self) -> bool:
        """Whether some of that head has arrived."""
        raise NotImplementedError


class GuardedHttpToolsProtocol(HeadGuard, HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for request heads and clear answers to
    heads too large."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard()
        self._in_head = True
        self._begun = False
        self._head_size = 0  # of the request line and headers the parser has handed over
        self._head_bytes = 0  # of the chunks that arrived wholly inside the head
        self._refusal: tuple[int, str] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def data_received(self, data: bytes) -> None:
        if self._drain(data):
            return
        whole_chunk_in_head = self._in_head and self._begun
        super().data_received(data)
        # A header still arriving stays in the parser's buffer until whole: bound it too.
        if whole_chunk_in_head and self._in_head and not self._draining:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._refuse(431, HEADERS_TOO_LARGE)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._begun, self._head_size, self._head_bytes = True, True, 0, 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > MAX_HEAD_BYTES:
            self._refusal = (414, URL_TOO_LONG)
            raise ValueError(URL_TOO_LONG)  # stops the parser: uvicorn answers 400 through ours

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_size += len(name) + len(value) + 4
        if len(self.url) + self._head_size > MAX_HEAD_BYTES:
            self._refusal = (431, HEADERS_TOO_LARGE)
            raise ValueError(HEADERS_TOO_LARGE)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._headers_arrived()
        self.scope[ARRIVED] = time.monotonic()  # type: ignore[literal-required]
        self._in_head, self._begun = False, False
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        queued = bool(self.pipeline)
        if queued:
            # A pipelined request, read before this answer was sent, arrives now: stamped when
            # its head was read, it could share a revision read from before a write this
            # answer acknowledged.
            cycle, _ = self.pipeline[-1]
            cycle.scope[ARRIVED] = time.monotonic()  # type: ignore[literal-required]
        super().on_response_complete()  # starts the request queued, if any
        if not self.transport.is_closing() and not queued:
            self._in_head = True  # the next head, which may have begun to arrive
            self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._unguard()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        status, detail = self._refusal or (400, NOT_HTTP)
        self._refuse(status, detail)

    def _reading_head(self) -> bool:
        return self._in_head

    def _head_begun(self) -> bool:
        return self._begun


class GuardedH11Protocol(HeadGuard, H11Protocol):
    """uvicorn's h11 protocol with a deadline for request heads and clear answers to heads too
    large to parse."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def data_received(self, data: bytes) -> None:
        if not self._drain(data):
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
        self._unguard()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        buffered, _ = self.conn.trailing_data
        if len(buffered) > self.conn._max_incomplete_event_size:
            if b"\r\n" not in buffered[: self.conn._max_incomplete_event_size]:
                self._refuse(414, URL_TOO_LONG)
            else:
                self._refuse(431, HEADERS_TOO_LARGE)
            return
        self._refuse(400, NOT_HTTP)

    def _reading_head(self) -> bool:
        return self.conn.their_state is h11.IDLE

    def _head_begun(self) -> bool:
        return bool(self.conn.trailing_data[0])
