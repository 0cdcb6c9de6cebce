import datetime as dt

from pydantic import Field

from app.api.collection import Collection
from app.api.common import CitationOut, RecordOut, citations_field
from app.listing import FilterQuery, IsoDate, bound, one_of
from app.services import sources as service


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


COLLECTION = Collection(
    path="/sources",
    singular="source",
    plural="sources",
    schema=SourceOut,
    filters=SourceFilters,
    spec=service.SOURCE_LIST,
    get_record=lambda session, record_id: service.get_source(session=session, source_id=record_id),
    sort_example="-date",
    id_example="changzhou-city-work-conference-2025",
    description="The documents the knowledge base cites.",
)
