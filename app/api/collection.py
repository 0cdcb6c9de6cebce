"""The read routes every collection has, declared once: a list and a record by id."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.api.common import not_found, render_record
from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.http import json_response
from app.listing import ListQuery, Page, PageOut, render_page


@dataclass(frozen=True)
class Collection:
    """One collection's routes: its schemas, its service functions and how it is named."""

    path: str
    singular: str
    plural: str
    schema: type[BaseModel]
    query: type[ListQuery]
    list_page: Callable[..., Page[Any]]
    get_record: Callable[[Session, str], Any | None]
    id_example: str
    description: str

    def operation(self, verb: str, noun: str) -> str:
        return verb + "".join(word.capitalize() for word in re.split(r"[^a-z0-9]+", noun))

    @property
    def a_singular(self) -> str:
        article = "an" if self.singular[0] in "aeiou" else "a"
        return f"{article} {self.singular}"


def collection_router(collection: Collection) -> APIRouter:
    """A router with `GET {path}` (list) and `GET {path}/{record_id}` for the collection."""
    router = APIRouter(prefix=collection.path, tags=[collection.path.strip("/")])
    schema, query_model = collection.schema, collection.query

    def list_records(
        request: Request,
        session: SessionDep,
        query: Annotated[query_model, Query()],  # type: ignore[valid-type]
    ) -> Response:
        page = collection.list_page(session=session, query=query)
        return json_response(request, render_page(page, schema, query.fields))  # type: ignore[attr-defined]

    def get_record(
        request: Request,
        session: SessionDep,
        record_id: Annotated[
            str,
            Path(
                max_length=200,
                description=f"The {collection.singular}'s id.",
                examples=[collection.id_example],
            ),
        ],
    ) -> Response:
        record = collection.get_record(session, record_id)
        if record is None:
            raise not_found(collection.singular, record_id)
        return json_response(request, render_record(record, schema))

    router.add_api_route(
        "",
        list_records,
        methods=["GET"],
        operation_id=collection.operation("list", collection.plural),
        summary=f"List {collection.plural}",
        description=f"{collection.description} Filtered, sorted and paged by keyset cursor.",
        response_model=PageOut[schema],  # type: ignore[valid-type]
        responses=PROBLEM_RESPONSES,
    )
    router.add_api_route(
        "/{record_id}",
        get_record,
        methods=["GET"],
        operation_id=collection.operation("get", collection.singular),
        summary=f"Get {collection.a_singular}",
        description=f"One {collection.singular}, with the citations behind its fields.",
        response_model=schema,
        responses=PROBLEM_RESPONSES,
    )
    return router
