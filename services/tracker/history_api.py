"""The ledger's read side for one pupil: `GET /v1/pupils/{upn}/history`."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool

from rollwatch.clickhouse import ClientPerThread
from services.tracker.tables import LEDGER

log = logging.getLogger(__name__)
router = APIRouter(tags=["ledger"])

UPN_PATTERN = r"^[A-Z][0-9]{11}[0-9A-Z]$"


def _clients(request: Request) -> ClientPerThread:
    clients: ClientPerThread = request.app.state.ledger_clients
    return clients


def read_history(clients: ClientPerThread, upn: str) -> list[dict[str, Any]]:
    result = clients.get().query(
        "SELECT toString(event_id), type, school_urn, occurred_on, recorded_at, ingested_at, event "
        f"FROM {LEDGER} WHERE upn = {{upn:String}} "
        "ORDER BY occurred_on, recorded_at, kafka_partition, kafka_offset",
        parameters={"upn": upn},
    )
    return [
        {
            "event_id": event_id,
            "type": type_,
            "school_urn": urn,
            "occurred_on": occurred.isoformat(),
            "recorded_at": recorded.isoformat(),
            "ingested_at": ingested.isoformat(),
            "event": orjson.loads(event),
        }
        for event_id, type_, urn, occurred, recorded, ingested, event in result.result_rows
    ]


@router.get("/v1/pupils/{upn}/history", summary="Every recorded move of one pupil, oldest first")
async def pupil_history(
    upn: Annotated[str, Path(pattern=UPN_PATTERN, description="13-character UPN")],
    clients: Annotated[ClientPerThread, Depends(_clients)],
) -> dict[str, Any]:
    events = await run_in_threadpool(read_history, clients, upn)
    # Every read of a pupil's record is logged, without the UPN itself.
    log.info("pupil history read", extra={"rows": len(events)})
    if not events:
        raise HTTPException(
            status_code=404, detail={"error": "not_found", "message": "no events for this UPN"}
        )
    return {"upn": upn, "events": events}
