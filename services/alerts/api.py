"""The alerts inbox: LA officers see and act on their own LA's alerts; auditors read every LA's.
Every action is attributed to the key that took it and kept for ever."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import AfterValidator, BaseModel, Field, field_validator

from rollwatch.core.access.dependencies import require_role
from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.access.rate_limits import RATE_LIMITED
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.http_errors import ApiError
from rollwatch.core.http_params import LedgerDate, StatedPurpose
from schemas.text import plain_text
from services.alerts import casework
from services.alerts.lifecycle import ENQUIRY_KINDS, Alert, Silence
from services.alerts.service import AlertService
from services.tracker import reads as tracker_reads

router = APIRouter(tags=["alerts"], responses=RATE_LIMITED)

AlertReader = Annotated[KeyRecord, Depends(require_role("la_officer", "auditor"))]
Officer = Annotated[KeyRecord, Depends(require_role("la_officer"))]
ALERT_ID = Path(pattern=r"^[0-9a-f]{32}$", description="the alert's id")
PROMPT = (
    "An alert is a prompt for enquiry by a person, not a finding: administrative data cannot show intent."
)


@cache
def outcomes() -> dict[str, str]:
    text = resources.files("services.alerts").joinpath("outcomes.json").read_text("utf-8")
    loaded: dict[str, str] = json.loads(text)["outcomes"]
    return loaded


async def _service(request: Request) -> AlertService:
    service: AlertService = request.app.state.alerts
    return service


Service = Annotated[AlertService, Depends(_service)]


def _find(service: AlertService, caller: KeyRecord, alert_id: str) -> Alert:
    return casework.find(service, caller, alert_id)


def _summary(alert: Alert, service: AlertService) -> dict[str, Any]:
    body = alert.as_dict()
    school = service.schools.get(alert.school_urn)
    body["school_name"] = school.name if school else None
    return body


@router.get(
    "/v1/alerts",
    summary="Alerts, newest first, filtered and paged (every read access-logged with its purpose)",
)
async def list_alerts(
    request: Request,
    caller: AlertReader,
    service: Service,
    purpose: StatedPurpose,
    la: Annotated[str | None, Query(pattern=r"^[0-9]{3}$")] = None,
    school: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    rule: str | None = None,
    status: Literal["open", "acknowledged", "resolved", "auto_resolved"] | None = None,
    severity: Literal["low", "medium", "high"] | None = None,
    start: Annotated[LedgerDate | None, Query(alias="from", description="as_of on or after")] = None,
    end: Annotated[LedgerDate | None, Query(alias="to", description="as_of on or before")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    if caller.role == "la_officer" and la not in (None, caller.la_code):
        raise ApiError(403, "forbidden_la", "an LA officer's key reads its own LA's alerts only")
    wanted_la = caller.la_code if caller.role == "la_officer" else la
    matches = [
        alert
        for alert in service.book.alerts.values()
        if (wanted_la is None or alert.la_code == wanted_la)
        and (school is None or alert.school_urn == school)
        and (rule is None or alert.rule == rule)
        and (status is None or alert.status == status)
        and (severity is None or alert.severity == severity)
        and (start is None or alert.as_of >= start)
        and (end is None or alert.as_of <= end)
    ]
    matches.sort(key=lambda a: (a.updated_at, a.alert_id), reverse=True)
    first = (page - 1) * per_page
    listed = matches[first : first + per_page]
    # The list names pupils (UPNs) with the reasons: logged as a read, before it is answered.
    clients: ClientPerThread = request.app.state.ledger_clients
    subject = wanted_la or "all"
    await run_in_threadpool(
        tracker_reads.record_access, clients, caller, "alert_list", subject, purpose, len(listed)
    )
    return {
        "total": len(matches),
        "page": page,
        "per_page": per_page,
        "note": PROMPT,
        "alerts": [_summary(a, service) for a in listed],
    }


@router.get("/v1/alerts/outcomes", summary="The outcomes an officer can close an alert with")
async def list_outcomes(caller: AlertReader) -> dict[str, str]:
    return outcomes()


@router.get("/v1/alerts/{alert_id}", summary="One alert, its evidence events and its whole history")
async def get_alert(
    request: Request,
    caller: AlertReader,
    service: Service,
    alert_id: Annotated[str, ALERT_ID],
    purpose: StatedPurpose,
) -> dict[str, Any]:
    alert = _find(service, caller, alert_id)
    clients: ClientPerThread = request.app.state.ledger_clients

    def read() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        evidence: list[dict[str, Any]] = []
        if alert.upn:
            rows = tracker_reads.pupil_rows(clients, tracker_reads.linked_upns(clients, alert.upn))
            wanted = set(alert.evidence)
            evidence = [row.as_json() for row in rows if row.event_id in wanted]
            tracker_reads.record_access(clients, caller, "alert_evidence", alert.upn, purpose, len(evidence))
        return evidence, service.store.history(alert_id)

    evidence, history = await run_in_threadpool(read)
    return {"alert": _summary(alert, service), "evidence": evidence, "history": history, "note": PROMPT}


# Free text people write: no control or bidirectional formatting characters (schemas/text.py).
NoteText = Annotated[str, Field(max_length=2000), AfterValidator(plain_text)]


class Acknowledgement(BaseModel):
    note: NoteText | None = None


class Resolution(BaseModel):
    outcome: str = Field(description="one of the outcome codes (GET /v1/alerts/outcomes)")
    note: NoteText | None = None

    @field_validator("outcome")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in outcomes():
            raise ValueError(f"unknown outcome; use one of: {', '.join(outcomes())}")
        return value


@router.post("/v1/alerts/{alert_id}/acknowledge", summary="Say the alert is being looked into")
async def acknowledge(
    caller: Officer, service: Service, alert_id: Annotated[str, ALERT_ID], body: Acknowledgement
) -> dict[str, Any]:
    return _summary(await casework.acknowledge(service, caller, alert_id, body.note), service)


@router.post("/v1/alerts/{alert_id}/resolve", summary="Close the alert with an outcome and a note")
async def resolve(
    caller: Officer, service: Service, alert_id: Annotated[str, ALERT_ID], body: Resolution
) -> dict[str, Any]:
    step = await casework.resolve(service, caller, alert_id, body.outcome, body.note)
    return _summary(step, service)


class Assignment(BaseModel):
    to: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{12}$", description="an officer key id of your LA; omit: yourself"
    )


class Note(BaseModel):
    note: Annotated[NoteText, Field(min_length=1)]


class Enquiry(BaseModel):
    kind: Literal[tuple(ENQUIRY_KINDS)] = Field(  # type: ignore[valid-type]
        description="what was done: " + "; ".join(f"{k} ({v})" for k, v in ENQUIRY_KINDS.items())
    )
    on: dt.date = Field(description="the day it was done")
    note: NoteText | None = None


@router.post("/v1/alerts/{alert_id}/assign", summary="Assign the alert to yourself or a colleague")
async def assign(
    request: Request, caller: Officer, service: Service, alert_id: Annotated[str, ALERT_ID], body: Assignment
) -> dict[str, Any]:
    step = await casework.assign(service, request.app.state.keyring, caller, alert_id, body.to)
    return _summary(step, service)


@router.get("/v1/alerts/{alert_id}/assignees", summary="The officers of your LA the alert can go to")
async def assignees(
    request: Request, caller: Officer, service: Service, alert_id: Annotated[str, ALERT_ID]
) -> dict[str, Any]:
    casework.find(service, caller, alert_id)
    officers = casework.colleagues(request.app.state.keyring, caller)
    return {"officers": [{"key_id": o.key_id, "name": o.display_name} for o in officers]}


@router.post("/v1/alerts/{alert_id}/notes", summary="Add a case note (at any status)")
async def add_note(
    caller: Officer, service: Service, alert_id: Annotated[str, ALERT_ID], body: Note
) -> dict[str, Any]:
    return _summary(await casework.add_note(service, caller, alert_id, body.note), service)


@router.post("/v1/alerts/{alert_id}/enquiries", summary="Record an enquiry made (children missing education)")
async def record_enquiry(
    caller: Officer, service: Service, alert_id: Annotated[str, ALERT_ID], body: Enquiry
) -> dict[str, Any]:
    step = await casework.record_enquiry(service, caller, alert_id, body.kind, body.on, body.note)
    return _summary(step, service)


@router.get("/v1/alerts/enquiries/kinds", summary="The enquiries an officer can record")
async def enquiry_kinds(caller: AlertReader) -> dict[str, str]:
    return ENQUIRY_KINDS


class SilenceRequest(BaseModel):
    matchers: dict[str, str] = Field(description="alert fields to match: rule, school_urn, severity, upn")
    reason: Annotated[str, Field(min_length=3, max_length=500), AfterValidator(plain_text)]
    expires_at: dt.datetime

    @field_validator("matchers")
    @classmethod
    def _fields(cls, value: dict[str, str]) -> dict[str, str]:
        allowed = set(casework.SILENCE_MATCHERS)
        if not value or set(value) - allowed:
            raise ValueError(f"give one or more matchers among {sorted(allowed)}")
        return value


def silence_json(silence: Silence, now: dt.datetime | None = None) -> dict[str, Any]:
    body = asdict(silence)
    for key in ("created_at", "expires_at", "ended_at"):
        body[key] = body[key].isoformat() if body[key] is not None else None
    body["active"] = silence.active(now or dt.datetime.now(dt.UTC))
    return body


@router.post("/v1/silences", status_code=201, summary="Mute notifications of matching alerts until expiry")
async def add_silence(
    request: Request, caller: Officer, service: Service, body: SilenceRequest
) -> dict[str, Any]:
    silence = await casework.add_silence(
        service,
        caller,
        body.matchers,
        body.reason,
        body.expires_at,
        request.app.state.settings.silence_max_days,
    )
    return silence_json(silence)


@router.get(
    "/v1/silences", summary="Silences, newest first: an officer's own LA's, or any LA's for an auditor"
)
async def list_silences(
    caller: AlertReader,
    service: Service,
    la: Annotated[str | None, Query(pattern=r"^[0-9]{3}$")] = None,
    active: Annotated[bool | None, Query(description="only those in force (true) or over (false)")] = None,
) -> dict[str, Any]:
    if caller.role == "la_officer" and la not in (None, caller.la_code):
        raise ApiError(403, "forbidden_la", "an LA officer's key reads its own LA's silences only")
    now = dt.datetime.now(dt.UTC)
    found = casework.silences_of(service, caller.la_code if caller.role == "la_officer" else la)
    if active is not None:
        found = [s for s in found if s.active(now) == active]
    return {"silences": [silence_json(s, now) for s in found]}


@router.post("/v1/silences/{silence_id}/end", summary="End a silence before it expires")
async def end_silence(
    caller: Officer, service: Service, silence_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
) -> dict[str, Any]:
    return silence_json(await casework.end_silence(service, caller, silence_id))
