"""Request limits enforced before a request reaches the routes."""

import asyncio
import time
from functools import lru_cache

from sqlalchemy import Select, case, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import get_settings
from app.errors import AppError, problem_response
from app.models import RateBucket

MAX_BODY_BYTES = 1 << 20
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class BodySizeLimit:
    """Refuse request bodies over `limit` bytes with a 413 problem, declared or streamed, and
    bodies that take longer than `timeout_s` (default: `BODY_TIMEOUT_S`) to arrive with a 408.

    A body is read in full (up to the limit) before the route sees it, so that no route can
    act on part of a body that turns out too large, and no write waits on a slow client."""

    def __init__(
        self, app: ASGIApp, limit: int = MAX_BODY_BYTES, timeout_s: float | None = None
    ) -> None:
        self.app = app
        self.limit = limit
        self.timeout_s = get_settings().body_timeout_s if timeout_s is None else timeout_s

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
        try:
            async with asyncio.timeout(self.timeout_s):
                body = await self._read(receive)
        except TimeoutError:
            await self._answer(self._too_slow(), scope, send)
            return
        if body is None:  # the client went away
            return
        if isinstance(body, AppError):
            await self._answer(body, scope, send)
            return
        whole = body
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": whole, "more_body": False}

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> bytes | AppError | None:
        """The whole body; a 413 when it is too large; None when the client disconnected."""
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return self._too_large()
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    def _too_large(self) -> AppError:
        return AppError(413, f"The request body is larger than {self.limit} bytes.")

    def _too_slow(self) -> AppError:
        # The rest of the body may still come: the connection cannot carry another request.
        return AppError(
            408,
            f"The request body did not arrive within {self.timeout_s:g} s of its headers.",
            headers={"Connection": "close"},
        )

    async def _answer(self, error: AppError, scope: Scope, send: Send) -> None:
        async def nothing() -> Message:
            return {"type": "http.disconnect"}

        await problem_response(error)(scope, nothing, send)


class RateLimiter:
    """A token bucket per key: `per_minute` writes a minute, in bursts of as many.

    The buckets are rows of `rate_buckets`, so that every worker and replica sharing the
    database spends from the same one. A request checks its bucket on a read before it queues
    for the write turn, and spends from it in the write's own transaction, which holds the
    bucket's row (SQLite: the write lock; PostgreSQL: FOR UPDATE) until it commits."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.rate = per_minute / 60
        """Tokens a second."""

    def _tokens(self, bucket: tuple[float, float] | None, now: float) -> float:
        if bucket is None:
            return float(self.per_minute)
        tokens, then = bucket
        return min(float(self.per_minute), tokens + max(0.0, now - then) * self.rate)

    def _wait(self, tokens: float) -> float | None:
        return None if tokens >= 1 else (1 - tokens) / self.rate

    def wait(self, *, session: Session, key_name: str) -> float | None:
        """Seconds until the key's bucket holds a token, None if it holds one now (reads only)."""
        bucket = session.execute(_bucket(key_name)).first()
        return self._wait(self._tokens(bucket, time.time()))

    def take(self, *, session: Session, key_name: str) -> float | None:
        """Spend one of the key's tokens in the session's transaction: None if it had one, else
        seconds until it will (and nothing is spent)."""
        now = time.time()
        if self._spend(session, key_name, now):
            return None
        locked = _bucket(key_name).with_for_update()
        bucket = session.execute(locked).first()
        if bucket is None:
            # Two processes may meet a new key at once: one inserts, and both lock that row.
            _insert_if_absent(session, key_name, float(self.per_minute), now)
            bucket = session.execute(locked).one()
        tokens = self._tokens(bucket, now)
        wait = self._wait(tokens)
        if wait is None:
            session.execute(
                update(RateBucket)
                .where(RateBucket.key_name == key_name)
                # A replica whose clock is behind never moves a bucket's time back.
                .values(tokens=tokens - 1, updated_at=max(now, bucket[1]))
            )
        return wait

    def _spend(self, session: Session, key_name: str, now: float) -> bool:
        """Spend a token in one statement, if the key's bucket exists and holds one."""
        then = RateBucket.updated_at
        elapsed = case((then < now, now - then), else_=0.0)
        refilled = RateBucket.tokens + elapsed * self.rate
        tokens = case((refilled > self.per_minute, float(self.per_minute)), else_=refilled)
        spent = session.execute(
            update(RateBucket)
            .where(RateBucket.key_name == key_name, tokens >= 1)
            # A replica whose clock is behind never moves a bucket's time back.
            .values(tokens=tokens - 1, updated_at=case((then < now, now), else_=then))
        )
        return bool(spent.rowcount)  # type: ignore[attr-defined]


def _bucket(key_name: str) -> Select[float, float]:
    return select(RateBucket.tokens, RateBucket.updated_at).where(RateBucket.key_name == key_name)


def _insert_if_absent(session: Session, key_name: str, tokens: float, now: float) -> None:
    values = {"key_name": key_name, "tokens": tokens, "updated_at": now}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(postgresql_insert(RateBucket).values(values).on_conflict_do_nothing())
    else:
        session.execute(sqlite_insert(RateBucket).values(values).on_conflict_do_nothing())


@lru_cache
def write_limiter() -> RateLimiter:
    """The limiter for writes, at the configured rate."""
    return RateLimiter(get_settings().write_rate_per_minute)
