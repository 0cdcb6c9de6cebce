"""The database schema matches the models, and the OpenAPI document describes everything."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
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
            assert str(index["name"]).startswith(f"ix_{table}_"), index


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


def test_every_query_parameter_has_a_description_and_an_example(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, method, operation in operations(spec):
        for parameter in operation.get("parameters", []):
            where = (path, method, parameter["name"])
            assert parameter.get("description"), where
            assert parameter.get("example") is not None or parameter["schema"].get("examples"), (
                where
            )


def test_every_response_field_has_a_description(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name, schema in schemas.items():
        if name in {"ValidationError", "HTTPValidationError"}:
            continue
        for field, definition in schema.get("properties", {}).items():
            assert definition.get("description"), (name, field)


def test_errors_are_declared_as_problem_json(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, method, operation in operations(spec):
        if path.startswith("/api/v1/"):
            for status in ("404", "422"):
                content = operation["responses"][status]["content"]
                assert "application/problem+json" in content, (path, method, status)


def test_each_collection_declares_a_filter_for_each_query_parameter() -> None:
    from app.api import (
        districts,
        figures,
        organizations,
        parks,
        projects,
        renewal_cases,
        sources,
        zero_carbon_factories,
    )
    from app.listing import ListQuery, ListSpec
    from app.services import districts as district_service
    from app.services import figures as figure_service
    from app.services import organizations as organization_service
    from app.services import parks as park_service
    from app.services import projects as project_service
    from app.services import renewal_cases as renewal_case_service
    from app.services import sources as source_service
    from app.services import zero_carbon_factories as factory_service

    pairs: list[tuple[type[ListQuery], ListSpec]] = [
        (projects.ProjectQuery, project_service.PROJECT_LIST),
        (parks.ParkQuery, park_service.PARK_LIST),
        (renewal_cases.RenewalCaseQuery, renewal_case_service.RENEWAL_CASE_LIST),
        (zero_carbon_factories.ZeroCarbonFactoryQuery, factory_service.ZERO_CARBON_FACTORY_LIST),
        (organizations.OrganizationQuery, organization_service.ORGANIZATION_LIST),
        (districts.DistrictQuery, district_service.DISTRICT_LIST),
        (figures.FigureQuery, figure_service.FIGURE_LIST),
        (sources.SourceQuery, source_service.SOURCE_LIST),
    ]
    for query, spec in pairs:
        filters = set(query.model_fields) - set(ListQuery.model_fields)
        assert filters == set(spec.filters), query.__name__
        assert "id" in spec.sortable, query.__name__
