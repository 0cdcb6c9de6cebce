"""The catalog is the one list of collections: every other list of them derives from it, and
these tests fail when one of them leaves a collection out."""

from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.collections.catalog import CATALOG, DOCUMENTED, SEEDING_ORDER, SubjectType
from app.config import get_settings
from app.models import Base, Citation
from app.models.base import Cited
from tests.factories import COLLECTION_TAGS, SOURCE_ID


def openapi(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def test_every_model_with_citations_is_a_collection() -> None:
    cited = {
        mapper.class_.citation_subject
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, Cited)
    }
    assert cited == {collection.subject for collection in CATALOG}
    kinds: Any = SubjectType  # an enum built from the catalog; `str` to the type checker
    assert [str(kind) for kind in kinds] == [item.subject for item in CATALOG]


def test_every_collection_has_its_routes_and_its_tag(client: TestClient) -> None:
    document = openapi(client)
    paths = document["paths"]
    for collection in CATALOG:
        one = f"/api/v1/{collection.tag}/{{record_id}}"
        assert "get" in paths[f"/api/v1/{collection.tag}"], collection.tag
        assert "get" in paths[one], collection.tag
        assert "get" in paths[f"/api/v1/stats/{collection.tag}"], collection.tag
        assert "get" in paths[f"/api/v1/stats/{collection.tag}/facets"], collection.tag
        writes = {"post"} <= set(paths[f"/api/v1/{collection.tag}"]) and {"patch", "delete"} <= set(
            paths[one]
        )
        assert writes == collection.writable, collection.tag
    tags = [tag["name"] for tag in document["tags"]]
    assert tags[: len(DOCUMENTED)] == [collection.tag for collection in DOCUMENTED]


def test_search_and_figures_take_every_kind_of_record(client: TestClient) -> None:
    document = openapi(client)
    kinds = document["components"]["schemas"]["SubjectType"]["enum"]
    assert kinds == [collection.subject for collection in CATALOG]
    search = document["paths"]["/api/v1/search"]["get"]["parameters"]
    (kind,) = [parameter for parameter in search if parameter["name"] == "type"]
    assert kind["schema"]["items"]["$ref"].endswith("/SubjectType")
    for collection in CATALOG:
        found = client.get("/api/v1/search", params={"q": "常州", "type": collection.subject})
        assert found.status_code == 200, (collection.subject, found.text)


def test_the_seeding_order_puts_each_collection_after_those_it_names() -> None:
    assert sorted(item.key for item in SEEDING_ORDER) == sorted(item.key for item in CATALOG)
    seen: set[str] = set()
    for collection in SEEDING_ORDER:
        for column in collection.table.columns:
            for foreign_key in column.foreign_keys:
                target = foreign_key.column.table
                if target is not collection.table:
                    assert target.name in seen, (collection.key, target.name)
        seen.add(collection.table.name)


def test_the_seed_file_and_the_pages_hold_every_collection(client: TestClient) -> None:
    seed = yaml.safe_load(get_settings().seed_path.read_text(encoding="utf-8"))
    for collection in CATALOG:
        assert seed.get(collection.key), collection.key
        page = client.get(f"/api/v1/{collection.tag}", params={"limit": 1})
        assert page.status_code == 200, collection.tag
        assert page.json()["items"], collection.tag


@pytest.mark.parametrize("collection", CATALOG, ids=lambda collection: collection.key)
def test_the_database_takes_every_kind_of_record(session: Session, collection: Any) -> None:
    """The migrations' CHECK constraints list the kinds of record: a new one needs its own."""
    with session.begin_nested():
        session.execute(
            insert(Citation).values(
                subject_type=collection.subject,
                subject_id="any",
                source_id=SOURCE_ID,
                paragraph=1,
                quote="常州",
            )
        )


def test_the_database_refuses_a_kind_it_does_not_know(session: Session) -> None:
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            insert(Citation).values(
                subject_type="no_such_kind",
                subject_id="any",
                source_id=SOURCE_ID,
                paragraph=1,
                quote="常州",
            )
        )


def test_the_landing_page_and_the_tests_list_every_collection(client: TestClient) -> None:
    page = client.get("/").text
    for collection in DOCUMENTED:
        assert f'["{collection.tag}", "{collection.label_zh}",' in page, collection.tag
    assert tuple(collection.tag for collection in DOCUMENTED) == COLLECTION_TAGS
