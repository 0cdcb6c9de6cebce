"""Conferences, campaigns, expos and recurring activities the sources name."""

import datetime as dt

from pydantic import Field

from app.collections.base import Collection, Document
from app.integers import Int32
from app.listing.params import FilterQuery, IsoDate, NullToken, bound, one_of
from app.models import Event
from app.models.enums import Cadence, EventKind
from app.records.formats import Line, Lines, NamedFormat, Reference
from app.records.read import CitationOut, NamedOut, citations_field


class EventOut(NamedOut):
    """A conference, campaign, expo or recurring activity, named as the source writes it."""

    kind: EventKind | None = Field(description="What sort of event.", examples=["conference"])
    date: dt.date | None = Field(
        description="The day it was held, where stated.", examples=["2025-11-26"]
    )
    date_stated: str | None = Field(
        description="When it was held, as the source writes it.", examples=["11月26日"]
    )
    year: int | None = Field(description="Its year, where stated.", examples=[2025])
    month: int | None = Field(description="Its month, where stated.", examples=[9])
    cadence: Cadence | None = Field(
        description="How often a recurring activity is held.", examples=["weekly"]
    )
    organizer_id: str | None = Field(
        description="Who holds it (`/api/v1/organizations/{id}`).",
        examples=["changzhou-municipal-committee"],
    )
    district_id: str | None = Field(
        description="Where it is held (`/api/v1/districts/{id}`).", examples=["changzhou"]
    )
    park_id: str | None = Field(
        description="The venue (`/api/v1/parks/{id}`).", examples=["origin-space"]
    )
    parent_id: str | None = Field(
        description="The event or campaign it is part of (`/api/v1/events/{id}`).",
        examples=["energy-expo-su-super-campaign"],
    )
    description: str | None = Field(
        description="A short summary in CityKB's own words.", examples=["A monthly roadshow."]
    )
    citations: list[CitationOut] = citations_field()


class EventFilters(FilterQuery):
    kind: list[EventKind | NullToken] = one_of("Kind of event.", "conference", nullable=True)
    cadence: list[Cadence | NullToken] = one_of("Cadence.", "weekly", nullable=True)
    organizer_id: list[str] = one_of(
        "Organizer id.", "changzhou-municipal-committee", nullable=True
    )
    district_id: list[str] = one_of("District id.", "changzhou", nullable=True)
    park_id: list[str] = one_of("Venue id.", "origin-space", nullable=True)
    parent_id: list[str] = one_of(
        "Enclosing event id.", "energy-expo-su-super-campaign", nullable=True
    )
    year: list[Int32 | NullToken] = one_of("Year.", 2025, nullable=True)
    date_min: IsoDate | None = bound("Earliest date (inclusive).", "2025-01-01")
    date_max: IsoDate | None = bound("Latest date (inclusive).", "2025-12-31")
    year_min: int | None = bound("Earliest year (inclusive).", 2024, bits=32)
    year_max: int | None = bound("Latest year (inclusive).", 2025, bits=32)
    month_min: int | None = bound("Earliest month, 1 to 12 (inclusive).", 9, bits=32)
    month_max: int | None = bound("Latest month, 1 to 12 (inclusive).", 11, bits=32)


class EventSeed(NamedFormat):
    kind: EventKind | None = None
    date: dt.date | None = None
    date_stated: Line | None = Field(None, max_length=40)
    year: Int32 | None = None
    month: Int32 | None = Field(None, ge=1, le=12)
    cadence: Cadence | None = None
    organizer_id: Reference | None = None
    district_id: Reference | None = None
    park_id: Reference | None = None
    parent_id: Reference | None = None
    description: Lines | None = None


COLLECTION = Collection(
    path="/events",
    singular="event",
    plural="events",
    description="Conferences, campaigns, expos and recurring activities.",
    label_zh="会议与活动",
    order=8,
    model=Event,
    schema=EventOut,
    filters=EventFilters,
    record=EventSeed,
    sortable=("name", "date", "year", "id"),
    document=Document(
        (Event.name, Event.name_zh_hant, Event.name_en, Event.date_stated, Event.description)
    ),
    sort_example="-date",
    id_example="changzhou-city-work-conference-2025",
)
