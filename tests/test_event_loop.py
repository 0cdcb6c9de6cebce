"""Nothing slow runs on the event loop: lists waiting on the database, in a real server
process, leave it answering other requests at once."""

import threading
import time

import httpx2
import pytest
from sqlalchemy import create_engine, text

from tests.factories import ORGANIZATIONS, PROJECTS_PATH, Params, server


def test_lists_waiting_on_the_database_leave_the_server_answering(
    fresh_database_url: str,
) -> None:
    """Four lists with 100 organizations each wait on a lock: the event loop stays free, so
    `/healthz` (and the response cache's revision check in front of it) answer at once."""
    if not fresh_database_url.startswith("postgresql"):
        pytest.skip(
            "SQLite readers in WAL mode never wait on a lock, so no list can be held here; "
            "bench/hardening.py measures /healthz under heavy lists on SQLite"
        )
    params: Params = [("organization_id", organization) for organization in ORGANIZATIONS]
    with server(fresh_database_url, RESPONSE_CACHE_MB="32") as (_, base):
        outcomes: list[int] = []

        def read_list() -> None:
            outcomes.append(httpx2.get(base + PROJECTS_PATH, params=params, timeout=30).status_code)

        engine = create_engine(fresh_database_url)
        with engine.connect() as locker:
            locker.execute(text("LOCK TABLE projects IN ACCESS EXCLUSIVE MODE"))
            readers = [threading.Thread(target=read_list) for _ in range(4)]
            for reader in readers:
                reader.start()
            time.sleep(0.5)  # the lists are now waiting on the lock
            health = httpx2.get(base + "/healthz", timeout=2)
            assert health.status_code == 200
            assert outcomes == []  # every list is still waiting
            locker.rollback()
        engine.dispose()
        for reader in readers:
            reader.join(timeout=30)
        assert outcomes == [200] * 4
