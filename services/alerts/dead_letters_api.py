"""Deliveries given up on, listed and sent again: `GET /v1/alerts/dead-letters` and
`POST /v1/alerts/dead-letters/{delivery_id}/redeliver`, for auditors (every LA) and LA officers
(their own LA's). A redelivery goes on the route the letter was kept for (its route in the routes
file as it is now), through the pending store like any notification, so a crash cannot lose it.
The answers name deliveries, routes and alert ids, never a pupil."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool

from rollwatch.core.access.dependencies import require_role
from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.access.rate_limits import RATE_LIMITED
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.http_errors import ApiError
from services.alerts.delivery import Dispatcher
from services.alerts.outbox import StoredLetter, dead_letters, newest_letter

router = APIRouter(tags=["alerts"], responses=RATE_LIMITED)

Reader = Annotated[KeyRecord, Depends(require_role("la_officer", "auditor"))]
DELIVERY_ID = Path(pattern=r"^[A-Za-z0-9._:-]{1,200}$", description="the delivery id of the dead letter")


def _clients(request: Request) -> ClientPerThread:
    clients: ClientPerThread = request.app.state.ledger_clients
    return clients


def _scope(caller: KeyRecord, la: str | None) -> str | None:
    if caller.role == "la_officer":
        if la not in (None, caller.la_code):
            raise ApiError(403, "forbidden_la", "an LA officer's key reads its own LA's dead letters only")
        return caller.la_code
    return la


@router.get("/v1/alerts/dead-letters", summary="Notifications given up on, newest first, with their state")
async def list_dead_letters(
    request: Request, caller: Reader, la: Annotated[str | None, Query(pattern=r"^[0-9]{3}$")] = None
) -> dict[str, Any]:
    found = await run_in_threadpool(dead_letters, _clients(request), _scope(caller, la))
    return {"dead_letters": [letter.as_dict() for letter in found]}


@router.post(
    "/v1/alerts/dead-letters/{delivery_id}/redeliver",
    status_code=202,
    summary="Send a dead letter again on its route (queued now; the state says when it is delivered)",
)
async def redeliver(
    request: Request, caller: Reader, delivery_id: Annotated[str, DELIVERY_ID]
) -> dict[str, Any]:
    stored: StoredLetter | None = await run_in_threadpool(newest_letter, _clients(request), delivery_id)
    if stored is None or _scope(caller, None) not in (None, stored.letter.la_code):
        raise ApiError(404, "not_found", "no dead letter with this delivery id")
    dispatcher: Dispatcher = request.app.state.dispatcher
    try:
        await dispatcher.redeliver(stored.letter)
    except LookupError as exc:
        raise ApiError(409, "route_gone", str(exc)) from None
    return {**stored.as_dict(), "state": "redelivering"}
