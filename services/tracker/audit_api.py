"""The ledger's read side, scoped by role: auditors read everything; an LA officer reads their
LA's schools and the pupils who passed through them; a school reads the events it sent. Every
read of a pupil's record is written to the access log first."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from rollwatch.access.dependencies import ReaderCaller, require_role
from rollwatch.access.keys import KeyRecord
from rollwatch.clickhouse import ClientPerThread
from rollwatch.http_errors import ApiError
from rollwatch.http_params import LedgerDate, LedgerDateTime
from services.tracker import ledger_reads
from services.tracker.access_log import read_access_log, record_access
from services.tracker.ledger_reads import LedgerRow
from services.tracker.verification import verify

log = logging.getLogger(__name__)
router = APIRouter(tags=["ledger"])

UPN_PATTERN = r"^[A-Z][0-9]{11}[0-9A-Z]$"
Purpose = Annotated[
    str | None,
    Query(min_length=3, max_length=200, description="why you are reading (kept in the access log; "
          "required for LA officers and auditors)"),
]  # fmt: skip
AuditorCaller = Annotated[KeyRecord, Depends(require_role("auditor"))]


def _clients(request: Request) -> ClientPerThread:
    clients: ClientPerThread = request.app.state.ledger_clients
    return clients


Ledger = Annotated[ClientPerThread, Depends(_clients)]


def _la_of(request: Request, urn: str) -> str | None:
    schools = getattr(request.app.state, "schools", None)
    return schools.la_of(urn) if schools is not None else None


def _stated_purpose(caller: KeyRecord, purpose: str | None) -> str:
    if caller.role != "school" and not purpose:
        raise ApiError(400, "purpose_required", "state the purpose of this read: ?purpose=...")
    return purpose or "school reading its own records"


def _visible(request: Request, caller: KeyRecord, rows: list[LedgerRow]) -> list[LedgerRow]:
    if caller.role == "auditor":
        return rows
    if caller.role == "school":
        return [row for row in rows if row.school_urn in caller.urns]
    # An LA officer sees the whole timeline of a pupil who passed through one of their schools.
    if any(_la_of(request, row.school_urn) == caller.la_code for row in rows):
        return rows
    return []


def _row_json(row: LedgerRow, retracted_by: str | None) -> dict[str, Any]:
    body = asdict(row)
    body.update(
        occurred_on=row.occurred_on.isoformat(),
        recorded_at=row.recorded_at.isoformat(),
        ingested_at=row.ingested_at.isoformat(),
        retracted=retracted_by is not None,
        retracted_by=retracted_by,
    )
    return body


@router.get("/v1/pupils/{upn}/history", summary="Every recorded move of one pupil, oldest first")
async def pupil_history(
    request: Request,
    caller: ReaderCaller,
    clients: Ledger,
    upn: Annotated[str, Path(pattern=UPN_PATTERN, description="13-character UPN (or a former one)")],
    purpose: Purpose = None,
) -> dict[str, Any]:
    stated = _stated_purpose(caller, purpose)

    def read() -> tuple[list[str], list[LedgerRow]]:
        upns = ledger_reads.linked_upns(clients, upn)
        rows = _visible(request, caller, ledger_reads.pupil_rows(clients, upns))
        record_access(clients, caller, "pupil_history", upn, stated, len(rows))
        return upns, rows

    upns, rows = await run_in_threadpool(read)
    log.info("pupil history read", extra={"key_id": caller.key_id, "rows": len(rows)})
    if not rows:
        raise ApiError(404, "not_found", "no events for this UPN that this key may read")
    retractions = ledger_reads.retracted_ids(rows)
    return {
        "upn": upn,
        "linked_upns": upns,
        "events": [_row_json(row, retractions.get(row.event_id)) for row in rows],
    }


@router.get(
    "/v1/schools/{urn}/movements",
    summary="A school's recorded events in a period, as JSON or CSV",
    responses={200: {"content": {"text/csv": {}}}},
)
async def school_movements(
    request: Request,
    caller: ReaderCaller,
    clients: Ledger,
    urn: Annotated[str, Path(pattern=r"^[0-9]{6}$")],
    start: Annotated[
        dt.date | None, Query(alias="from", description="first day (default: a year ago)")
    ] = None,
    end: Annotated[LedgerDate | None, Query(alias="to", description="last day (default: today)")] = None,
    type: Annotated[list[str] | None, Query(description="event types to include (repeatable)")] = None,
    format: Literal["json", "csv"] = "json",
    purpose: Purpose = None,
) -> Any:
    stated = _stated_purpose(caller, purpose)
    allowed = (
        caller.role == "auditor"
        or (caller.role == "school" and urn in caller.urns)
        or (caller.role == "la_officer" and _la_of(request, urn) == caller.la_code)
    )
    if not allowed:
        raise ApiError(403, "forbidden_school", "this key may not read this school's movements")
    last = end or dt.date.today()
    first = start or last - dt.timedelta(days=365)
    if first > last:
        raise ApiError(422, "date_range", "'from' is after 'to'")

    def read() -> list[LedgerRow]:
        rows = ledger_reads.school_rows(clients, urn, first, last, type)
        record_access(clients, caller, "school_movements", urn, stated, len(rows))
        return rows

    rows = await run_in_threadpool(read)
    retractions = ledger_reads.retracted_ids(rows)
    items = [_row_json(row, retractions.get(row.event_id)) for row in rows]
    if format == "csv":
        return Response(_csv(items), media_type="text/csv")
    return {"school_urn": urn, "from": first.isoformat(), "to": last.isoformat(), "events": items}


def _csv(items: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    columns = ["event_id", "type", "upn", "school_urn", "occurred_on", "recorded_at", "retracted"]
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(items)
    return out.getvalue()


@router.get("/v1/ledger/verify", summary="Recompute every hash chain and check the latest checkpoint")
async def ledger_verify(caller: AuditorCaller, clients: Ledger) -> dict[str, Any]:
    report = await run_in_threadpool(lambda: verify(clients.get()))
    return report.as_dict()


@router.get("/v1/access-log", summary="Who read which pupil's or school's record, when, and why")
async def access_log(
    caller: AuditorCaller,
    clients: Ledger,
    start: Annotated[LedgerDateTime | None, Query(alias="from")] = None,
    end: Annotated[LedgerDateTime | None, Query(alias="to")] = None,
    subject: Annotated[str | None, Query(description="a UPN or URN")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1_000,
) -> dict[str, Any]:
    last = end or dt.datetime.now(dt.UTC)
    first = start or last - dt.timedelta(days=30)
    entries = await run_in_threadpool(read_access_log, clients, first, last, subject, limit)
    return {"entries": entries}
