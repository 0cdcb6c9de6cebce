"""`expand=` on lists and records: its parameter, the query models that take it, and the typed
shapes the OpenAPI document gives each record's `expanded`."""

from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from app.collections.base import Collection, items_of
from app.collections.catalog import DOCUMENTED
from app.collections.relations import MAX_DEPTH, REVERSE_SHOWN, expand_names, relations_of
from app.errors import bad_parameter
from app.listing.params import IsoDate, PageQuery, known_names

MAX_RELATIONS = 10
"""Relations one request may expand: each costs a statement over the whole page."""


def _expand_field(collection: Collection) -> tuple[Any, Any]:
    relations = relations_of(collection.key)
    listed = "; ".join(relation.describe() for relation in relations.values())
    first = next(iter(relations))
    example: list[str] = [
        name for name in ("organizations", "district", "figures") if name in relations
    ]
    return (
        list[str],
        Field(
            default_factory=list,
            max_length=MAX_RELATIONS,
            description=(
                f"Related records to embed under each record's `expanded`, by relation: "
                f"{listed}. A referring relation embeds at most {REVERSE_SHOWN} records, by "
                f"id, with their `total`. `a.b` goes one hop further, to what a field of the "
                f"records `a` reaches ({MAX_DEPTH} hops at most). Repeat the parameter or "
                f"separate names with commas; at most {MAX_RELATIONS}, each costing one query "
                f"whatever the page size."
            ),
            examples=[example or [first]],
            json_schema_extra=items_of(list(expand_names(collection.key))),
        ),
    )


def expansions(collection: Collection, query: BaseModel) -> list[str]:
    """The relations `expand=` names, each once; a 400 naming `expand` for any other."""
    given = getattr(query, "expand", None)
    names = known_names(given, "expand", expand_names(collection.key), "relation")
    if len(names) > MAX_RELATIONS:
        raise bad_parameter("expand", f"at most {MAX_RELATIONS} relations may be expanded")
    return names


@cache
def list_query(collection: Collection) -> type[PageQuery]:
    """The JSON list's query model: the collection's, with `expand`."""
    return create_model(
        collection.operation("", collection.singular, "PageQuery"),
        __base__=collection.list_query,
        expand=_expand_field(collection),
    )


class RecordQuery(BaseModel):
    """What a read of one record takes besides its id."""

    model_config = ConfigDict(extra="forbid")

    as_of: IsoDate | None = Field(
        None,
        description=(
            "The record as it was at the end of this day (UTC), from its history; what "
            "`expand` embeds is as it is now."
        ),
        examples=["2025-12-31"],
    )


@cache
def record_query(collection: Collection) -> type[RecordQuery]:
    """The query model of a read of one record: `as_of` and `expand`."""
    return create_model(
        collection.operation("", collection.singular, "RecordQuery"),
        __base__=RecordQuery,
        expand=_expand_field(collection),
    )


def _relations_schema(
    collection: Collection, title: str, *, reverse: bool, target_suffix: str
) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for name, relation in relations_of(collection.key).items():
        if relation.kind == "reverse" and not reverse:
            continue
        target_name = relation.target.schema.__name__ + target_suffix
        target = {"$ref": f"#/components/schemas/{target_name}"}
        if relation.kind == "one":
            shape: dict[str, Any] = {"anyOf": [target, {"type": "null"}]}
        elif relation.kind == "many":
            shape = {"type": "array", "items": target}
        else:
            shape = {
                "type": "object",
                "properties": {
                    "items": {"type": "array", "items": target},
                    "total": {"type": "integer", "minimum": 0},
                },
                "required": ["items", "total"],
                "additionalProperties": False,
            }
        properties[name] = {**shape, "description": relation.describe() + "."}
    return {
        "type": "object",
        "title": title,
        "description": f"What `expand=` embeds in {collection.a_singular}.",
        "properties": properties,
        "additionalProperties": False,
    }


def _with_expanded(read: dict[str, Any], title: str, expanded: str) -> dict[str, Any]:
    properties = {
        **read.get("properties", {}),
        "expanded": {
            "$ref": f"#/components/schemas/{expanded}",
            "description": "The related records `expand=` asked for; absent without it.",
        },
    }
    return {**read, "title": title, "properties": properties}


def expansion_schemas(document: dict[str, Any]) -> None:
    """Type what `expand=` embeds, to its bounded depth and no further, so that the schemas
    hold no cycle: a list's or a read's record is `{Read}Expandable`, whose `expanded` holds
    `{Read}Hop` records, whose own `expanded` holds the plain read schemas of what their fields
    name."""
    schemas = document["components"]["schemas"]
    reads = {
        collection.operation("get", collection.singular): collection for collection in DOCUMENTED
    }
    for item in document["paths"].values():
        collection = reads.get(item.get("get", {}).get("operationId"))
        if collection is not None:
            content = item["get"]["responses"]["200"]["content"]["application/json"]
            content["schema"] = expandable(collection)
    for collection in DOCUMENTED:
        page = schemas.get(f"PageOut_{collection.schema.__name__}_")
        if page is not None:
            page["properties"]["items"]["items"] = expandable(collection)
        read_name = collection.schema.__name__
        read = schemas[read_name]
        expanded = collection.operation("", collection.singular, "Expanded")
        further = collection.operation("", collection.singular, "Further")
        schemas[expanded] = _relations_schema(
            collection, expanded, reverse=True, target_suffix="Hop"
        )
        schemas[further] = _relations_schema(collection, further, reverse=False, target_suffix="")
        schemas[f"{read_name}Hop"] = _with_expanded(read, f"{read_name}Hop", further)
        schemas[f"{read_name}Expandable"] = _with_expanded(read, f"{read_name}Expandable", expanded)


def expandable(collection: Collection) -> dict[str, str]:
    """The reference to a collection's record as lists and reads answer it."""
    return {"$ref": f"#/components/schemas/{collection.schema.__name__}Expandable"}
