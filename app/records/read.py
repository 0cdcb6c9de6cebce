"""The fields every record's read schema shares: its id, its names, and its citations."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class CitationOut(BaseModel):
    """Where a fact comes from: a paragraph of a source and the short quote that states it."""

    model_config = ConfigDict(from_attributes=True)

    source_id: str = Field(
        description="The cited source (`/api/v1/sources/{id}`).",
        examples=["changzhou-city-work-conference-2025"],
    )
    paragraph: int = Field(description="1-based paragraph of the source.", examples=[7])
    quote: str = Field(
        description="The span of that paragraph, at most 40 characters, that states the fact.",
        examples=["江苏时代新能源灯塔工厂LY9项目签约落地"],
    )
    fields: list[str] = Field(
        description="The record's fields this citation supports; empty for the record as a whole.",
        examples=[["name", "status"]],
    )

    @field_validator("fields", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if value is None:
            return []
        return value.split(",") if isinstance(value, str) else value


class RecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(
        description="Stable, readable slug; it survives re-seeding.", examples=["catl-ly9"]
    )


class NamedOut(RecordOut):
    name: str = Field(
        description="Name in simplified Chinese, as the source writes it.",
        examples=["江苏时代新能源灯塔工厂LY9项目"],
    )
    name_zh_hant: str = Field(
        description="Name in traditional characters.", examples=["江蘇時代新能源燈塔工廠LY9項目"]
    )
    name_en: str | None = Field(
        description="Established English name; null where none exists.", examples=["CATL"]
    )


def citations_field() -> Any:
    return Field(description="The source passages that state this record's facts.")
