import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import Field
from starlette.responses import Response

from app.api.common import (
    CitationOut,
    RecordOut,
    citations_field,
    not_found,
    record_id_path,
    render_record,
)
from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.http import json_response
from app.listing import ListQuery, PageOut, bound, fields_param, one_of, render_page, sort_param
from app.services import sources as service

router = APIRouter(prefix="/sources", tags=["sources"])


class SourceOut(RecordOut):
    """A document the knowledge base cites; fields it does not give are null."""

    title: str = Field(
        description="Title, in CityKB's words.", examples=["常州市委城市工作会议报道"]
    )
    title_en: str | None = Field(description="English title, in CityKB's words.", examples=[None])
    publisher: str | None = Field(description="Publisher, where known.", examples=[None])
    author: str | None = Field(description="Author, where known.", examples=[None])
    url: str | None = Field(description="Where it can be read, where known.", examples=[None])
    date: dt.date | None = Field(description="Date of the reported event.", examples=["2025-11-26"])
    language: str = Field(description="BCP 47 language tag of the text.", examples=["zh-Hans"])
    paragraph_count: int = Field(
        description="Paragraphs in the text; citations count from 1.", examples=[24]
    )
    description: str | None = Field(
        description="What it covers, in CityKB's words.", examples=[None]
    )
    citations: list[CitationOut] = citations_field()


class SourceQuery(ListQuery):
    language: list[str] = one_of("Language tag.", "zh-Hans")
    date_min: dt.date | None = bound("Earliest date (inclusive).", "2025-01-01")
    date_max: dt.date | None = bound("Latest date (inclusive).", "2025-12-31")
    sort: str | None = sort_param("-date", list(service.SOURCE_LIST.sortable))
    fields: str | None = fields_param("id,title,date")


@router.get(
    "",
    operation_id="listSources",
    summary="List sources",
    response_model=PageOut[SourceOut],
    responses=PROBLEM_RESPONSES,
)
def list_sources(
    request: Request, session: SessionDep, query: Annotated[SourceQuery, Query()]
) -> Response:
    """The documents the knowledge base cites."""
    page = service.list_sources(session=session, query=query)
    return json_response(request, render_page(page, SourceOut, query.fields))


@router.get(
    "/{source_id}",
    operation_id="getSource",
    summary="Get a source",
    response_model=SourceOut,
    responses=PROBLEM_RESPONSES,
)
def get_source(
    request: Request,
    session: SessionDep,
    source_id: Annotated[str, record_id_path("Source id.", "changzhou-city-work-conference-2025")],
) -> Response:
    """One source."""
    source = service.get_source(session=session, source_id=source_id)
    if source is None:
        raise not_found("source", source_id)
    return json_response(request, render_record(source, SourceOut))
