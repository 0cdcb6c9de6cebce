"""API keys on requests: `Authorization: Bearer TOKEN`, checked against a scope.

A write is admitted in two steps. `require` authenticates on a read, before the request queues
for the write turn: a missing or bad key (401), a key without the scope (403) and a key whose
bucket is empty (429) are answered at once, whatever holds the write lock. `write_session`
then spends the key's token and records its use in the write's own transaction."""

import logging
import math
from collections.abc import Callable, Iterator
from functools import cache
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.db import SessionsDep, WriteSessionDep, begin_write
from app.errors import AppError
from app.limits import write_limiter
from app.models import ApiKey, Scope
from app.services.keys import authenticate, record_use

logger = logging.getLogger(__name__)
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key from `citykb keys create NAME --scope curator|admin`.",
)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="citykb"'}
GRANTS = {Scope.curator: {Scope.curator, Scope.admin}, Scope.admin: {Scope.admin}}
"""For each scope a route needs, the key scopes that hold it."""


def too_many_writes(key_name: str, wait: float) -> AppError:
    """The 429 for a key whose bucket is empty, with the seconds until it holds a token."""
    return AppError(
        429,
        f"The key {key_name!r} has made too many writes; retry after the pause.",
        headers={"Retry-After": str(max(1, math.ceil(wait)))},
    )


@cache
def require(scope: Scope) -> Callable[..., ApiKey]:
    """A dependency that admits only a live key holding `scope` whose bucket holds a token, and
    returns it. It only reads, and never waits for the write turn. The same callable for the
    same scope, so that FastAPI runs it once per request however many dependencies name it."""

    def authorized(
        sessions: SessionsDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> ApiKey:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise AppError(
                401, "This needs an API key: `Authorization: Bearer TOKEN`.", headers=CHALLENGE
            )
        with sessions.pooled() as session:
            key = authenticate(session=session, token=credentials.credentials)
            if key is None:
                raise AppError(
                    401, "The API key is not valid, or has been revoked.", headers=CHALLENGE
                )
            if key.scope not in GRANTS[scope]:
                raise AppError(403, f"The key {key.name!r} lacks the {scope.value!r} scope.")
            wait = write_limiter().wait(session=session, key_name=key.name)
        if wait is not None:
            raise too_many_writes(key.name, wait)
        return key

    authorized.required_scope = scope  # type: ignore[attr-defined]
    return authorized


@cache
def write_session(scope: Scope) -> Callable[..., Iterator[Session]]:
    """A dependency: the request's write session, once `require(scope)` has admitted its key
    (so a refused request never queues for the write turn), with the key's token spent."""

    def spent(
        key: Annotated[ApiKey, Depends(require(scope))], session: WriteSessionDep
    ) -> Iterator[Session]:
        yield from spending_a_token(session=session, key=key)

    return spent


def spending_a_token(*, session: Session, key: ApiKey) -> Iterator[Session]:
    """Spend the key's token and record its use, then yield the session for the write. A write
    that fails (422, 409, ...) is rolled back, and its token spent again on its own, so that
    failing writes count against the limit as the others do."""
    wait = write_limiter().take(session=session, key_name=key.name)
    if wait is not None:  # another request with this key spent the last token since `require`
        raise too_many_writes(key.name, wait)
    record_use(session=session, key=key)
    try:
        yield session
    except Exception:
        _spend_again(session, key)
        raise


def _spend_again(session: Session, key: ApiKey) -> None:
    """Roll a failed write back, and spend its token in a transaction of its own."""
    try:
        session.rollback()
        begin_write(session)
        write_limiter().take(session=session, key_name=key.name)
        session.commit()
    except SQLAlchemyError as error:
        # The database cannot take a write now (gone, disk full): the token is not spent, and
        # the write's own error is what the client hears.
        logger.warning("the token of a failed write could not be kept: %s", error)
        session.rollback()


CuratorKey = Annotated[ApiKey, Depends(require(Scope.curator))]
AdminKey = Annotated[ApiKey, Depends(require(Scope.admin))]
# scope="function": the write commits when the route returns, before the answer is sent.
CuratorSession = Annotated[Session, Depends(write_session(Scope.curator), scope="function")]
AdminSession = Annotated[Session, Depends(write_session(Scope.admin), scope="function")]
