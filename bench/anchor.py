"""The PostgreSQL anchor: a raw ASGI app that answers the harness's list request
(`/api/v1/projects?district_id=D&investment_cny_min=X&sort=-investment_cny&limit=L`) with the
one statement CityKB's list runs for it (the page of stored renderings, one row more to know
if there is a next page, and the count of all matches) through psycopg's async driver,
prepared once per connection, and no framework: `{"items": [...], "total": N}`.

What CityKB does beyond it (validation, cursors, ETags, CORS, the revision) is what the ratio
of CityKB to the anchor measures. Run by bench/perf.py under uvicorn with httptools and
uvloop, like `citykb serve`; DATABASE_URL names the database."""

import asyncio
import os
from urllib.parse import parse_qs

import psycopg

PAGE = """SELECT projects.rendered,
  (SELECT count(*) FROM projects
   WHERE investment_cny >= %(bound)s AND district_id = %(district)s
     AND investment_cny IS NOT NULL) AS matching
FROM projects
WHERE investment_cny >= %(bound)s AND district_id = %(district)s
ORDER BY investment_cny IS NULL, investment_cny DESC, id DESC
LIMIT %(limit)s"""
CONNECTIONS = 8
HEADERS = [(b"content-type", b"application/json")]


class Anchor:
    def __init__(self) -> None:
        self.idle: asyncio.Queue[psycopg.AsyncConnection] = asyncio.Queue()

    async def open(self) -> None:
        url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        for _ in range(CONNECTIONS):
            self.idle.put_nowait(
                await psycopg.AsyncConnection.connect(url, autocommit=True, prepare_threshold=0)
            )

    async def lifespan(self, receive, send):  # type: ignore[no-untyped-def]
        """Open the connections before the first request, close them at shutdown."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.open()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                while not self.idle.empty():
                    await self.idle.get_nowait().close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        query = parse_qs(scope["query_string"].decode())
        if "district_id" not in query:  # the harness's readiness probe
            await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
            await send({"type": "http.response.body", "body": b"{}"})
            return
        limit = int(query["limit"][0])
        parameters = {
            "district": query["district_id"][0],
            "bound": int(query["investment_cny_min"][0]),
            "limit": limit + 1,
        }
        connection = await self.idle.get()
        try:
            cursor = await connection.execute(PAGE, parameters)
            rows = await cursor.fetchall()
        finally:
            self.idle.put_nowait(connection)
        total = rows[0][1] if rows else 0
        items = ",".join(rendered for rendered, _ in rows[:limit])
        body = f'{{"items":[{items}],"total":{total}}}'.encode()
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await send({"type": "http.response.body", "body": body})


app = Anchor()
