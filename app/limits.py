"""Request limits enforced before a request reaches the routes."""

import threading
import time
from functools import lru_cache

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import get_settings
from app.errors import AppError, problem_response

MAX_BODY_BYTES = 1 << 20
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class BodySizeLimit:
    """Refuse request bodies over `limit` bytes with a 413 problem, declared or streamed.

    A body is read in full (up to the limit) before the route sees it, so that no route can
    act on part of a body that turns out too large."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and not declared.isdigit():
            await self._answer(AppError(400, "Content-Length is not a number."), scope, send)
            return
        if declared is not None and int(declared) > self.limit:
            await self._answer(self._too_large(), scope, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._answer(self._too_large(), scope, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    def _too_large(self) -> AppError:
        return AppError(413, f"The request body is larger than {self.limit} bytes.")

    async def _answer(self, error: AppError, scope: Scope, send: Send) -> None:
        async def nothing() -> Message:
            return {"type": "http.disconnect"}

        await problem_response(error)(scope, nothing, send)


class RateLimiter:
    """A token bucket per key: `per_minute` writes a minute, in bursts of as many."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float | None:
        """Spend one token of `key`; None if it had one, else seconds until it will."""
        rate = self.per_minute / 60
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - then) * rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return (1 - tokens) / rate
            self._buckets[key] = (tokens - 1, now)
            return None


@lru_cache
def write_limiter() -> RateLimiter:
    """The process's limiter for writes."""
    return RateLimiter(get_settings().write_rate_per_minute)
