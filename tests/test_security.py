"""The OWASP API Security Top 10 (2023) items that no other test file covers; SECURITY.md maps
every item to its tests."""

import json
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.db import get_sessions
from app.main import create_app
from tests.factories import assert_problem

SNAPSHOT = Path(__file__).parent / "snapshots" / "openapi.json"


def test_the_api_inventory_matches_its_checked_in_snapshot() -> None:
    """API9: every route, parameter and schema the server exposes is in the reviewed snapshot;
    a change to the surface shows up as a diff. Refresh it with
    `citykb openapi > tests/snapshots/openapi.json` and review that diff."""
    assert create_app().openapi() == json.loads(SNAPSHOT.read_text())


def test_an_unexpected_error_reveals_nothing_of_the_server() -> None:
    """API8: a 500 is a bare problem: no traceback, no exception text, no paths."""
    app = create_app()

    async def broken() -> Any:
        raise RuntimeError("secret detail at /work/main/app/secret.py line 7")

    app.dependency_overrides[get_sessions] = broken
    client = TestClient(app, raise_server_exceptions=False)
    response = client.get("/api/v1/projects")
    body = assert_problem(response, 500)
    text = response.text
    for leak in ("secret", "Traceback", "RuntimeError", ".py", "/work/"):
        assert leak not in text, text
    assert body["detail"] == "The server failed to answer this request."


def test_cors_never_lets_a_browser_send_credentials(client: TestClient) -> None:
    """API8: reads are open to every origin, so no origin may send cookies or credentials."""
    origin = {"Origin": "https://evil.example"}
    simple = client.get("/api/v1/projects", headers=origin)
    preflight = client.options(
        "/api/v1/projects",
        headers={**origin, "Access-Control-Request-Method": "GET"},
    )
    for response in (simple, preflight):
        assert "access-control-allow-credentials" not in response.headers
    refused = client.options(
        "/api/v1/projects/catl-ly9",
        headers={**origin, "Access-Control-Request-Method": "DELETE"},
    )
    assert "DELETE" not in refused.headers.get("access-control-allow-methods", "")


def test_no_input_is_a_url_the_server_would_fetch() -> None:
    """API7 and API10: no parameter or body field takes a URL, so the server never fetches
    one on a client's behalf; it calls no other API."""
    document = create_app().openapi()
    found: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if node.get("format") in ("uri", "url", "iri") or "url" in str(node.get("name", "")):
                found.append(where)
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(document["paths"], "paths")
    assert found == []


def test_security_md_names_only_tests_that_exist() -> None:
    """Each row of SECURITY.md names its tests; a renamed or removed test breaks the map."""
    root = Path(__file__).parent.parent
    text = (root / "SECURITY.md").read_text()
    named = re.findall(r"`(tests/[\w/]+\.py)?(?:::)?(test_\w+)`", text)
    assert len(named) >= 20
    current = ""
    for path, name in named:
        current = path or current
        assert f"def {name}(" in (root / current).read_text(), f"{current}::{name}"
