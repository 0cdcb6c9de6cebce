from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import Field
from starlette.responses import Response

from app.api.common import (
    CitationOut,
    NamedOut,
    citations_field,
    not_found,
    record_id_path,
    render_record,
)
from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES
from app.http import json_response
from app.listing import ListQuery, PageOut, bound, fields_param, one_of, render_page, sort_param
from app.models.enums import RecognitionStage, ZeroCarbonLevel
from app.services import zero_carbon_factories as service

router = APIRouter(prefix="/zero-carbon-factories", tags=["zero-carbon-factories"])


class ZeroCarbonFactoryOut(NamedOut):
    """An organization's recognition as a zero-carbon or near-zero-carbon factory.

    `name`, `name_zh_hant` and `name_en` are the recognized organization's."""

    organization_id: str = Field(
        description="The recognized organization (`/api/v1/organizations/{id}`).",
        examples=["wanbang-digital-energy"],
    )
    level: ZeroCarbonLevel = Field(
        description="`zero_carbon` or `near_zero_carbon`.", examples=["zero_carbon"]
    )
    stage: RecognitionStage | None = Field(
        description="`shortlisted` (named on a published shortlist) or `awarded`.",
        examples=["shortlisted"],
    )
    list_name: str | None = Field(
        description="The list that names it.", examples=["2025年度江苏省零碳(近零碳)工厂入围名单"]
    )
    issuer_id: str | None = Field(
        description="Who issued the list (`/api/v1/organizations/{id}`).",
        examples=["jiangsu-miit"],
    )
    year: int | None = Field(description="The list's year.", examples=[2025])
    district_id: str | None = Field(description="District id.", examples=["changzhou"])
    citations: list[CitationOut] = citations_field()


class ZeroCarbonFactoryQuery(ListQuery):
    level: list[ZeroCarbonLevel] = one_of("Recognition level.", "near_zero_carbon")
    stage: list[RecognitionStage] = one_of("Recognition stage.", "shortlisted")
    organization_id: list[str] = one_of("Recognized organization id.", "wanbang-digital-energy")
    issuer_id: list[str] = one_of("Issuer's organization id.", "jiangsu-miit")
    district_id: list[str] = one_of("District id.", "changzhou")
    year: list[int] = one_of("List year.", "2025")
    year_min: int | None = bound("Earliest list year (inclusive).", 2024)
    year_max: int | None = bound("Latest list year (inclusive).", 2025)
    sort: str | None = sort_param("level,name", list(service.ZERO_CARBON_FACTORY_LIST.sortable))
    fields: str | None = fields_param("id,name,level")


@router.get(
    "",
    operation_id="listZeroCarbonFactories",
    summary="List zero-carbon factories",
    response_model=PageOut[ZeroCarbonFactoryOut],
    responses=PROBLEM_RESPONSES,
)
def list_zero_carbon_factories(
    request: Request, session: SessionDep, query: Annotated[ZeroCarbonFactoryQuery, Query()]
) -> Response:
    """Recognitions of factories as zero-carbon or near-zero-carbon."""
    page = service.list_zero_carbon_factories(session=session, query=query)
    return json_response(request, render_page(page, ZeroCarbonFactoryOut, query.fields))


@router.get(
    "/{factory_id}",
    operation_id="getZeroCarbonFactory",
    summary="Get a zero-carbon factory",
    response_model=ZeroCarbonFactoryOut,
    responses=PROBLEM_RESPONSES,
)
def get_zero_carbon_factory(
    request: Request,
    session: SessionDep,
    factory_id: Annotated[str, record_id_path("Recognition id.", "wanbang-digital-energy-2025")],
) -> Response:
    """One recognition with its citations."""
    factory = service.get_zero_carbon_factory(session=session, factory_id=factory_id)
    if factory is None:
        raise not_found("zero-carbon factory", factory_id)
    return json_response(request, render_record(factory, ZeroCarbonFactoryOut))
