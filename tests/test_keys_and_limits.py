"""API keys, their scopes and the request limits, through HTTP and the command line."""

from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from app.auth import CuratorKey, CuratorSession, require
from app.main import create_app
from app.models import ApiKey, Scope
from app.services.keys import create_key, revoke_key
from tests.factories import assert_problem, citykb, serve_sessions


@pytest.fixture
def guarded(session: Session) -> Iterator[TestClient]:
    """The app with two routes that need a curator's and an administrator's key."""
    application = create_app()

    @application.post("/curated")
    def curated(key: CuratorKey, _session: CuratorSession) -> dict[str, str]:
        return {"by": key.name}

    @application.post("/echo")
    def echo(body: dict[str, str]) -> dict[str, int]:
        return {"keys": len(body)}

    @application.post("/administered")
    def administered(key: Annotated[ApiKey, Depends(require(Scope.admin))]) -> dict[str, str]:
        return {"by": key.name}

    serve_sessions(application, lambda: nullcontext(session))
    with TestClient(application) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_no_key_is_a_401_with_a_challenge(guarded: TestClient) -> None:
    response = guarded.post("/curated")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization", ["Bearer", "Bearer ckb_forged", "Basic dXNlcjpwYXNz", "ckb_no_scheme"]
)
def test_a_malformed_or_unknown_key_is_a_401(guarded: TestClient, authorization: str) -> None:
    response = guarded.post("/curated", headers={"Authorization": authorization})
    assert_problem(response, 401)
    assert "www-authenticate" in response.headers


def test_a_revoked_key_is_a_401(guarded: TestClient, session: Session) -> None:
    key, token = create_key(session=session, name="former-curator", scope=Scope.curator)
    assert guarded.post("/curated", headers=bearer(token)).json() == {"by": "former-curator"}
    revoke_key(session=session, key=key)
    session.flush()
    assert_problem(guarded.post("/curated", headers=bearer(token)), 401)


def test_scopes(guarded: TestClient, session: Session) -> None:
    _, curator = create_key(session=session, name="curator", scope=Scope.curator)
    _, admin = create_key(session=session, name="admin", scope=Scope.admin)
    assert guarded.post("/curated", headers=bearer(curator)).status_code == 200
    assert guarded.post("/curated", headers=bearer(admin)).status_code == 200
    assert guarded.post("/administered", headers=bearer(admin)).status_code == 200
    body = assert_problem(guarded.post("/administered", headers=bearer(curator)), 403)
    assert "admin" in body["detail"]


def test_use_is_recorded_and_only_a_hash_is_stored(guarded: TestClient, session: Session) -> None:
    key, token = create_key(session=session, name="recorded", scope=Scope.curator)
    assert key.last_used_at is None
    guarded.post("/curated", headers=bearer(token))
    session.refresh(key)
    assert key.last_used_at is not None
    stored = session.execute(text("SELECT token_hash FROM api_keys WHERE name = 'recorded'"))
    assert token not in stored.scalar_one()


def test_the_security_scheme_is_declared(guarded: TestClient) -> None:
    spec = guarded.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    assert spec["paths"]["/curated"]["post"]["security"] == [{"apiKey": []}]


def test_keys_on_the_command_line(tmp_path: Path) -> None:
    database = tmp_path / "keys.db"
    assert citykb("db", "upgrade", database=database).returncode == 0
    created = citykb("keys", "create", "ingest-bot", "--scope", "admin", database=database)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("ckb_")
    assert len(token) > 40
    again = citykb("keys", "create", "ingest-bot", "--scope", "curator", database=database)
    assert again.returncode == 1
    listed = citykb("keys", "list", database=database).stdout
    assert "ingest-bot\tadmin" in listed
    assert "never used" in listed
    assert token not in listed
    assert citykb("keys", "revoke", "ingest-bot", database=database).returncode == 0
    assert "revoked" in citykb("keys", "list", database=database).stdout
    assert citykb("keys", "revoke", "nobody", database=database).returncode == 1


def test_a_body_over_1_mib_is_a_413(guarded: TestClient) -> None:
    declared = guarded.post("/echo", content=b"x" * ((1 << 20) + 1))
    assert_problem(declared, 413)

    def chunks() -> Iterator[bytes]:
        yield b'{"a": "'
        for _ in range(17):
            yield b"y" * 65536
        yield b'"}'

    streamed = guarded.post("/echo", content=chunks(), headers={"Content-Type": "application/json"})
    assert_problem(streamed, 413)
    small = guarded.post("/echo", json={"a": "b"})
    assert small.json() == {"keys": 1}


def test_sqlite_runs_in_wal_mode(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("WAL is SQLite's")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
