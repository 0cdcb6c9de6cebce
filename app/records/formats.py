"""The record format: what a seed file, an import and an API write give for a record.

Every text is bounded, by its column's length or, for free text, a sensible one, and holds no
control character; every record gives its citations. A collection's format subclasses these
(`app.collections`), and `app.services.rules` checks it against the rest of the knowledge base."""

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from app.integers import INT32_MAX
from app.models.base import SEARCH_TEXT_LENGTH, SLUG_LENGTH, SLUG_PATTERN
from app.models.citation import QUOTE_MAX_LENGTH
from app.text import (
    NO_CONTROL_CHARACTERS,
    fold,
    refuse_control_characters,
    search_text,
    to_traditional,
)

if TYPE_CHECKING:
    from app.collections.catalog import SubjectType

ONE_LINE: dict[str, Any] = NO_CONTROL_CHARACTERS
MULTI_LINE: dict[str, Any] = {"pattern": "^[^\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f]*$"}
MULTI_LINE_FIELDS = {"description"}
"""Free text of our own, which may run over several lines."""

# Every text a record takes is bounded, by its column's length or, for free text, a sensible
# one; the record's JSON schema states that, and that it holds no control character.
Line = Annotated[str, Field(json_schema_extra=ONE_LINE)]
Lines = Annotated[str, Field(max_length=2000, json_schema_extra=MULTI_LINE)]
Reference = Annotated[str, Field(max_length=SLUG_LENGTH, json_schema_extra=ONE_LINE)]
"""The id of a record."""
Name = Annotated[str, Field(max_length=200, json_schema_extra=ONE_LINE)]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=SLUG_LENGTH)]
"""A record's own id."""


class RecordFormat(BaseModel):
    # A NaN or an infinity is no figure a source states, and SQLite would store NULL for NaN.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        # No filter could match a control character, and PostgreSQL stores no NUL: refused on
        # every database alike, once the field's length bound has passed.
        newlines = info.field_name in MULTI_LINE_FIELDS
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                refuse_control_characters(item.replace("\n", "") if newlines else item)
        return value


CitationIdentity = tuple[str | None, int, str, frozenset[str]]
"""What makes two citations the same: the passage and the fields it supports."""


class CitationSeed(RecordFormat):
    source_id: Reference | None = None
    paragraph: int = Field(ge=1, le=INT32_MAX)
    quote: Line = Field(min_length=1, max_length=QUOTE_MAX_LENGTH)
    fields: list[Annotated[str, Field(max_length=60, json_schema_extra=ONE_LINE)]] = Field(
        default_factory=list, max_length=30
    )

    @field_validator("fields")
    @classmethod
    def _each_field_once(cls, fields: list[str]) -> list[str]:
        return list(dict.fromkeys(fields))

    @property
    def identity(self) -> "CitationIdentity":
        """What makes two citations the same: the passage and the fields it supports."""
        return self.source_id, self.paragraph, self.quote, frozenset(self.fields)


class CitedFormat(RecordFormat):
    searched_fields: ClassVar[tuple[str, ...]] = ()
    """The fields its search document is made of, besides its quotes (its collection's)."""

    id: Slug
    citations: list[CitationSeed] = Field(min_length=1, max_length=50)

    @field_validator("citations")
    @classmethod
    def _each_citation_once(cls, citations: list[CitationSeed]) -> list[CitationSeed]:
        # A citation given twice, or a patch repeating one the record has, is kept once.
        unique: dict[CitationIdentity, CitationSeed] = {}
        for citation in citations:
            unique.setdefault(citation.identity, citation)
        return list(unique.values())

    @model_validator(mode="after")
    def _fits_its_search_text(self) -> Self:
        # A record is found by its texts and quotes, case-folded (which can lengthen them: "ß"
        # folds to "ss") and kept in a column of bounded length.
        values = dict(self)
        names = self.searched_fields
        quotes = [citation.quote for citation in self.citations]
        texts = [*(values.get(name) or "" for name in names), values.get("name") or "", *quotes]
        # Case folding makes at most three characters of one: most records need no folding.
        if 3 * sum(map(len, texts)) + len(texts) <= SEARCH_TEXT_LENGTH:
            return self
        if values.get("name") and values.get("name_zh_hant") is None:
            values["name_zh_hant"] = to_traditional(values["name"])
        length = len(search_text(*(values.get(name) for name in names), *quotes))
        if length <= SEARCH_TEXT_LENGTH:
            return self
        longest = max(
            (name for name in names if values.get(name)),
            key=lambda name: len(fold(values[name])),
            default="citations",
        )
        problem = PydanticCustomError(
            "search_text_too_long",
            "the record's texts and quotes, folded for search, come to {length} characters; "
            "at most {limit} fit",
            {"length": length, "limit": SEARCH_TEXT_LENGTH},
        )
        raise ValidationError.from_exception_data(
            type(self).__name__,
            [InitErrorDetails(type=problem, loc=(longest,), input=values.get(longest))],
        )


class NamedFormat(CitedFormat):
    name: Name = Field(min_length=1)
    name_zh_hant: Name | None = None
    name_en: Name | None = None


class SubjectSeed(RecordFormat):
    type: "SubjectType" = Field(description="Kind of record.", examples=["project"])
    id: Reference = Field(description="The record's id.", examples=["catl-ly9"])
