from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.api.openapi import WRITE_PROBLEMS
from app.api.params import refuse_repeated
from app.api.write_routes import body_of_type
from app.auth import AdminKey, spending_a_token
from app.db import SessionsDep, begin_write, taking_write_turn
from app.errors import PROBLEM_RESPONSES, AppError, ProblemError
from app.http import json_response
from app.services.importing import ImportProblemError, import_records
from app.strict_json import DuplicateKeyError, loads_strictly

router = APIRouter(tags=["import"])
IMPORT_TYPES = ("application/x-ndjson", "application/yaml", "application/json")
DryRun = Annotated[bool, Query(description="Check and count only; write nothing.", examples=[True])]


class ImportOut(BaseModel):
    """What an import wrote, or would write."""

    dry_run: bool = Field(description="True when nothing was written.", examples=[False])
    inserted: dict[str, int] = Field(
        description="Records inserted, per collection.", examples=[{"projects": 2}]
    )
    updated: dict[str, int] = Field(
        description="Records changed, per collection.", examples=[{"figures": 1}]
    )


def _problem(text: str) -> ProblemError:
    line, _, rest = text.partition(": ") if text.startswith("line ") else ("", "", text)
    where, _, message = rest.partition(": ")
    return ProblemError(loc=["body", *([line] if line else []), where], msg=message or where)


async def import_turn(_key: AdminKey, dry_run: DryRun = False) -> AsyncIterator[None]:
    """The write turn, for an import that writes, once its key is admitted; a dry run only
    reads, and waits for no writer."""
    if dry_run:
        yield
        return
    async with taking_write_turn():
        yield


def import_session(
    key: AdminKey,
    _turn: Annotated[None, Depends(import_turn, scope="function")],
    sessions: SessionsDep,
    dry_run: DryRun = False,
) -> Iterator[Session]:
    """A dry run's read session, rolled back; or an import's write session, the key's token
    spent, committed when the import succeeds."""
    with sessions.pooled() as session:
        if dry_run:
            try:
                yield session
            finally:
                session.rollback()
            return
        begin_write(session)
        try:
            yield from spending_a_token(session=session, key=key)
            session.commit()
        except Exception:
            session.rollback()
            raise


def _duplicate_key(text: str) -> str | None:
    """Where a JSON document, or a line of JSON Lines, gives a key twice in one object."""
    try:
        loads_strictly(text)
    except DuplicateKeyError as error:
        return error.path
    except ValueError:
        pass  # JSON Lines, or YAML
    else:
        return None
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            loads_strictly(line)
        except DuplicateKeyError as error:
            return f"line {number}: {error.path}"
        except ValueError:
            continue
    return None


@router.post(
    "/import",
    operation_id="importRecords",
    summary="Import records",
    description=(
        'A seed file (YAML or JSON) or JSON Lines (`{"collection": "projects", "record": '
        "{...}}` a line), all or nothing: any problem, named by line and field, and nothing is "
        "written. Records are upserted by id and each change goes to its history. Needs an "
        "admin key; bodies over 1 MiB: use `citykb import`. A dry run only reads: it waits "
        "for no other write."
    ),
    response_model=ImportOut,
    responses={**PROBLEM_RESPONSES, **WRITE_PROBLEMS},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "application/yaml": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}},
            },
        }
    },
)
def import_route(
    request: Request,
    body: Annotated[bytes, Depends(body_of_type(*IMPORT_TYPES))],
    key: AdminKey,
    session: Annotated[Session, Depends(import_session, scope="function")],
    dry_run: DryRun = False,
) -> Response:
    """Import a file of records as an administrator."""
    refuse_repeated(request, "dry_run")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise AppError(422, "The body is not UTF-8 text.") from None
    duplicate = _duplicate_key(text)
    if duplicate is not None:
        problem = f"{duplicate}: a key given twice in one object"
        raise AppError(422, f"Nothing was imported: {problem}", errors=[_problem(problem)])
    try:
        report = import_records(session=session, text=text, actor=key.name, dry_run=dry_run)
    except ImportProblemError as error:
        raise AppError(
            422,
            "Nothing was imported: " + "; ".join(error.problems),
            errors=[_problem(problem) for problem in error.problems],
        ) from None
    payload = {"dry_run": dry_run, "inserted": report.inserted, "updated": report.updated}
    return json_response(request, payload)
