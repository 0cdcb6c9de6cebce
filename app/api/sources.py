"""A source's text: registered by an administrator (`PUT /sources/{id}/text`), read a paragraph
at a time with the records that cite it (`GET /sources/{id}/paragraphs/{n}`).

The text is registered whole and, unlike the other writes, takes no `If-Match`: it is no edit
of a version a client has read but the source's own words, taken only when they number the
source's paragraphs and hold every quote that cites it."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.api.openapi import WRITE_PROBLEMS, record_id_path
from app.api.write_routes import body_of_type
from app.auth import AdminKey, AdminSession
from app.collections.catalog import BY_KEY, BY_SUBJECT, SOURCES, SubjectType
from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES, AppError, ProblemError
from app.http import json_response
from app.integers import SAFE_INTEGER_MAX
from app.services import source_texts

router = APIRouter(tags=[BY_KEY[SOURCES].tag])
SourceId = Annotated[str, record_id_path(BY_KEY[SOURCES])]
TEXT_BODY = Depends(body_of_type("text/plain"))


class SourceTextOut(BaseModel):
    """A source's text, registered."""

    source_id: str = Field(
        description="The source (`/api/v1/sources/{id}`).",
        examples=["changzhou-city-work-conference-2025"],
    )
    paragraphs: int = Field(description="Paragraphs registered, one a line.", examples=[24])


class CitingRecordOut(BaseModel):
    """A citation of the paragraph, and the record that makes it."""

    type: SubjectType = Field(description="Kind of record.", examples=["project"])
    id: str = Field(description="The record's id.", examples=["catl-ly9"])
    name: str = Field(
        description="Its name (a figure's label).", examples=["江苏时代新能源灯塔工厂LY9项目"]
    )
    fields: list[str] = Field(
        description="The record's fields the citation supports; empty for the record as a whole.",
        examples=[["name", "status"]],
    )
    quote: str = Field(
        description="The span of the paragraph that states them.",
        examples=["江苏时代新能源灯塔工厂LY9项目签约落地"],
    )
    url: str = Field(
        description="Where to read the whole record.", examples=["/api/v1/projects/catl-ly9"]
    )


class ParagraphOut(BaseModel):
    """A paragraph of a source, and every record that cites it."""

    source_id: str = Field(
        description="The source (`/api/v1/sources/{id}`).",
        examples=["changzhou-city-work-conference-2025"],
    )
    paragraph: int = Field(description="1-based paragraph number.", examples=[7])
    text: str | None = Field(
        description="The paragraph's registered text; null until the source's text is registered.",
        examples=["…江苏时代新能源灯塔工厂LY9项目签约落地…"],
    )
    citations: list[CitingRecordOut] = Field(
        description="Every citation of the paragraph, by kind of record and id."
    )


@router.put(
    "/sources/{source_id}/text",
    operation_id="putSourceText",
    summary="Register a source's text",
    description=(
        "The source's text as UTF-8 plain text, one paragraph a line: paragraph N is line N "
        "(a byte order mark and trailing whitespace go; blank lines at the end are dropped, a "
        "blank line inside is an empty paragraph). It is refused (422, naming the problem) "
        "when its paragraphs do not number the source's `paragraph_count`, or when a quote "
        "that cites the source is not found verbatim in the paragraph it cites; otherwise it "
        "replaces the source's text. Quotes of every later write are checked against it. "
        "Needs an admin key; the same as `citykb sources text SOURCE_ID FILE`."
    ),
    response_model=SourceTextOut,
    responses={
        **PROBLEM_RESPONSES,
        **{status: doc for status, doc in WRITE_PROBLEMS.items() if status not in (409, 412, 428)},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
def put_source_text(
    request: Request,
    source_id: SourceId,
    body: Annotated[bytes, TEXT_BODY],
    _key: AdminKey,
    session: AdminSession,
) -> Response:
    """Register a source's text as an administrator."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        message = "not UTF-8 text"
        raise AppError(
            422, f"The body is {message}.", errors=[ProblemError(loc=["body"], msg=message)]
        ) from None
    count = source_texts.register_text(session=session, source_id=source_id, text=text)
    return json_response(request, {"source_id": source_id, "paragraphs": count})


@router.get(
    "/sources/{source_id}/paragraphs/{number}",
    operation_id="getSourceParagraph",
    summary="Get a paragraph of a source",
    description=(
        "The paragraph's registered text (null until the source's text is registered) and "
        "every record that cites it, with the quote and the fields each citation supports. "
        "A 404 for a paragraph outside 1 to the source's `paragraph_count`."
    ),
    response_model=ParagraphOut,
    responses=PROBLEM_RESPONSES,
)
def get_source_paragraph(
    request: Request,
    session: SessionDep,
    source_id: SourceId,
    number: Annotated[
        int,
        Path(
            ge=-SAFE_INTEGER_MAX,
            le=SAFE_INTEGER_MAX,
            description="1-based paragraph number.",
            examples=[7],
        ),
    ],
) -> Response:
    """A paragraph of a source, with the records that cite it."""
    text, citations = source_texts.read_paragraph(
        session=session, source_id=source_id, number=number
    )
    payload = {
        "source_id": source_id,
        "paragraph": number,
        "text": text,
        "citations": [
            {
                "type": citation.subject_type,
                "id": citation.subject_id,
                "name": citation.name,
                "fields": citation.fields,
                "quote": citation.quote,
                "url": f"/api/v1/{BY_SUBJECT[citation.subject_type].tag}/{citation.subject_id}",
            }
            for citation in citations
        ],
    }
    return json_response(request, payload)
