import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import compile_path

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger(__name__)


class ProblemError(BaseModel):
    """One invalid input."""

    loc: list[str | int] = Field(
        description="Where the bad input is.", examples=[["query", "limit"]]
    )
    msg: str = Field(
        description="What is wrong with it.", examples=["Input should be less than or equal to 200"]
    )


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(
        "about:blank",
        description="A URI that identifies the problem type.",
        examples=["about:blank"],
    )
    title: str = Field(description="A short summary of the problem type.", examples=["Not Found"])
    status: int = Field(description="The HTTP status code.", examples=[404])
    detail: str | None = Field(
        None, description="What went wrong in this request.", examples=["No project 'catl-ly1'."]
    )
    errors: list[ProblemError] | None = Field(
        None, description="Each invalid input, for 400/422.", examples=[None]
    )


class AppError(Exception):
    """An error with an HTTP status, rendered as problem+json."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: Sequence[ProblemError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = headers or {}


def bad_parameter(name: str, message: str, *, status: int = 400) -> AppError:
    """An error about one query parameter, naming it."""
    return AppError(
        status,
        f"Invalid query parameter '{name}': {message}",
        errors=[ProblemError(loc=["query", name], msg=message)],
    )


def problem_response(error: AppError) -> Response:
    """Render an AppError as an application/problem+json response."""
    problem = Problem(
        title=HTTPStatus(error.status).phrase,
        status=error.status,
        detail=error.detail,
        errors=error.errors,
    )
    body = orjson.dumps(problem.model_dump(exclude_none=True))
    return Response(body, status_code=error.status, media_type=PROBLEM_JSON, headers=error.headers)


def _validation_problem(exc: RequestValidationError) -> AppError:
    # One problem per input: a value that fits no member of a union (an enum or `null`) is
    # reported once, with what each member would have accepted.
    merged: dict[tuple[str | int, ...], list[str]] = {}
    for err in exc.errors():
        loc = tuple(part for i, part in enumerate(err["loc"]) if i < 2 or isinstance(part, int))
        msg = "unknown parameter" if err["type"] == "extra_forbidden" else err["msg"]
        merged.setdefault(loc, []).append(msg)
    errors = [
        ProblemError(loc=list(loc), msg=_either(messages)) for loc, messages in merged.items()
    ]
    detail = "; ".join(
        f"Invalid {err.loc[0]} parameter '{err.loc[1]}': {err.msg}"
        if len(err.loc) > 1
        else f"Invalid input: {err.msg}"
        for err in errors
    )
    # An unknown parameter is a malformed request rather than an invalid value.
    unknown = any(err["type"] == "extra_forbidden" for err in exc.errors())
    return AppError(400 if unknown else 422, detail, errors=errors)


def _either(messages: list[str]) -> str:
    prefix = "Input should be "
    if len(messages) > 1 and all(message.startswith(prefix) for message in messages):
        return prefix + " or ".join(message.removeprefix(prefix) for message in messages)
    return "; ".join(messages)


RETRY_AFTER_S = 5
"""How long a client is asked to wait before retrying a request the database could not serve."""


def unavailable(detail: str) -> AppError:
    """A 503 that asks the client to retry after `RETRY_AFTER_S`."""
    return AppError(503, detail, headers={"Retry-After": str(RETRY_AFTER_S)})


UNDONE_BY_THE_DATABASE = {"40P01", "40001"}
"""PostgreSQL's SQLSTATEs for a transaction it rolled back to settle a conflict with another:
a deadlock, a serialization failure. Retried, it runs afresh."""
LOCK_NOT_AVAILABLE = "55P03"
"""PostgreSQL's SQLSTATE for a lock not granted within `lock_timeout`."""


def database_problem(exc: Exception) -> AppError:
    """A 507 for a database with no room left, a 503 for one that is down, busy with another's
    write or lock, or a statement that ran past the timeout."""
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    if "database or disk is full" in str(orig) or sqlstate == "53100":
        return AppError(507, "The database has no room left for this write; nothing was written.")
    timed_out = type(orig).__name__ == "QueryCanceled" or "interrupted" in str(orig)
    if timed_out:
        detail = "The query ran longer than the statement timeout and was cancelled."
    elif sqlstate in UNDONE_BY_THE_DATABASE:
        detail = (
            "The database undid this request's transaction to settle a conflict with another's "
            "(a deadlock or a serialization failure); nothing was written. Retry it."
        )
    elif "database is locked" in str(orig) or sqlstate == LOCK_NOT_AVAILABLE:
        detail = "The database is busy with another process's write; retry shortly."
    else:
        detail = "The database is not reachable right now."
    return unavailable(detail)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path. The router answers a 405 from the first
    route whose path matched, so its `Allow` would name that route's methods alone."""
    allowed: set[str] = set()
    for context in iter_route_contexts(request.app.routes):
        route = context.original_route
        methods = getattr(route, "methods", None)
        if methods and compile_path(str(context.path))[0].match(request.url.path):
            allowed |= methods
    if "GET" in allowed:
        allowed.add("HEAD")  # app.http.HeadAsGet
    return sorted(allowed)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error the app can give an application/problem+json response."""

    async def on_app_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AppError)
        return problem_response(exc)

    async def on_validation_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return problem_response(_validation_problem(exc))

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
        return problem_response(AppError(exc.status_code, detail, headers=headers))

    async def on_database_error(request: Request, exc: Exception) -> Response:
        problem = database_problem(exc)
        logger.warning("%s %s: %s (%s)", request.method, request.url.path, problem.detail, exc)
        return problem_response(problem)

    async def on_unexpected_error(_request: Request, _exc: Exception) -> Response:
        return problem_response(AppError(500, "The server failed to answer this request."))

    app.add_exception_handler(AppError, on_app_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(OperationalError, on_database_error)
    app.add_exception_handler(InterfaceError, on_database_error)
    app.add_exception_handler(SQLAlchemyTimeoutError, on_database_error)
    app.add_exception_handler(Exception, on_unexpected_error)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": description}
    for status, description in (
        (400, "Bad request: a parameter is not acceptable."),
        (404, "No such record."),
        (422, "Invalid input: a parameter fails validation."),
        (500, "Unexpected server error."),
        (
            503,
            "The database is unreachable or busy, undid the transaction in a conflict with "
            "another, or the query timed out; retry after `Retry-After`.",
        ),
    )
}
