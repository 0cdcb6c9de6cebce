"""The database schema matches the models, and the OpenAPI document describes everything."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from openapi_spec_validator import validate
from sqlalchemy import Engine

from app.models import Base


def test_migrations_build_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_constraint_names_follow_the_convention(engine: Engine) -> None:
    from sqlalchemy import inspect

    inspector = inspect(engine)
    for table in inspector.get_table_names():
        for foreign_key in inspector.get_foreign_keys(table):
            assert str(foreign_key["name"]).startswith(f"fk_{table}_"), foreign_key
        for index in inspector.get_indexes(table):
            assert str(index["name"]).startswith((f"ix_{table}_", f"uq_{table}_")), index
        for unique in inspector.get_unique_constraints(table):
            assert str(unique["name"]).startswith(f"uq_{table}_"), unique


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]


def test_every_get_declares_its_etag_and_the_304_that_revalidates_it(client: TestClient) -> None:
    """What every GET answer does (tests/test_read_api.py), declared for a generated client."""
    spec = client.get("/openapi.json").json()
    for path, method, operation in operations(spec):
        if method != "get":
            continue
        responses = operation["responses"]
        assert "ETag" in responses["200"].get("headers", {}), path
        assert "ETag" in responses["304"]["headers"], path
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert "If-None-Match" in headers, path


def test_every_operation_has_a_summary_and_a_readable_operation_id(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    seen = set()
    for path, method, operation in operations(spec):
        assert operation.get("summary"), (path, method)
        operation_id = operation["operationId"]
        assert operation_id[0].islower(), operation_id
        assert "_" not in operation_id, operation_id
        seen.add(operation_id)
    assert {"listProjects", "getProject", "listZeroCarbonFactories", "getFigure"} <= seen


SERVER_ISSUED = {"cursor", "If-Match", "If-None-Match"}


def test_every_query_parameter_has_a_description_and_an_example(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, method, operation in operations(spec):
        for parameter in operation.get("parameters", []):
            where = (path, method, parameter["name"])
            assert parameter.get("description"), where
            example = parameter.get("example") is not None or parameter["schema"].get("examples")
            # Only a value the server issued is valid there: an example would be refused.
            assert bool(example) != (parameter["name"] in SERVER_ISSUED), where


def test_every_field_has_a_description_and_a_scalar_field_an_example(
    client: TestClient,
) -> None:
    """A field made of other schemas (citations, a page's items) shows its example in them."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name, schema in schemas.items():
        if name in {"ValidationError", "HTTPValidationError"}:
            continue
        for field, definition in schema.get("properties", {}).items():
            assert definition.get("description"), (name, field)
            made_of_schemas = "$ref" in str(definition)
            assert "examples" in definition or made_of_schemas, (name, field)


def test_the_document_is_valid_openapi_with_a_described_tag_per_collection(
    client: TestClient,
) -> None:
    spec = client.get("/openapi.json").json()
    validate(spec)  # openapi-spec-validator: raises on any error
    tags = {tag["name"]: tag["description"] for tag in spec["tags"]}
    assert all(tags.values()), tags
    used = {tag for _, _, operation in operations(spec) for tag in operation["tags"]}
    assert used == set(tags), used ^ set(tags)
    assert {"projects", "parks", "renewal-cases", "zero-carbon-factories"} <= used


def test_errors_are_declared_as_problem_json(client: TestClient) -> None:
    """As the server sends them: `application/problem+json` with the `Problem` schema, and no
    `application/json`, which no error is ever sent as (a generated client types its errors
    from this)."""
    spec = client.get("/openapi.json").json()
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, method, operation in operations(spec):
        if path.startswith("/api/v1/"):
            assert {"404", "422"} <= set(operation["responses"]), (path, method)
        for status, response in operation["responses"].items():
            if status[0] in "45":
                assert response["content"] == problem, (path, method, status)


def test_each_list_operation_declares_the_one_media_type_it_answers(client: TestClient) -> None:
    """The list is JSON with whole records; `.json` JSON with records of optional keys (what
    `fields` leaves); `.csv` CSV. So that a generated client's `data` has one type."""
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]

    def success(path: str) -> dict[str, Any]:
        content: dict[str, Any] = spec["paths"][path]["get"]["responses"]["200"]["content"]
        return content

    assert success("/api/v1/projects") == {
        "application/json": {"schema": {"$ref": "#/components/schemas/PageOut_ProjectOut_"}}
    }
    assert success("/api/v1/projects.csv") == {"text/csv": {"schema": {"type": "string"}}}
    (page,) = success("/api/v1/projects.json")["application/json"].values()
    items = schemas[page["$ref"].rsplit("/", 1)[1]]["properties"]["items"]["items"]
    assert items == {"$ref": "#/components/schemas/ProjectPartial"}
    partial, whole = schemas["ProjectPartial"], schemas["ProjectOut"]
    assert "required" not in partial
    # The same keys (but `expanded`, which `expand=` adds, and `.json` does not take).
    whole_keys = {name: field for name, field in whole["properties"].items() if name != "expanded"}
    assert partial["properties"] == whole_keys
    assert set(whole["required"]) == set(whole_keys)
    operation_ids = {
        path: spec["paths"][path]["get"]["operationId"]
        for path in ("/api/v1/projects", "/api/v1/projects.json", "/api/v1/projects.csv")
    }
    assert operation_ids == {
        "/api/v1/projects": "listProjects",
        "/api/v1/projects.json": "listProjectsFields",
        "/api/v1/projects.csv": "listProjectsCsv",
    }


