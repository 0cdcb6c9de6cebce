"""The answers of the routes every collection has, besides its records and pages."""

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.listing.params import CURSOR_PATTERN
from app.models import Action


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


class HistoryEntry(BaseModel):
    """One change to a record."""

    model_config = {"from_attributes": True}

    action: Action = Field(description="`create`, `update` or `delete`.", examples=["update"])
    actor: str = Field(description="The name of the API key that made it.", examples=["curator"])
    at: dt.datetime = Field(description="When (UTC).", examples=["2026-11-26T13:00:00Z"])
    before: dict[str, Any] | None = Field(
        description="The record before; null for a create.",
        examples=[{"id": "catl-ly9", "status": "signed"}],
    )
    after: dict[str, Any] | None = Field(
        description="The record after; null for a delete.",
        examples=[{"id": "catl-ly9", "status": "under_construction"}],
    )

    @field_validator("at")
    @classmethod
    def _in_utc(cls, value: dt.datetime) -> dt.datetime:
        # SQLite hands back timestamps without their zone; every one was written in UTC.
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class HistoryQuery(BaseModel):
    """A page of a record's history."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(100, ge=1, le=200, description="Changes per page, 1 to 200.", examples=[100])
    cursor: str | None = Field(
        None,
        max_length=200,
        pattern=CURSOR_PATTERN,
        description=(
            "Opaque position from a previous page's `next_cursor`; omit, or leave empty, for the "
            "oldest changes."
        ),
    )


class HistoryOut(BaseModel):
    """A record's changes, oldest first, a page at a time."""

    items: list[HistoryEntry] = Field(description="The changes, oldest first.")
    limit: int = Field(description="The page size asked for.", examples=[100])
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next changes; null on the last page.", examples=[None]
    )
