"""The documents the knowledge base cites; read only through the API."""

import datetime as dt

from pydantic import Field

from app.collections.base import Collection, Document
from app.integers import INT32_MAX
from app.listing.params import FilterQuery, IsoDate, bound, one_of
from app.models import Source
from app.records.formats import (
    CitedFormat,
    Line,
    Lines,
)
from app.records.read import CitationOut, RecordOut, citations_field


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


class SourceFilters(FilterQuery):
    language: list[str] = one_of("Language tag.", "zh-Hans")
    date_min: IsoDate | None = bound("Earliest date (inclusive).", "2025-01-01")
    date_max: IsoDate | None = bound("Latest date (inclusive).", "2025-12-31")
    paragraph_count_min: int | None = bound("Fewest paragraphs (inclusive).", 10, bits=32)
    paragraph_count_max: int | None = bound("Most paragraphs (inclusive).", 100, bits=32)


class SourceSeed(CitedFormat):
    title: Line = Field(min_length=1, max_length=300)
    title_en: Line | None = Field(None, max_length=300)
    publisher: Line | None = Field(None, max_length=200)
    author: Line | None = Field(None, max_length=200)
    url: Line | None = Field(None, max_length=1000)
    date: dt.date | None = None
    language: Line = Field(max_length=20)
    paragraph_count: int = Field(ge=1, le=INT32_MAX)
    description: Lines | None = None


COLLECTION = Collection(
    path="/sources",
    singular="source",
    plural="sources",
    description="The documents the knowledge base cites.",
    label_zh="来源",
    order=13,
    model=Source,
    schema=SourceOut,
    filters=SourceFilters,
    record=SourceSeed,
    sortable=("title", "date", "id"),
    default_sort="date",
    writable=False,
    document=Document((Source.title, Source.title_en, Source.description), english=1),
    sort_example="-date",
    id_example="changzhou-city-work-conference-2025",
)
