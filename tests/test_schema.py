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


SERVER_ISSUED = {"cursor", "If-Match"}


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
    spec = client.get("/openapi.json").json()
    for path, method, operation in operations(spec):
        if path.startswith("/api/v1/"):
            for status in ("404", "422"):
                content = operation["responses"][status]["content"]
                assert "application/problem+json" in content, (path, method, status)
