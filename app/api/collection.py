"""The read routes every collection has, declared once.

`GET /api/v1/{collection}` (JSON or CSV), `GET /api/v1/{collection}/{id}`,
`GET /api/v1/stats/{collection}` and `GET /api/v1/stats/{collection}/facets`."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field, create_model
from sqlalchemy import Select
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.api.common import not_found, render_record
from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.http import csv_response, json_response, wants_csv
from app.listing import (
    FilterQuery,
    ListSpec,
    PageOut,
    PageQuery,
    StatsQuery,
    aggregate,
    facets,
    group_fields,
    paginate,
    render_csv,
    render_page,
    select_fields,
    stream,
)
from app.services.revision import current_revision


@dataclass(frozen=True)
class Collection:
    """One collection: its path and names, read schema, filters and service functions."""

    path: str
    singular: str
    plural: str
    schema: type[BaseModel]
    filters: type[FilterQuery]
    spec: ListSpec
    rows: Callable[[], Select[Any]]
    get_record: Callable[[Session, str], Any | None]
    id_example: str
    sort_example: str
    description: str

    def operation(self, verb: str, noun: str, suffix: str = "") -> str:
        words = re.split(r"[^a-z0-9]+", noun)
        return verb + "".join(word.capitalize() for word in words) + suffix

    @property
    def a_singular(self) -> str:
        return ("an " if self.singular[0] in "aeiou" else "a ") + self.singular


def list_query_model(collection: Collection) -> type[PageQuery]:
    sortable = ", ".join(f"`{name}`" for name in collection.spec.sortable)
    keys = list(collection.schema.model_fields)
    return create_model(
        collection.operation("", collection.singular, "ListQuery"),
        __base__=(collection.filters, PageQuery),  # type: ignore[arg-type]
        sort=(
            str | None,
            Field(
                None,
                max_length=300,
                description=(
                    "Comma-separated sort keys, `-` for descending; nulls sort last; ties are "
                    "broken by `id`, in the direction of the last key. "
                    f"Sortable: {sortable}. "
                    f"Default `{collection.spec.default_sort}`."
                ),
                examples=[collection.sort_example],
            ),
        ),
        fields=(
            str | None,
            Field(
                None,
                max_length=1000,
                description=f"Comma-separated keys to return (default: all): {', '.join(keys)}.",
                examples=[",".join(keys[:3])],
            ),
        ),
    )


def stats_query_model(collection: Collection) -> type[StatsQuery]:
    groupable = ", ".join(f"`{name}`" for name in collection.spec.equality)
    return create_model(
        collection.operation("", collection.singular, "StatsQuery"),
        __base__=(collection.filters, StatsQuery),  # type: ignore[arg-type]
        group_by=(
            str | None,
            Field(
                None,
                max_length=300,
                description=(
                    f"Comma-separated fields to group by: {groupable}. Omit for one group of all "
                    "matching records."
                ),
                examples=[collection.spec.equality[0]],
            ),
        ),
    )


class StatsOut(BaseModel):
    """Counts and numeric aggregates of the matching records, per group."""

    group_by: list[str] = Field(description="The fields grouped by.", examples=[["status"]])
    groups: list[dict[str, Any]] = Field(
        description=(
            "One object per group: the group's value of each `group_by` field, `count`, and "
            "`{field}_sum`, `_min`, `_max`, `_avg` of each numeric field. Largest group first."
        ),
        examples=[[{"status": "landed", "count": 3}]],
    )
    total: int = Field(description="Matching records over all groups.", examples=[6])


class FacetsOut(BaseModel):
    """For each filterable field, how many matching records have each value."""

    facets: dict[str, list[dict[str, Any]]] = Field(
        description="Per field, `{value, count}` pairs, most frequent first; `value` may be null.",
        examples=[{"status": [{"value": "landed", "count": 3}]}],
    )
    total: int = Field(description="Matching records.", examples=[6])


def collection_router(collection: Collection) -> APIRouter:
    """The read routes of one collection."""
    router = APIRouter(tags=[collection.path.strip("/")])
    schema, spec = collection.schema, collection.spec
    list_query = list_query_model(collection)
    stats_query = stats_query_model(collection)
    filters_query = collection.filters
    csv_name = collection.path.strip("/") + ".csv"

    def list_records(
        request: Request,
        session: SessionDep,
        query: Annotated[list_query, Query()],  # type: ignore[valid-type]
    ) -> Response:
        if wants_csv(request, query.format):  # type: ignore[attr-defined]
            fields = select_fields(query.fields, list(schema.model_fields))  # type: ignore[attr-defined]
            return csv_response(
                request,
                revision=current_revision(session=session),
                filename=csv_name,
                body=lambda: render_csv(
                    stream(session=session, statement=collection.rows(), spec=spec, query=query),
                    schema,
                    fields,
                ),
            )
        page = paginate(session=session, statement=collection.rows(), spec=spec, query=query)
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

    def get_stats(
        request: Request,
        session: SessionDep,
        query: Annotated[stats_query, Query()],  # type: ignore[valid-type]
    ) -> Response:
        group_by = group_fields(query.group_by, spec)  # type: ignore[attr-defined]
        return json_response(
            request, aggregate(session=session, spec=spec, query=query, group_by=group_by)
        )

    def get_facets(
        request: Request,
        session: SessionDep,
        query: Annotated[filters_query, Query()],  # type: ignore[valid-type]
    ) -> Response:
        return json_response(request, facets(session=session, spec=spec, query=query))

    csv_content = {"text/csv": {"schema": {"type": "string"}}}
    router.add_api_route(
        collection.path,
        list_records,
        methods=["GET"],
        operation_id=collection.operation("list", collection.plural),
        summary=f"List {collection.plural}",
        description=(
            f"{collection.description} Filtered, sorted and paged by keyset cursor; CSV with "
            "`format=csv` or `Accept: text/csv`."
        ),
        response_model=PageOut[schema],  # type: ignore[valid-type]
        responses={**PROBLEM_RESPONSES, 200: {"content": csv_content}},
    )
    router.add_api_route(
        collection.path + "/{record_id}",
        get_record,
        methods=["GET"],
        operation_id=collection.operation("get", collection.singular),
        summary=f"Get {collection.a_singular}",
        description=f"One {collection.singular}, with the citations behind its fields.",
        response_model=schema,
        responses=PROBLEM_RESPONSES,
    )
    router.add_api_route(
        "/stats" + collection.path,
        get_stats,
        methods=["GET"],
        operation_id=collection.operation("get", collection.singular, "Stats"),
        summary=f"Count and aggregate {collection.plural}",
        description=(
            f"Counts of {collection.plural} per group, with sum, min, max and mean of each "
            "numeric field; takes the same filters as the list."
        ),
        response_model=StatsOut,
        responses=PROBLEM_RESPONSES,
    )
    router.add_api_route(
        "/stats" + collection.path + "/facets",
        get_facets,
        methods=["GET"],
        operation_id=collection.operation("get", collection.singular, "Facets"),
        summary=f"Facet counts of {collection.plural}",
        description=(
            "For each filterable field, how many matching records have each value: what a "
            "frontend needs to draw filter chips."
        ),
        response_model=FacetsOut,
        responses=PROBLEM_RESPONSES,
    )
    return router
