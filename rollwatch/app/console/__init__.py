"""The console: LA officers triage and work their alerts, and auditors, officers and schools read
pupils' timelines, in a web app served at `/` by the process that hosts the alerts service (the
API stays under `/v1`); auditors also check the ledger and read the access log. See views.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rollwatch.app.console import assets
from rollwatch.app.console.views import Console, SignInRequired, router, sign_in_redirect
from rollwatch.app.console.web import home_of, render, signed_in
from rollwatch.core import http_errors
from rollwatch.core.http_errors import ApiError
from rollwatch.core.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"
# Paths that are not the console's: their errors keep the API's JSON shape.
_NOT_CONSOLE = ("/v1/", "/healthz", "/readyz", "/metrics", "/docs", "/redoc", "/openapi.json")
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def is_console_path(path: str) -> bool:
    return not path.startswith(_NOT_CONSOLE)


def install(app: FastAPI, settings: Settings) -> None:
    """Mount the console's pages and assets on `app` (after `http_errors.install`)."""
    templates = Jinja2Templates(directory=str(TEMPLATES))
    app.state.console = Console(settings, templates)
    app.include_router(router)
    app.include_router(assets.router(settings.console_assets_dir))
    json_api_error = app.exception_handlers[ApiError]
    json_http_error = app.exception_handlers[StarletteHTTPException]

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        if not is_console_path(request.url.path):
            return await _call(json_api_error, request, exc)
        http_errors.log_denied(request, exc.status, exc.rule)
        return _error_page(request, exc.status, exc.message)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not is_console_path(request.url.path):
            return await _call(json_http_error, request, exc)
        return _error_page(request, exc.status_code, str(exc.detail))

    async def signed_out(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        return sign_in_redirect(exc)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(SignInRequired, signed_out)

    app.add_middleware(ConsoleHeaders)


class ConsoleHeaders:
    """The console's security headers on its pages (not on the API's answers, nor the assets').
    A plain ASGI middleware: Starlette's `BaseHTTPMiddleware` cost every request, API ones too, a
    task and a stream per request on the event loop."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not is_console_path(path) or path.startswith("/assets/"):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


async def _call(handler: Any, request: Request, exc: Exception) -> Response:
    response: Response = await handler(request, exc)
    return response


def _error_page(request: Request, status: int, message: str) -> Response:
    found = signed_in(request)
    session, reader = found if found else (None, None)
    title = {404: "Page not found", 403: "You cannot do that", 401: "Sign in"}.get(
        status, "Sorry, there is a problem"
    )
    return render(
        request,
        "error.html",
        {"title": title, "message": message, "status": status, "home": home_of(reader) if reader else "/"},
        session=session,
        officer=reader,
        status_code=status,
    )
