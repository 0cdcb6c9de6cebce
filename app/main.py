import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app import landing
from app.api import export, importing, neighbours, search, sources
from app.api.direct import DirectRoutes, direct_handlers
from app.api.expansion import expansion_schemas
from app.api.openapi import (
    TAGS,
    conditional_gets,
    partial_schemas,
    problems_as_problem_json,
    write_schemas,
)
from app.api.params import QUERY_SCHEMAS
from app.api.routes import collection_router
from app.cache import ResponseCache, RevisionProbe
from app.collections.catalog import DOCUMENTED
from app.config import get_settings
from app.db import LoopConnection, SessionDep, get_engine, loop_engine
from app.errors import PROBLEM_RESPONSES, install_error_handlers, unavailable
from app.front import GZIP_MINIMUM_BYTES, RecordFrontPath
from app.http import (
    EXPOSED_HEADERS,
    CORSWithProblems,
    GZipWithItsOwnETag,
    HeadAsGet,
    RouteIndex,
    TagEveryAnswer,
    json_response,
)
from app.limits import BodySizeLimit
from app.migrate import STARTING, AnswerWhilePreparing, prepare_in_background
from app.services.health import database_is_reachable

API_PREFIX = "/api/v1"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    if settings.prepare_on_start:
        app.state.prepared = prepare_in_background(get_engine(), settings.seed_path)
    # What is alive now (modules, routes, schemas) lives as long as the process: leaving it
    # out of the collector's full scans keeps their pauses out of request latency.
    gc.collect()
    gc.freeze()
    yield
    connection = getattr(app.state, "loop_connection", None)
    if connection is not None:
        connection.close()


