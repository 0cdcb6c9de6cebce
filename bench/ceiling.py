"""The ceiling: a raw ASGI app that answers every request with the same 2 KB JSON body.

Nothing a web API does can be faster under the same server on the same core, so CityKB's
throughput is reported as a ratio of this app's."""

import orjson

_ITEMS = [{"id": f"p{n:04d}", "name": "示范项目"} for n in range(40)]
_SHORT = orjson.dumps({"items": _ITEMS, "pad": ""})
BODY = orjson.dumps({"items": _ITEMS, "pad": "x" * (2048 - len(_SHORT))})
HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode()),
]


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
