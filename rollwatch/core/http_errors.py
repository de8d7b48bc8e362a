"""One JSON error shape for every failure the API reports: `{"error": rule, "message": text}`,
plus `problems` (field, rule, message) where input was invalid. Denied requests (401, 403, 404 on
a scoped read, 429) are logged and counted, without personal data: the route's template (never
the path, which may hold a UPN), the rule, and the key id and role when the key was known."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import Counter
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)
DENIED = Counter(
    "rollwatch_http_denied_total",
    "Requests denied: unauthenticated, forbidden, not found, rate limited",
    ["status", "rule"],
)
DENIED_STATUSES = frozenset({401, 403, 404, 429})


class ApiError(Exception):
    def __init__(
        self, status: int, rule: str, message: str, headers: dict[str, str] | None = None, **extra: Any
    ):
        super().__init__(message)
        self.status = status
        self.rule = rule
        self.message = message
        self.headers = headers
        self.extra = extra

    def response(self) -> JSONResponse:
        body = {"error": self.rule, "message": self.message, **self.extra}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def log_denied(request: Request, status: int, rule: str) -> None:
    """A denied request, in the log and the counter: who (key id, role) was refused what (the
    route's template and method) and why (the rule); nothing that names a pupil."""
    if status not in DENIED_STATUSES:
        return
    DENIED.labels(str(status), rule).inc()
    route = request.scope.get("route")
    caller = getattr(request.state, "caller", None)
    log.info(
        "request denied",
        extra={
            "status": status,
            "rule": rule,
            "method": request.method,
            "route": getattr(route, "path", "(no route)"),
            "key_id": getattr(caller, "key_id", None),
            "role": getattr(caller, "role", None),
        },
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        log_denied(request, exc.status, exc.rule)
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]), "rule": e["type"], "message": e["msg"]}
            for e in exc.errors()
        ]
        return JSONResponse(
            {"error": "invalid_request", "message": "the request is not valid", "problems": problems},
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        rule = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(
            {"error": rule, "message": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
        )
