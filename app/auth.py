"""API keys on requests: `Authorization: Bearer TOKEN`, checked against a scope."""

import math
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.db import WriteSessionDep
from app.errors import AppError
from app.limits import write_limiter
from app.models import ApiKey, Scope
from app.services.keys import authenticate

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key from `citykb keys create NAME --scope curator|admin`.",
)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="citykb"'}
GRANTS = {Scope.curator: {Scope.curator, Scope.admin}, Scope.admin: {Scope.admin}}
"""For each scope a route needs, the key scopes that hold it."""


def require(scope: Scope) -> Callable[..., ApiKey]:
    """A dependency that admits only a live key holding `scope`, and returns it."""

    def authorized(
        session: WriteSessionDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> ApiKey:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise AppError(
                401, "This needs an API key: `Authorization: Bearer TOKEN`.", headers=CHALLENGE
            )
        key = authenticate(session=session, token=credentials.credentials)
        if key is None:
            raise AppError(401, "The API key is not valid, or has been revoked.", headers=CHALLENGE)
        if key.scope not in GRANTS[scope]:
            raise AppError(403, f"The key {key.name!r} lacks the {scope.value!r} scope.")
        wait = write_limiter().take(key.name)
        if wait is not None:
            raise AppError(
                429,
                f"The key {key.name!r} has made too many writes; retry after the pause.",
                headers={"Retry-After": str(math.ceil(wait))},
            )
        return key

    authorized.required_scope = scope  # type: ignore[attr-defined]
    return authorized
