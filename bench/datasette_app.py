"""Datasette, the peer, as an ASGI app for uvicorn: the harness serves it the way it serves
CityKB and the ceiling (same server, same HTTP implementation, same core).

The database file is opened read-write, as `datasette serve FILE` does."""

import os

from datasette.app import Datasette

app = Datasette(
    files=[os.environ["DATASETTE_DB"]],
    settings={"sql_time_limit_ms": 5000, "suggest_facets": False},
).app()
