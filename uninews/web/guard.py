"""The token check and the security headers, as plain ASGI middleware: Starlette's
`@app.middleware("http")` runs each request in a task group with memory streams, a cost every
page paid (issue #20: serve under 50 concurrent clients)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The app's own pages need no script at all; frames only for the archived page.
APP_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' http: https: data:; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
)
TOKEN_COOKIE = "uninews_token"
SECURITY_HEADERS = (
    ("Content-Security-Policy", APP_CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


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


def _secure(headers: MutableHeaders) -> None:
    for name, value in SECURITY_HEADERS:
        headers.setdefault(name, value)


class Guard:
    """Every answer gets the security headers; with a token, a request without it gets 401
    (`problem` renders that page), and `?token=…` lands in a cookie and leaves the address."""

    def __init__(
        self,
        app: ASGIApp,
        token: str | None,
        problem: Callable[[Request, int, str], Response],
    ) -> None:
        self.app = app
        self.token = token
        self.problem = problem

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                _secure(MutableHeaders(scope=message))
            await send(message)

        refusal = self._refusal(Request(scope)) if self.token is not None else None
        if refusal is not None:
            await refusal(scope, receive, secured)
            return
        await self.app(scope, receive, secured)

    def _refusal(self, request: Request) -> Response | None:
        """The answer instead of the page (a landing redirect, a 401); None: let it through."""
        token = self.token
        assert token is not None
        in_url = request.query_params.get("token")
        if in_url is not None and _same(in_url, token):
            # A link with the token: keep it in a cookie and take it out of the address
            # bar (and of the history, and of any Referer).
            rest = [(k, v) for k, v in parse_qsl(request.url.query) if k != "token"]
            # "/" + the path without its leading slashes: //evil.example is no target.
            path = "/" + str(request.scope["path"]).lstrip("/")
            target = path + (f"?{urlencode(rest)}" if rest else "")
            answer = RedirectResponse(target, status_code=303)
            answer.set_cookie(TOKEN_COOKIE, cookie_value(token), httponly=True, samesite="strict")
            return answer
        given = _bearer(request.headers.get("authorization", ""))
        cookie = request.cookies.get(TOKEN_COOKIE)
        if (given and _same(given, token)) or (cookie and _same(cookie, cookie_value(token))):
            return None
        return self.problem(request, 401, "this archive needs its token (?token=… once)")
