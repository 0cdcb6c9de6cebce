"""People the sources name, with the organization and title they give them."""

from pydantic import Field

from app.collections.base import Collection, Document
from app.listing.params import FilterQuery, one_of
from app.models import Person
from app.records.formats import Line, Lines, NamedFormat, Reference
from app.records.read import CitationOut, NamedOut, citations_field


class PersonOut(NamedOut):
    """A person the source names."""

    organization_id: str | None = Field(
        description="The organization the source places them in (`/api/v1/organizations/{id}`).",
        examples=["catl"],
    )
    title: str | None = Field(
        description="Their title there, as the source writes it.", examples=["董事长兼总经理"]
    )
    description: str | None = Field(
        description="What the source says of them, in CityKB's own words.",
        examples=["Said CATL will work with Changzhou."],
    )
    citations: list[CitationOut] = citations_field()


class PersonFilters(FilterQuery):
    organization_id: list[str] = one_of("Organization id.", "catl", nullable=True)


class PersonSeed(NamedFormat):
    organization_id: Reference | None = None
    title: Line | None = Field(None, max_length=100)
    description: Lines | None = None


COLLECTION = Collection(
    path="/people",
    singular="person",
    plural="people",
    description="People the sources name, with their organization and title.",
    label_zh="人物",
    order=9,
    model=Person,
    schema=PersonOut,
    filters=PersonFilters,
    record=PersonSeed,
    sortable=("name", "id"),
    document=Document(
        (Person.name, Person.name_zh_hant, Person.name_en, Person.title, Person.description)
    ),
    sort_example="name",
    id_example="zeng-yuqun",
)
