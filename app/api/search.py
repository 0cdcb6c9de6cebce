import hashlib
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.responses import Response

from app.api.params import documented, query_of
from app.collections.catalog import BY_SUBJECT, DOCUMENTED, SubjectType
from app.db import SessionDep
from app.errors import PROBLEM_RESPONSES, bad_parameter
from app.http import json_response
from app.listing.cursor import seal, unseal
from app.listing.params import CURSOR_PATTERN, Q_MAX_LENGTH
from app.services.installation import cursor_key
from app.services.search import CANDIDATES_PER_KIND, search_all
from app.text import control_characters_as_spaces

router = APIRouter(tags=["search"])
CURSOR_SCOPE = "search"


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(
        min_length=1,
        max_length=Q_MAX_LENGTH,
        description=(
            "Text to find in names, text fields and cited quotes of every collection: simplified "
            "and traditional characters alike, English case-insensitively, two-character "
            "Chinese words included."
        ),
        examples=["光伏"],
    )
    type: list[SubjectType] = Field(
        default_factory=list,
        description="Only these kinds of record; repeat for several. Default: all.",
        examples=[["project"]],
    )
    limit: int = Field(20, ge=1, le=100, description="Results per page, 1 to 100.", examples=[20])
    cursor: str | None = Field(
        None,
        max_length=200,
        description="Opaque position from a previous page's `next_cursor`; empty for page one.",
        pattern=CURSOR_PATTERN,
    )

    @field_validator("q")
    @classmethod
    def _control_characters_as_spaces(cls, value: str) -> str:
        # A control character matches nothing a record holds: it counts as a space.
        return control_characters_as_spaces(value)


class SearchHit(BaseModel):
    type: SubjectType = Field(description="Kind of record.", examples=["park"])
    id: str = Field(description="The record's id.", examples=["songjianhu-optoelectronics-harbor"])
    name: str = Field(description="Its name (a figure's label).", examples=["宋剑湖光电科技港"])
    name_en: str | None = Field(description="Its English name, where one exists.", examples=[None])
    snippet: str | None = Field(
        description="The stretch of its text that matches.", examples=["光伏总装机容量达到6.16兆瓦"]
    )
    url: str = Field(
        description="Where to read the whole record.",
        examples=["/api/v1/parks/songjianhu-optoelectronics-harbor"],
    )


class SearchOut(BaseModel):
    """Records of every collection that match `q`, best match first."""

    items: list[SearchHit] = Field(description="This page of matches, best first.")
    total: int = Field(
        description=("How many records match; an upper bound when `total_is_estimate` is true."),
        examples=[7],
    )
    total_is_estimate: bool = Field(
        description=(
            "Whether `total` is an upper bound rather than a count. A search reads at most "
            "2,000 records of each kind that hold the rarest pair of characters of `q`; past "
            "that it ranks what it read, with every record whose name begins with `q`, and "
            "adds the records it did not read to the total. A word of two characters is "
            "always counted exactly."
        ),
        examples=[False],
    )
    limit: int = Field(description="The page size asked for.", examples=[20])
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page.", examples=[None]
    )


@router.get(
    "/search",
    operation_id="searchRecords",
    openapi_extra=documented(SearchQuery),
    summary="Search every collection",
    response_model=SearchOut,
    responses=PROBLEM_RESPONSES,
)
def search(
    request: Request, session: SessionDep, query: Annotated[SearchQuery, query_of(SearchQuery)]
) -> Response:
    """Ranked matches across projects, parks, renewal cases, zero-carbon factories,
    organizations, districts, figures and sources: an exact name first, then a name that starts
    with `q`, then one that contains it, then any other text that does."""
    if not query.q.strip():  # spaces (or control characters) only: nothing to find
        return json_response(request, _page([], 0, estimate=False, limit=query.limit, cursor=None))
    subjects = [str(kind) for kind in query.type] or [item.subject for item in DOCUMENTED]
    key = cursor_key(session=session)
    # A cursor is a position in one search's ranking: good for that `q` and `type` only.
    searched = orjson.dumps([query.q, sorted(subjects)])
    scope = CURSOR_SCOPE + ":" + hashlib.blake2b(searched, digest_size=8).hexdigest()
    offset = 0
    if query.cursor:
        offset = unseal(query.cursor, "cursor", key=key, scope=scope).get("o", -1)
        valid = isinstance(offset, int) and not isinstance(offset, bool)
        if not valid or not 0 <= offset < _ranked_cap(subjects):
            raise bad_parameter("cursor", "not a cursor this server issued")
    found = search_all(
        session=session, q=query.q, subjects=subjects, limit=query.limit, offset=offset
    )
    following = offset + query.limit
    items = [
        {
            "type": hit.subject,
            "id": hit.id,
            "name": hit.name,
            "name_en": hit.name_en,
            "snippet": hit.snippet,
            "url": f"/api/v1/{BY_SUBJECT[hit.subject].tag}/{hit.id}",
        }
        for hit in found.hits
    ]
    next_cursor = seal({"o": following}, key=key, scope=scope) if following < found.ranked else None
    page = _page(
        items, found.total, estimate=found.total_is_estimate, limit=query.limit, cursor=next_cursor
    )
    return json_response(request, page)


def _page(
    items: list[dict[str, Any]], total: int, *, estimate: bool, limit: int, cursor: str | None
) -> dict[str, Any]:
    return {
        "items": items,
        "total": total,
        "total_is_estimate": estimate,
        "limit": limit,
        "next_cursor": cursor,
    }


def _ranked_cap(subjects: list[str]) -> int:
    """No more are ranked: those whose name begins with `q`, and those of the scan."""
    return 2 * CANDIDATES_PER_KIND * len(subjects)
