"""The web application: one read-only store, the pages and the API, a token when asked for,
security headers on every answer, and errors as 400/404/503 with a message."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from crawler import __version__
from storage import ArchiveStore, StorageError
from uninews.web import api, files, pages, queries
from uninews.web.figures import Figures
from uninews.web.guard import Guard
from uninews.web.head import HeadAsGet

logger = logging.getLogger(__name__)

LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]


def _problem(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=status)
    return pages.templates.TemplateResponse(
        request, "error.html", {"status": status, "message": message}, status_code=status
    )


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("query", "path"))
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "bad parameter: " + "; ".join(parts)


def create_app(
    store: ArchiveStore,
    *,
    sites_dir: Path | None = None,
    token: str | None = None,
    local_only: bool = True,
) -> FastAPI:
    """The app over `store` (opened read-only by the caller). `token`: every request must
    carry it. `local_only`: answer only requests addressed to a loopback name (a page on the
    web cannot reach the archive through DNS rebinding)."""
    app = FastAPI(
        title="uninews archive",
        version=__version__,
        description="Read-only access to a uninews archive of university news.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # Swagger UI would load its script from a CDN
        redoc_url=None,
    )
    app.state.store = store
    app.state.sites_dir = sites_dir
    app.state.figures = Figures(store, sites_dir)

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> Response:
        return _problem(request, 400, _describe(exc))

    @app.exception_handler(queries.BadRequest)
    async def bad_request(request: Request, exc: queries.BadRequest) -> Response:
        return _problem(request, 400, str(exc))

    @app.exception_handler(queries.NotFound)
    async def not_found(request: Request, exc: queries.NotFound) -> Response:
        return _problem(request, 404, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _problem(request, exc.status_code, str(exc.detail))

    @app.exception_handler(StorageError)
    async def store_error(request: Request, exc: StorageError) -> Response:
        logger.error("Archive unavailable: %s", exc)
        return _problem(request, 503, f"the archive cannot be read: {exc}")

    # Outermost first: HEAD as GET, then the Host check, then the token and the headers.
    app.add_middleware(Guard, token=token, problem=_problem)
    if local_only:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=LOOPBACK_HOSTS)
    app.add_middleware(HeadAsGet)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(files.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app
