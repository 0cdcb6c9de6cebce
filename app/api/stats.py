"""`/stats/{collection}` as JSON or CSV: the query model of the JSON operation, which takes
`format=csv` as an alias of the `.csv` operation, and each group as a CSV row."""

from functools import cache
from typing import Annotated, Literal

from pydantic import BaseModel, Field, WithJsonSchema, create_model

from app.collections.base import Collection
from app.collections.catalog import SubjectType

STATS_FORMAT = Annotated[
    Literal["json", "csv"] | None, WithJsonSchema({"type": "string", "enum": ["json"]})
]
"""Declared as JSON only, the operation's one answer; `csv` (like `Accept: text/csv`) is taken
too, as the alias the API's conventions promise, and answers as the `.csv` operation does."""


@cache
def json_stats_query(collection: Collection) -> type[BaseModel]:
    """The JSON stats' query: the collection's stats query, and `format`."""
    model = create_model(
        collection.operation("", collection.singular, "JsonStatsQuery"),
        __base__=collection.stats_query,
        format=(
            STATS_FORMAT,
            Field(
                None,
                description=(
                    "`json`, the default. The same groups as CSV are the `.csv` operation "
                    "(`/api/v1/stats/{collection}.csv`); `format=csv` and `Accept: text/csv` "
                    "here are aliases of it."
                ),
                examples=["json"],
            ),
        ),
    )
    # A figure's filters name `SubjectType`, which the catalog makes from the collections.
    model.model_rebuild(_types_namespace={"SubjectType": SubjectType})
    return model
