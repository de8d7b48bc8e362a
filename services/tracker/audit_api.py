"""The ledger's read side, scoped by role: auditors read everything; an LA officer reads their
LA's schools and the pupils who passed through them; a school reads the events it sent. Every
read of a pupil's record (and every report) is written to the access log before it is answered.

- `GET /v1/pupils/{upn}/history`: auditor any pupil; LA officer the whole timeline of a pupil
  on roll (by a non-retracted enrolment, deletion or exclusion) at one of the LA's schools;
  school the events it sent (404 when nothing is left).
- `GET /v1/schools/{urn}/movements`: auditor any school; LA officer the LA's schools; school its
  own URNs (403 otherwise).
- `GET /v1/las/{la}/summary`: auditor any LA; LA officer its own LA; school never (403).
- `GET /v1/access-log`, `GET /v1/ledger/verify`: auditors only.

LA officers and auditors state a purpose (`?purpose=`) on every read; it goes into the access log.
School names come from the schools register."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from kafka.errors import KafkaError
from pydantic import AfterValidator

from rollwatch.core.access.dependencies import ReaderCaller, require_role
from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.access.rate_limits import RATE_LIMITED
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.csv_safe import csv_text
from rollwatch.core.http_errors import ApiError
from rollwatch.core.http_params import LedgerDate, LedgerDateTime, reporting_period
from rollwatch.core.json_answers import json_answer
from rollwatch.core.settings import Settings
from schemas.text import plain_line
from services.schools.register import SchoolsRegister
from services.tracker import ledger_reads
from services.tracker.access_log import (
    flush_access_log,
    read_access_log,
    record_access,
    start_access_record,
)
from services.tracker.checkpoint_topic import read_published
from services.tracker.exit_classification import ExitRules, exit_rules_for
from services.tracker.la_summary import la_summary
from services.tracker.pupil_history import (
    movement_json,
    other_school,
    read_history,
    school_name,
    stated_purpose,
)
from services.tracker.verification import Report
from services.tracker.verification_log import verify_and_record

log = logging.getLogger(__name__)
router = APIRouter(tags=["ledger"], responses=RATE_LIMITED)

UPN_PATTERN = r"^[A-Z][0-9]{11}[0-9A-Z]$"
Purpose = Annotated[
    str | None,
    Query(
        min_length=3,
        max_length=200,
        description="why you are reading (kept in the access log; required for LA officers and auditors)",
    ),
    AfterValidator(plain_line),
]
AuditorCaller = Annotated[KeyRecord, Depends(require_role("auditor"))]


async def _clients(request: Request) -> ClientPerThread:
    clients: ClientPerThread = request.app.state.ledger_clients
    return clients


Ledger = Annotated[ClientPerThread, Depends(_clients)]


def _register(request: Request) -> SchoolsRegister:
    schools: SchoolsRegister | None = getattr(request.app.state, "schools", None)
    return schools if schools is not None else SchoolsRegister()


def _la_of(request: Request, urn: str) -> str | None:
    return _register(request).la_of(urn)


def _exit_rules(request: Request, la_code: str) -> ExitRules:
    """The LA's exit rules: its overrides from the alert rules' folder, as the alerts read them."""
    settings = getattr(request.app.state, "settings", None)
    return exit_rules_for(la_code, (settings.alerts_config_dir / "rules",) if settings is not None else ())


def _period(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    return reporting_period(start, end, dt.date.today())


def _stated_purpose(caller: KeyRecord, purpose: str | None) -> str:
    stated = stated_purpose(caller, purpose)
    if stated is None:
        raise ApiError(400, "purpose_required", "state the purpose of this read: ?purpose=...")
    return stated


@router.get(
    "/v1/pupils/{upn}/history",
    summary="Every recorded move of one pupil, oldest first",
    response_model=dict[str, Any],
)
async def pupil_history(
    request: Request,
    caller: ReaderCaller,
    clients: Ledger,
    upn: Annotated[str, Path(pattern=UPN_PATTERN, description="13-character UPN (or a former one)")],
    purpose: Purpose = None,
) -> Response:
    stated = _stated_purpose(caller, purpose)
    history = await run_in_threadpool(read_history, clients, _register(request), caller, upn, stated)
    log.info(
        "pupil history read",
        extra={"key_id": caller.key_id, "rows": len(history["events"]) if history else 0},
    )
    if history is None:
        raise ApiError(404, "not_found", "no events for this UPN that this key may read")
    return json_answer(history)


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
        LedgerDate | None, Query(alias="from", description="first day (default: a year ago)")
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
    first, last = _period(start, end)
    register = _register(request)
    items = await run_in_threadpool(
        read_school_movements, clients, register, caller, urn, (first, last), type, stated
    )
    if format == "csv":
        return Response(movements_csv(items), media_type="text/csv")
    return json_answer(
        {
            "school_urn": urn,
            "school_name": school_name(register, urn),
            "from": first.isoformat(),
            "to": last.isoformat(),
            "events": items,
        }
    )


def read_school_movements(
    clients: ClientPerThread,
    register: SchoolsRegister,
    caller: KeyRecord,
    urn: str,
    period: tuple[dt.date, dt.date],
    types: list[str] | None,
    purpose: str,
    *,
    parse_events: bool = False,
) -> list[dict[str, Any]]:
    """Blocking: a school's events in the period as the API shows them (school names, the other
    school of a move, retractions marked), written to the access log first. The caller's right to
    read the school is checked before. Each event is passed through as its JSON text
    (`orjson.Fragment`, which `json_answer` writes as it is) unless `parse_events` asks for it
    as a dict (a page that reads its fields)."""
    rows = ledger_reads.school_rows(clients, urn, *period, types)
    logged = start_access_record(clients, caller, "school_movements", urn, purpose, len(rows))
    retractions = {row[9]: row[0] for row in rows if row[9]}
    name = school_name(register, urn)
    others: dict[tuple[str, str], dict[str, Any] | None] = {}
    movements = []
    for event_id, type_, upn, school, occurred, recorded, ingested, seq, event, _, direction, laestab in rows:
        other_at = (direction, laestab)
        if other_at not in others:
            others[other_at] = other_school(register, direction, laestab)
        movements.append(
            movement_json(
                event_id,
                type_,
                upn,
                school,
                occurred,
                recorded,
                ingested,
                seq,
                orjson.loads(event) if parse_events else orjson.Fragment(event),
                name,
                others[other_at],
                retractions.get(event_id),
            )
        )
    logged.wait()  # stored before this was built; raises if it could not be
    return movements


_CSV_COLUMNS = [
    "event_id",
    "type",
    "upn",
    "school_urn",
    "school_name",
    "occurred_on",
    "recorded_at",
    "retracted",
    "other_school_direction",
    "other_school_laestab",
    "other_school_urn",
    "other_school_name",
]


def movements_csv(items: list[dict[str, Any]]) -> str:
    """Movements as the API's CSV: one row per event, the other school's columns flattened,
    formula-like cells neutralised."""
    rows = (
        {**item, **{f"other_school_{key}": value for key, value in (item.get("other_school") or {}).items()}}
        for item in items
    )
    return csv_text(_CSV_COLUMNS, rows)


@router.get(
    "/v1/las/{la}/summary",
    summary="Statistics of an LA's schools in a period: events, deletions, exits, unexplained exits",
)
async def la_summary_report(
    request: Request,
    caller: ReaderCaller,
    clients: Ledger,
    la: Annotated[str, Path(pattern=r"^[0-9]{3}$", description="3-digit LA code")],
    start: Annotated[
        LedgerDate | None, Query(alias="from", description="first day (default: a year ago)")
    ] = None,
    end: Annotated[LedgerDate | None, Query(alias="to", description="last day (default: today)")] = None,
    purpose: Purpose = None,
) -> dict[str, Any]:
    """Counts only, for the LA's schools in the schools register; never a finding about a school
    or a pupil (the answer says so)."""
    if caller.role == "school":
        raise ApiError(403, "forbidden_role", "LA summaries are for LA officers and auditors")
    if caller.role == "la_officer" and caller.la_code != la:
        raise ApiError(403, "forbidden_la", "this key may read its own LA's summary only")
    stated = _stated_purpose(caller, purpose)
    first, last = _period(start, end)
    register = _register(request)
    if register.count(la) == 0:
        raise ApiError(404, "unknown_la", f"the schools register has no schools in LA {la}")

    rules = _exit_rules(request, la)

    def read() -> dict[str, Any]:
        report = la_summary(clients, register, la, first, last, rules)
        record_access(clients, caller, "la_summary", la, stated, report["deletions"]["total"])
        return report

    return await run_in_threadpool(read)


@router.get(
    "/v1/ledger/verify",
    summary="Recompute the hash chains, typed columns, derived tables and sealed audit logs",
    description="Every verification is recorded (when, by which key, what it found) in the sealed "
    "`ledger_verifications` log, which the console's ledger integrity page lists.",
)
async def ledger_verify(
    request: Request,
    caller: AuditorCaller,
    clients: Ledger,
    placements: Annotated[
        bool, Query(description="replay every pupil's events to check the placements (the slowest check)")
    ] = True,
    topic: Annotated[
        bool, Query(description="compare the checkpoints with their copy on the ledger-checkpoints topic")
    ] = True,
) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    published = None
    if topic:
        try:
            published = await run_in_threadpool(
                read_published, settings.kafka, settings.topics.ledger_checkpoints
            )
        except KafkaError as exc:
            raise ApiError(
                503,
                "broker_unavailable",
                "cannot read the ledger-checkpoints topic; ?topic=false checks the database alone",
                {"Retry-After": "10"},
            ) from exc

    def run() -> Report:
        flush_access_log(clients)  # the reads this process answered are in what is verified
        report, _ = verify_and_record(
            clients.get(),
            settings.secrets,
            by=caller,
            via="api",
            placements=placements,
            published=published,
        )
        return report

    report = await run_in_threadpool(run)
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
