"""FastAPI dependencies: who is calling, and may they.

`async def` although nothing here awaits: FastAPI runs a plain `def` dependency in its thread pool,
a thread hop (and a wait for the GIL) per dependency per request, for an in-memory lookup."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rollwatch.core.access.keyring import KeyRing
from rollwatch.core.access.keys import KeyRecord, Role
from rollwatch.core.access.rate_limits import RateLimits
from rollwatch.core.http_errors import ApiError

_bearer = HTTPBearer(auto_error=False, description="An API key from `rollwatch keys create`")


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> KeyRecord:
    if credentials is None:
        raise ApiError(
            401,
            "unauthenticated",
            "send an API key: Authorization: Bearer <key>",
            {"WWW-Authenticate": "Bearer"},
        )
    keyring: KeyRing = request.app.state.keyring
    record = keyring.authenticate(credentials.credentials)
    if record is None:
        raise ApiError(
            401, "invalid_key", "the API key is unknown or revoked", {"WWW-Authenticate": "Bearer"}
        )
    count_request(request, record)
    return record


def count_request(request: Request, caller: KeyRecord) -> None:
    """The key's rate limits (rollwatch/core/access/rate_limits.py): 429 when over one."""
    request.state.caller = caller  # for the log of denied requests (http_errors.py)
    limits: RateLimits | None = getattr(request.app.state, "rate_limits", None)
    if limits is not None:
        limits.check(caller)


Caller = Annotated[KeyRecord, Depends(authenticate)]


def require_role(*roles: Role) -> Callable[[KeyRecord], Awaitable[KeyRecord]]:
    async def check(caller: Caller) -> KeyRecord:
        if caller.role not in roles:
            raise ApiError(403, "forbidden_role", f"this needs a key of role {' or '.join(roles)}")
        return caller

    return check


SchoolCaller = Annotated[KeyRecord, Depends(require_role("school"))]
ReaderCaller = Annotated[KeyRecord, Depends(require_role("school", "la_officer", "auditor"))]
