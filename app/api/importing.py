from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.api.collection import WRITE_PROBLEMS, raw_body
from app.api.registry import renders
from app.auth import require
from app.db import WriteSessionDep
from app.errors import PROBLEM_RESPONSES, AppError, ProblemError
from app.http import json_response
from app.models import ApiKey, Scope
from app.services.importing import ImportProblemError, import_records

router = APIRouter(tags=["import"])


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


@router.post(
    "/import",
    operation_id="importRecords",
    summary="Import records",
    description=(
        'A seed file (YAML or JSON) or JSON Lines (`{"collection": "projects", "record": '
        "{...}}` a line), all or nothing: any problem, named by line and field, and nothing is "
        "written. Records are upserted by id and each change goes to its history. Needs an "
        "admin key; bodies over 1 MiB: use `citykb import`."
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
    session: WriteSessionDep,
    key: Annotated[ApiKey, Depends(require(Scope.admin))],
    body: Annotated[bytes, Depends(raw_body)],
    dry_run: Annotated[
        bool, Query(description="Check and count only; write nothing.", examples=[True])
    ] = False,
) -> Response:
    """Import a file of records as an administrator."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise AppError(422, "The body is not UTF-8 text.") from None
    try:
        report = import_records(
            session=session, text=text, actor=key.name, renders=renders(), dry_run=dry_run
        )
    except ImportProblemError as error:
        raise AppError(
            422,
            "Nothing was imported: " + "; ".join(error.problems),
            errors=[_problem(problem) for problem in error.problems],
        ) from None
    payload = {"dry_run": dry_run, "inserted": report.inserted, "updated": report.updated}
    return json_response(request, payload)
