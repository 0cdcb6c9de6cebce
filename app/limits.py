"""Request limits enforced before a request reaches the routes."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import AppError, problem_response

MAX_BODY_BYTES = 1 << 20
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class BodySizeLimit:
    """Refuse request bodies over `limit` bytes with a 413 problem, declared or streamed.

    A body is read in full (up to the limit) before the route sees it, so that no route can
    act on part of a body that turns out too large."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and not declared.isdigit():
            await self._answer(AppError(400, "Content-Length is not a number."), scope, send)
            return
        if declared is not None and int(declared) > self.limit:
            await self._answer(self._too_large(), scope, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._answer(self._too_large(), scope, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    def _too_large(self) -> AppError:
        return AppError(413, f"The request body is larger than {self.limit} bytes.")

    async def _answer(self, error: AppError, scope: Scope, send: Send) -> None:
        async def nothing() -> Message:
            return {"type": "http.disconnect"}

        await problem_response(error)(scope, nothing, send)
