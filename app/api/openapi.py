"""How the routes every collection has are documented: summaries, parameters, problem
responses, links between operations, write schemas and tags. `app.api.routes` registers each
route with what these give."""

from typing import Any

from fastapi import Path
from fastapi.responses import Response
from pydantic import BaseModel

from app.api import expansion
from app.api.params import documented
from app.api.schemas import FacetsOut, HistoryOut, HistoryQuery, StatsOut
from app.api.stats import json_stats_query
from app.collections.base import Collection
from app.collections.catalog import DOCUMENTED
from app.errors import PROBLEM_JSON, PROBLEM_RESPONSES, Problem
from app.listing.output import PageOut
from app.listing.statements import aggregate_groups
from app.models.base import SLUG_PATTERN
from app.records.read import CitationOut
from app.services.write_bodies import create_model_for

MERGE_PATCH = "application/merge-patch+json"
CSV_CONTENT = {"text/csv": {"schema": {"type": "string"}}}
CSV_SUFFIX = ".csv"
"""A collection's path with this is its CSV operation (`/projects.csv`): no id takes a dot."""
FIELDS_SUFFIX = ".json"
"""A collection's path with this is its partial-record operation (`/projects.json?fields=`)."""
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "schema": {"type": "string"},
    "description": (
        "The record's ETag, from a GET or the last write (a 428 without it; `*` is not taken)."
    ),
}
TAGS = [
    *(
        {
            "name": collection.tag,
            "description": (
                f"{collection.description} List, filter, sort and page them (JSON or CSV), "
                f"read one by id, count and aggregate them under `/stats`"
                + (", and, with a curator key, write them." if collection.writable else ".")
            ),
        }
        for collection in DOCUMENTED
    ),
    {"name": "search", "description": "One text search across every collection."},
    {
        "name": "export",
        "description": (
            "The whole knowledge base in one download: a SQLite database, or CSVs with a "
            "Frictionless data package."
        ),
    },
    {"name": "import", "description": "Bulk import, all or nothing, for administrators."},
    {"name": "health", "description": "Liveness and readiness, for load balancers."},
]
"""The document's tags, one per collection, in the order the documentation shows them."""


def links_to(collection: Collection, record_id: str, etag: str | None = None) -> dict[str, Any]:
    """OpenAPI links from an answer to the operations on the record it names: how a client (or
    a stateful test) goes from a list to a record, and from a record's ETag to its writes."""
    by_id = {"record_id": record_id}
    links = {"get": (collection.operation("get", collection.singular), by_id)}
    if collection.writable:
        links["history"] = (collection.operation("get", collection.singular, "History"), by_id)
        if etag is not None:
            guarded = {**by_id, "header.If-Match": etag}
            links["update"] = (collection.operation("update", collection.singular), guarded)
            links["delete"] = (collection.operation("delete", collection.singular), guarded)
    return {
        name: {"operationId": operation_id, "parameters": parameters}
        for name, (operation_id, parameters) in links.items()
    }


def record_id_path(collection: Collection) -> Any:
    """The `{record_id}` path parameter of a collection."""
    return Path(
        max_length=200,
        pattern=SLUG_PATTERN,
        description=f"The {collection.singular}'s id (a slug).",
        examples=[collection.id_example],
    )


def list_operation(collection: Collection) -> dict[str, Any]:
    return {
        "operation_id": collection.operation("list", collection.plural),
        # `fields` is taken here too, as it always was, but declared on the `.json` operation,
        # whose items' schema says that any key may be absent: this one's items are whole.
        "openapi_extra": documented(expansion.list_query(collection), leave_out={"fields"}),
        "summary": f"List {collection.plural}",
        "description": (
            f"{collection.description} Filtered, sorted and paged by keyset cursor. Only some "
            f"keys of each record: `GET /api/v1{collection.path}{FIELDS_SUFFIX}?fields=...`; "
            f"CSV: `GET /api/v1{collection.path}{CSV_SUFFIX}`."
        ),
        "response_model": PageOut[collection.schema],  # type: ignore[name-defined]
        "responses": {
            **PROBLEM_RESPONSES,
            200: {"links": links_to(collection, "$response.body#/items/0/id")},
        },
    }


def partial_name(collection: Collection) -> str:
    """The component of a record with only some of its keys: `ProjectPartial`."""
    return collection.schema.__name__.removesuffix("Out") + "Partial"


