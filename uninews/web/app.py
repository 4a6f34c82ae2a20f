"""The web application: one read-only store, the pages and the API, a token when asked for,
security headers on every answer, and errors as 400/404/503 with a message."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from crawler import __version__
from storage import ArchiveStore, StorageError
from uninews.web import api, pages, queries
from uninews.web.head import HeadAsGet

logger = logging.getLogger(__name__)

# The app's own pages need no script at all; frames only for the archived page.
APP_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' http: https: data:; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
)
TOKEN_COOKIE = "uninews_token"
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

    def status() -> dict[str, Any]:
        from scheduler.status import status_doc

        return status_doc(store, sites_dir)

    app.state.status = status

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

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if token is not None:
            cookie = request.cookies.get(TOKEN_COOKIE)
            in_url = request.query_params.get("token")
            if in_url is not None and _same(in_url, token):
                # A link with the token: keep it in a cookie and take it out of the address
                # bar (and of the history, and of any Referer).
                rest = [(k, v) for k, v in parse_qsl(request.url.query) if k != "token"]
                # "/" + the path without its leading slashes: //evil.example is no target.
                path = "/" + str(request.scope["path"]).lstrip("/")
                target = path + (f"?{urlencode(rest)}" if rest else "")
                answer = RedirectResponse(target, status_code=303)
                answer.set_cookie(
                    TOKEN_COOKIE, cookie_value(token), httponly=True, samesite="strict"
                )
                return _secured(answer)
            given = _bearer(request.headers.get("authorization", ""))
            if not (given and _same(given, token)) and not (
                cookie and _same(cookie, cookie_value(token))
            ):
                return _secured(
                    _problem(request, 401, "this archive needs its token (?token=… once)")
                )
        return _secured(await call_next(request))

    if local_only:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=LOOPBACK_HOSTS)
    app.add_middleware(HeadAsGet)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app


def cookie_value(token: str) -> str:
    """What the cookie holds: a value derived from the token, so that a cookie read off a disk
    or a browser profile is not the token itself (which also opens the API to scripts)."""
    return hmac.new(token.encode(), b"uninews serve cookie", hashlib.sha256).hexdigest()


def _bearer(header: str) -> str:
    """The credentials of `Authorization: Bearer …`; the scheme is case-insensitive (RFC 9110)."""
    scheme, _, credentials = header.strip().partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def _same(given: str, token: str) -> bool:
    """A constant-time comparison that any text survives (compare_digest refuses non-ASCII str)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), token.encode())


def _secured(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", APP_CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response