def parameters_of(spec: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}


def test_list_parameters_of_names_are_arrays_of_their_names(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    listed = parameters_of(spec, "/api/v1/projects")
    assert "fields" not in listed  # taken as an alias; declared on `.json`
    assert listed["format"]["schema"]["enum"] == ["json"]
    sortable = ["name", "investment_cny", "status_date", "id"]
    for path in ("/api/v1/projects", "/api/v1/projects.json", "/api/v1/projects.csv"):
        sort = parameters_of(spec, path)["sort"]
        assert sort["schema"]["type"] == "array"
        assert sorted(sort["schema"]["items"]["enum"]) == sorted(
            [*sortable, *("-" + name for name in sortable)]
        )
        assert sort.get("style", "form") == "form"
        assert sort.get("explode", True)
    fields = parameters_of(spec, "/api/v1/projects.json")["fields"]["schema"]
    keys = list(spec["components"]["schemas"]["ProjectPartial"]["properties"])
    assert fields["type"] == "array"
    assert sorted(fields["items"]["enum"]) == sorted(keys)
    group_by = parameters_of(spec, "/api/v1/stats/projects")["group_by"]["schema"]
    assert group_by["type"] == "array"
    assert group_by["items"]["enum"] == [
        "status",
        "district_id",
        "sector",
        "status_year",
        "investment_qualifier",
    ]
    assert "format" not in parameters_of(spec, "/api/v1/projects.csv")
    assert "format" not in parameters_of(spec, "/api/v1/projects.json")


def test_query_parameters_read_plainly_in_the_docs(client: TestClient) -> None:
    """No control-character regular expression under every text parameter, and no bound that
    JavaScript (and so /docs) would show rounded, such as 9223372036854776000."""
    spec = client.get("/openapi.json").json()
    for path, method, operation in operations(spec):
        if not path.startswith(("/api/v1/projects", "/api/v1/stats/", "/api/v1/parks")):
            continue
        for parameter in operation.get("parameters", []):
            where = (path, method, parameter["name"])
            text = str(parameter["schema"])
            assert "\\x00" not in text, where
            for bound in ("minimum", "maximum"):
                value = parameter["schema"].get(bound)
                assert value is None or abs(value) <= 2**53 - 1, where