class CityKB(FastAPI):
    """FastAPI, with the response cache in front of all of it, the framework's own middleware
    included: a hit costs a revision read and a dictionary lookup (app/cache.py)."""

    front: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.front is None:
            await super().__call__(scope, receive, send)
        else:
            await self.front(scope, receive, send)

    async def uncached(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The application behind the cache."""
        await super().__call__(scope, receive, send)


def in_front(app: CityKB, connection: LoopConnection, cache_mb: int, paths: list[str]) -> None:
    """Put the response cache, then the front path for records by id, in front of the whole
    application (which serves `paths`); both read through `connection`, on the event loop."""

    def ready() -> bool:
        prepared = getattr(app.state, "prepared", None)
        return prepared is None or prepared.is_set()

    app.state.loop_connection = connection  # closed when the app shuts down
    app.state.front_path = RecordFrontPath(
        app.uncached,
        connection=connection,
        prefix=API_PREFIX,
        collections=DOCUMENTED,
        taken=[path for path in paths if "{" not in path],
        ready=ready,
        every_origin="*" in get_settings().cors_origins,
    )
    app.front = ResponseCache(
        app.state.front_path, probe=RevisionProbe(connection), max_bytes=cache_mb << 20
    )


def create_app(*, engine: Engine | None = None, response_cache_mb: int | None = None) -> FastAPI:
    """Build the CityKB application; the response cache and the front path read from `engine`
    (default: the configured database), and the cache keeps `response_cache_mb` (default: the
    setting; 0 turns both off)."""
    # Swagger UI and ReDoc from the assets fastapi-offline ships, on pages of our own
    # (`docs_router`): /docs and /redoc work with no internet.
    app = CityKB(
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        swagger_ui_parameters={"validatorUrl": None},
        title="CityKB",
        version="0.1.0",
        summary="A cited knowledge base of a city's development.",
        description=(
            "Major investment projects, industrial parks, urban-renewal cases and zero-carbon "
            "factories, tied together by organizations, districts, figures and their sources. "
            "Every record cites the paragraph of its source, and a short quote, that states it."
        ),
    )
    install_error_handlers(app)
    app.add_middleware(TagEveryAnswer)
    app.add_middleware(GZipWithItsOwnETag, minimum_size=GZIP_MINIMUM_BYTES)
    app.add_middleware(BodySizeLimit)
    app.add_middleware(AnswerWhilePreparing)
    app.add_middleware(
        CORSWithProblems,
        allow_origins=get_settings().cors_origins,
        allow_methods=["GET", "HEAD", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=EXPOSED_HEADERS,
    )
    app.add_middleware(HeadAsGet)
    # Each router straight under the app: every level of nesting is matched on every request.
    api_routers = [
        *map(collection_router, DOCUMENTED),
        neighbours.router,
        search.router,
        importing.router,
        sources.router,
        export.router,
    ]
    served: dict[int, list[str]] = {}
    for prefix, router in [
        *((API_PREFIX, router) for router in api_routers),
        *(("", router) for router in (health_router, landing.router, docs_router)),
    ]:
        app.include_router(router, prefix=prefix)
        included = app.router.routes[-1]
        served[id(included)] = [prefix + route.path for route in router.routes]  # type: ignore[attr-defined]
    app.router.middleware_stack = DirectRoutes(
        RouteIndex(
            app.router,
            [served.get(id(route)) or [route.path] for route in app.router.routes],  # type: ignore[attr-defined]
        ),
        direct_handlers(API_PREFIX, DOCUMENTED),
    )
    cache_mb = get_settings().response_cache_mb if response_cache_mb is None else response_cache_mb
    if cache_mb > 0:
        connection = LoopConnection(loop_engine if engine is None else lambda: engine)
        in_front(app, connection, cache_mb, [path for paths in served.values() for path in paths])

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                tags=TAGS,
            )
            schema["components"]["schemas"].update(write_schemas(DOCUMENTED))
            schema["components"]["schemas"].update(partial_schemas(DOCUMENTED))
            problems_as_problem_json(schema)
            conditional_gets(schema)
            schema["components"]["schemas"].update(QUERY_SCHEMAS)
            expansion_schemas(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


docs_router = APIRouter(include_in_schema=False)
OFFLINE_ASSETS = "/static-offline-docs"
"""Where the Swagger UI and ReDoc bundles that fastapi-offline ships are served."""
ASSETS_DIRECTORY = Path(fastapi_offline.__file__).with_name("static")
docs_router.mount(OFFLINE_ASSETS, StaticFiles(directory=ASSETS_DIRECTORY), name="docs-assets")


@docs_router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    """The API reference to try out, drawn by Swagger UI from assets served here."""
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - Swagger UI",
        oauth2_redirect_url=f"{root}{request.app.swagger_ui_oauth2_redirect_url}",
        swagger_js_url=f"{root}{OFFLINE_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{OFFLINE_ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{root}{OFFLINE_ASSETS}/favicon.png",
        swagger_ui_parameters=request.app.swagger_ui_parameters,
    )


@docs_router.get("/docs/oauth2-redirect")
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


REDOC_BUNDLE = "/docs-assets/redoc.standalone.js"
REDOCLY_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"


@cache
def redoc_bundle_bytes() -> bytes:
    """fastapi-offline's ReDoc bundle without the one thing it fetches from another host: the
    Redocly logo under its menu, which becomes an empty image (ReDoc hides one that fails)."""
    bundle = ASSETS_DIRECTORY / "redoc.standalone.js"
    return bundle.read_bytes().replace(REDOCLY_LOGO, b"data:,")


@docs_router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    """The API reference, drawn by ReDoc from assets served here: no fonts, logo or script
    from another host."""
    root = request.scope.get("root_path", "")
    return get_redoc_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{root}{REDOC_BUNDLE}",
        redoc_favicon_url=f"{root}{OFFLINE_ASSETS}/favicon.png",
        with_google_fonts=False,
    )


@docs_router.get(REDOC_BUNDLE)
def redoc_bundle() -> Response:
    """ReDoc's script, as `/redoc` loads it."""
    return Response(
        redoc_bundle_bytes(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


health_router = APIRouter(tags=["health"])


@health_router.get("/healthz", operation_id="getLiveness", summary="Liveness")
async def healthz(request: Request) -> Response:
    """200 while the process is up."""
    return json_response(request, {"status": "ok"})


@health_router.get(
    "/readyz", operation_id="getReadiness", summary="Readiness", responses=PROBLEM_RESPONSES
)
def readyz(request: Request, session: SessionDep) -> Response:
    """200 when the database answers and is migrated, 503 until then."""
    prepared = getattr(request.app.state, "prepared", None)
    if prepared is not None and not prepared.is_set():
        raise unavailable(STARTING)
    if not database_is_reachable(session=session):
        raise unavailable("The database is not reachable.")
    return json_response(request, {"status": "ready"})


app = create_app()