def fields_operation(collection: Collection) -> dict[str, Any]:
    page = f"PageOut_{partial_name(collection)}_"
    return {
        "operation_id": collection.operation("list", collection.plural, "Fields"),
        "openapi_extra": documented(collection.list_query, leave_out={"format"}),
        "summary": f"List {collection.plural}, with only the keys asked for",
        "description": (
            f"The list of `GET /api/v1{collection.path}`, each record trimmed to `fields`: its "
            "items' schema has every key optional, as a client's types must have them."
        ),
        "responses": {
            **PROBLEM_RESPONSES,
            200: {
                "description": "A page of records, each with only the keys asked for.",
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{page}"}}
                },
            },
        },
    }


def next_page_link(path: str) -> dict[str, Any]:
    """The `Link` header of a CSV page at `path`."""
    return {
        "Link": {
            "description": (
                'With `limit`, while more rows match: `<address>; rel="next"`, the address '
                "of the next page (the same query, with the `cursor` that continues it). "
                "Absent on the last page, and without `limit`, when every matching row is in "
                "the answer."
            ),
            "schema": {"type": "string"},
            "example": f'<{path}?limit=2&cursor=...>; rel="next"',
        }
    }


def csv_operation(
    *,
    operation_id: str,
    summary: str,
    description: str,
    query: type[BaseModel],
    headers: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A CSV operation: `text/csv` its one success (with `headers`), taking every parameter
    of `query` but `format` (it is CSV whatever `format` says)."""
    success: dict[str, Any] = {
        "description": "A header line, then one line per row.",
        "content": CSV_CONTENT,
    }
    if headers:
        success["headers"] = headers
    return {
        "operation_id": operation_id,
        "openapi_extra": documented(query, leave_out={"format"}),
        "summary": summary,
        "description": description,
        "response_class": Response,
        "responses": {
            **PROBLEM_RESPONSES,
            200: success,
        },
    }


def list_csv_operation(collection: Collection) -> dict[str, Any]:
    return csv_operation(
        operation_id=collection.operation("list", collection.plural, "Csv"),
        summary=f"List {collection.plural} as CSV",
        description=(
            f"The records of `GET /api/v1{collection.path}`, with its filters and order, as "
            "CSV (UTF-8 with a BOM, for Excel); `fields` chooses the columns. Lists are joined "
            "with `|`; citations read `source ¶paragraph 「quote」 (fields: …)`, joined with "
            "` | `; other nested values are JSON. Without `limit` it streams every matching row; "
            'with `limit` it is a page, and a `Link` header (`rel="next"`) gives the next one.'
        ),
        query=collection.list_query,
        headers=next_page_link(f"/api/v1{collection.path}{CSV_SUFFIX}"),
    )


def get_operation(collection: Collection) -> dict[str, Any]:
    return {
        "operation_id": collection.operation("get", collection.singular),
        "openapi_extra": documented(expansion.record_query(collection)),
        "summary": f"Get {collection.a_singular}",
        "description": f"One {collection.singular}, with the citations behind its fields.",
        "response_model": collection.schema,
        "responses": {
            **PROBLEM_RESPONSES,
            200: {
                "links": links_to(collection, "$request.path.record_id", "$response.header.ETag")
            },
        },
    }


def _units_note(collection: Collection) -> str:
    """What stats of records whose numeric field holds several units do (figures)."""
    if not aggregate_groups(collection.list_spec, []):
        return ""
    return (
        " Groups are always per `unit_normalized` as well (it is added to `group_by`), so that "
        "no aggregate adds numbers of different units; a figure that restates another's fact "
        "(`restates_id` not null) is counted, but left out of the sums, means, minima and "
        "maxima, so that each fact is summed once."
    )


def _qualifier_note(collection: Collection) -> str:
    """What stats of numbers that are not all exact add up."""
    qualifiers = [
        qualifier
        for name, qualifier in collection.figure_backed.items()
        if qualifier is not None and name in collection.numeric
    ]
    if collection.numeric and "qualifier" in collection.filters.model_fields:
        qualifiers.append("qualifier")  # figures: one qualifier for the one number
    if not qualifiers:
        return ""
    names = " or ".join(f"`{name}`" for name in qualifiers)
    return (
        " A sum, mean, minimum or maximum takes each value as stated, however exact: `约` "
        "(`approximately`), `超` (`more_than`), `以上` (`at_least`), brackets such as 50强 and "
        f"classes such as 百亿级 alike. Filter on {names} (`exact`), or group by it, to keep "
        "them apart."
    )


def stats_operation(collection: Collection) -> dict[str, Any]:
    return {
        "operation_id": collection.operation("get", collection.singular, "Stats"),
        "openapi_extra": documented(json_stats_query(collection)),
        "summary": f"Count and aggregate {collection.plural}",
        "description": (
            f"Counts of {collection.plural} per group, with sum, min, max and mean of each "
            "numeric field; takes the same filters as the list. As CSV: the `.csv` operation "
            f"(`format=csv` or `Accept: text/csv` here are aliases of it).{_units_note(collection)}"
            f"{_qualifier_note(collection)}"
        ),
        "response_model": StatsOut,
        "responses": PROBLEM_RESPONSES,
    }


def stats_csv_operation(collection: Collection) -> dict[str, Any]:
    return {
        "operation_id": collection.operation("get", collection.singular, "StatsCsv"),
        "openapi_extra": documented(collection.stats_query),
        "summary": f"Count and aggregate {collection.plural}, as CSV",
        "description": (
            "The groups of the JSON stats, one CSV row each (UTF-8 with a BOM): the group's "
            "fields, `count`, then `{field}_sum`, `_min`, `_max` and `_avg` of each numeric "
            f"field; same parameters.{_units_note(collection)}{_qualifier_note(collection)}"
        ),
        "response_class": Response,
        "responses": {**PROBLEM_RESPONSES, 200: {"content": CSV_CONTENT}},
    }


def facets_operation(collection: Collection) -> dict[str, Any]:
    return {
        "operation_id": collection.operation("get", collection.singular, "Facets"),
        "openapi_extra": documented(collection.filters),
        "summary": f"Facet counts of {collection.plural}",
        "description": (
            "For each filterable field, how many matching records have each value: what a "
            "frontend needs to draw filter chips."
        ),
        "response_model": FacetsOut,
        "responses": PROBLEM_RESPONSES,
    }


def _write_problems() -> dict[int | str, dict[str, Any]]:
    return {**PROBLEM_RESPONSES, **WRITE_PROBLEMS}


def _schema_ref(collection: Collection, suffix: str = "") -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{create_model_for(collection).__name__}{suffix}"}


def create_operation(collection: Collection) -> dict[str, Any]:
    return {
        "status_code": 201,
        "operation_id": collection.operation("create", collection.singular),
        "summary": f"Create {collection.a_singular}",
        "description": (
            "Takes the seed file's record format; `id` is made from the name when not given. "
            "Every stated field must be named by a citation. Needs a curator key."
        ),
        "response_model": collection.schema,
        "responses": {
            **_write_problems(),
            201: {"links": links_to(collection, "$response.body#/id", "$response.header.ETag")},
        },
        "openapi_extra": {
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _schema_ref(collection)}},
            }
        },
    }


def update_operation(collection: Collection) -> dict[str, Any]:
    patch_schema = _schema_ref(collection, "Patch")
    return {
        "operation_id": collection.operation("update", collection.singular),
        "summary": f"Change {collection.a_singular}",
        "description": (
            "A JSON merge patch: given fields replace, null clears. Citations given are added, "
            "and each field stated anew must be named by one. Needs a curator key and "
            "`If-Match` with the record's ETag."
        ),
        "response_model": collection.schema,
        "responses": {
            **_write_problems(),
            200: {
                "links": links_to(collection, "$request.path.record_id", "$response.header.ETag")
            },
        },
        "openapi_extra": {
            "parameters": [IF_MATCH],
            "requestBody": {
                "required": True,
                "content": {
                    MERGE_PATCH: {"schema": patch_schema},
                    "application/json": {"schema": patch_schema},
                },
            },
        },
    }


def delete_operation(collection: Collection) -> dict[str, Any]:
    return {
        "status_code": 204,
        "operation_id": collection.operation("delete", collection.singular),
        "summary": f"Delete {collection.a_singular}",
        "description": (
            "The record leaves every read; its history stays. Needs a curator key and "
            "`If-Match` with the record's ETag; a 409 while other records refer to it."
        ),
        "responses": {status: doc for status, doc in _write_problems().items() if status != 415},
        "openapi_extra": {"parameters": [IF_MATCH]},
    }


def history_operation(collection: Collection) -> dict[str, Any]:
    return {
        "operation_id": collection.operation("get", collection.singular, "History"),
        "summary": f"History of {collection.a_singular}",
        "description": (
            "Every change to the record through the API, oldest first, `limit` at a time: "
            "follow `next_cursor`."
        ),
        "openapi_extra": documented(HistoryQuery),
        "response_model": HistoryOut,
        "responses": PROBLEM_RESPONSES,
    }


WRITE_ONLY_DESCRIPTIONS = {
    "id": "Stable slug; made from the name (pinyin) when not given. It never changes.",
    "name_zh_hant": "Name in traditional characters; derived with OpenCC when not given.",
    "citations": "The passages that state the record's facts; each names the fields it supports.",
    "citation": "The passage that states the figure.",
    "subject": "The record the figure describes.",
    "unit_normalized": "Base unit of a figure whose number has no unit (ratio, count, rank).",
    "organization_ids": "Organizations behind the project.",
    "type": "Kind of record (`project`, `park`, ...).",
    "source_id": "The cited source (`/api/v1/sources/{id}`).",
}


def partial_schemas(collections: tuple[Collection, ...]) -> dict[str, Any]:
    """OpenAPI components for the `.json` lists: each record with none of its keys required,
    and a page of them."""
    components: dict[str, Any] = {}
    for collection in collections:
        name = partial_name(collection)
        page = PageOut[collection.schema].model_json_schema(  # type: ignore[name-defined]
            mode="serialization", ref_template="#/components/schemas/{model}"
        )
        record = page.pop("$defs")[collection.schema.__name__]
        record.pop("required", None)
        components[name] = {
            **record,
            "title": name,
            "description": f"A {collection.singular} with only the keys `fields` asks for.",
        }
        page["properties"]["items"]["items"] = {"$ref": f"#/components/schemas/{name}"}
        components[f"PageOut_{name}_"] = {**page, "title": f"PageOut[{name}]"}
    return components


def problems_as_problem_json(document: dict[str, Any]) -> None:
    """Declare every error answer as the server sends it: `application/problem+json` with the
    `Problem` schema, and no other media type."""
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if str(status)[0] in "45":
                    response["content"] = {PROBLEM_JSON: dict(problem)}


ETAG_HEADER = {
    "description": 'A strong validator of this answer (of its gzip coding, `"…-gzip"`, '
    "when compressed): send it back in `If-None-Match`.",
    "schema": {"type": "string"},
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "ETags of answers you hold, or `*`: a 304 with no body when one is current.",
    "schema": {"type": "string"},
}


def conditional_gets(document: dict[str, Any]) -> None:
    """Declare what every GET answer does for a cache: its `ETag`, `If-None-Match`, and the
    304 that answers it, so that a generated client can type them."""
    for operations in document["paths"].values():
        operation = operations.get("get")
        if operation is None:
            continue
        responses = operation.setdefault("responses", {})
        if "200" in responses:
            responses["200"].setdefault("headers", {})["ETag"] = dict(ETAG_HEADER)
        responses.setdefault(
            "304",
            {"description": "Not Modified: an ETag in `If-None-Match` is current; no body."},
        )
        responses["304"]["headers"] = {"ETag": dict(ETAG_HEADER)}
        parameters = operation.setdefault("parameters", [])
        if not any(parameter["name"] == "If-None-Match" for parameter in parameters):
            parameters.append(dict(IF_NONE_MATCH))


def _describe(schema: dict[str, Any], model: type[BaseModel] | None) -> None:
    """Describe a write schema's fields, and give them examples, as `model` (the read schema)
    does; fields only writes have get their descriptions here."""
    known = model.model_json_schema()["properties"] if model is not None else {}
    for name, prop in schema.get("properties", {}).items():
        read = known.get(name, {})
        if not prop.get("description"):
            prop["description"] = read.get("description") or (
                WRITE_ONLY_DESCRIPTIONS.get(name, name.replace("_", " ").capitalize() + ".")
            )
        if "examples" not in prop and "examples" in read:
            prop["examples"] = read["examples"]


def write_schemas(collections: tuple[Collection, ...]) -> dict[str, Any]:
    """OpenAPI components for the write bodies: each collection's record format (its fields
    described as the read schema describes them) and its merge patch (none required)."""
    components: dict[str, Any] = {}
    for collection in collections:
        if not collection.writable:
            continue
        model = create_model_for(collection)
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            _describe(definition, CitationOut if name == "CitationSeed" else None)
            components[name] = definition
        _describe(schema, collection.schema)
        components[model.__name__] = schema
        components[f"{model.__name__}Patch"] = {
            "type": "object",
            "title": f"{model.__name__}Patch",
            "description": (
                "A JSON merge patch (RFC 7396) of the record's fields: null clears a field; "
                "citations given are added to the record's."
            ),
            "properties": schema["properties"],
            "additionalProperties": False,
        }
    return components


WRITE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": description}
    for status, description in (
        (401, "No valid API key."),
        (403, "The key lacks the scope this needs."),
        (408, "The body did not arrive within `BODY_TIMEOUT_S` (30 s) of the headers."),
        (409, "The id is taken, or other records still refer to this one."),
        (412, "`If-Match` names an ETag the record no longer has, or is `*`."),
        (413, "The body is over 1 MiB."),
        (415, "The body's Content-Type is not one the operation takes."),
        (428, "`If-Match` is missing."),
        (429, "Too many writes with this key; retry after `Retry-After`."),
        (507, "The database has no room left for the write; nothing was written."),
    )
}
