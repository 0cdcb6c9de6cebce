"""`GET /api/v1/{collection}/{id}/neighbours`: everything that refers to a record."""

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.api import openapi
from app.api.binding import bind
from app.api.write_routes import not_found
from app.collections.base import Collection
from app.collections.catalog import DOCUMENTED
from app.db import OpenSession, SessionsDep
from app.errors import PROBLEM_RESPONSES
from app.http import json_response
from app.services.neighbours import SHOWN, neighbours


class NeighbourOut(BaseModel):
    """A record that refers to this one."""

    id: str = Field(description="Its id.", examples=["catl-ly9"])
    name: str | None = Field(
        description="Its name (a figure's label).", examples=["江苏时代新能源灯塔工厂LY9项目"]
    )
    url: str = Field(description="Where to read it.", examples=["/api/v1/projects/catl-ly9"])


class NeighbourGroupOut(BaseModel):
    """The records of one collection that refer to this one by one field."""

    type: str = Field(description="Their kind of record.", examples=["project"])
    collection: str = Field(description="Their collection.", examples=["projects"])
    field: str = Field(
        description="The field that names this record (`subject` for figures describing it).",
        examples=["organization_ids"],
    )
    total: int = Field(description="How many of them there are.", examples=[3])
    items: list[NeighbourOut] = Field(description=f"The first {SHOWN}, by id.")
    list_url: str | None = Field(
        description="A list query that pages through all of them, with filters, sort and CSV.",
        examples=["/api/v1/projects?organization_id=jiangsu-catl"],
    )


class NeighboursOut(BaseModel):
    """Everything that refers to a record, grouped by collection and field."""

    type: str = Field(description="The record's kind.", examples=["organization"])
    id: str = Field(description="The record's id.", examples=["jiangsu-catl"])
    groups: list[NeighbourGroupOut] = Field(description="One group per collection and field.")


async def get_neighbours(
    collection: Collection, request: Request, sessions: SessionsDep, record_id: str
) -> Response:
    """Everything that refers to the record."""

    def read(open_session: OpenSession) -> Response:
        with open_session() as session:
            if session.get(collection.model, record_id) is None:
                raise not_found(collection, record_id)
            answer = neighbours(session=session, collection=collection, record_id=record_id)
        return json_response(request, answer)

    # One count per way of referring: in a worker thread, off the event loop.
    return await run_in_threadpool(read, sessions.read)


def _route(router: APIRouter, collection: Collection) -> None:
    record_id = Annotated[str, openapi.record_id_path(collection)]
    router.add_api_route(
        collection.path + "/{record_id}/neighbours",
        bind(get_neighbours, collection, record_id=record_id),
        methods=["GET"],
        tags=[collection.tag],
        operation_id=collection.operation("get", collection.singular, "Neighbours"),
        summary=f"What refers to {collection.a_singular}",
        description=(
            f"Every record that names this {collection.singular}, across collections: by a "
            "reference field, a list of references, or as the subject of figures. Per "
            f"collection and field, a count, the first {SHOWN} by id, and the list query that "
            "pages through all of them."
        ),
        response_model=NeighboursOut,
        responses=PROBLEM_RESPONSES,
    )


router = APIRouter()
for _collection in DOCUMENTED:
    _route(router, _collection)
