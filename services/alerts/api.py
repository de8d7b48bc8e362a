"""The alerts inbox: LA officers see and act on their own LA's alerts; auditors read every LA's.
Every action is attributed to the key that took it and kept for ever."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import asdict
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, field_validator

from rollwatch.core.access.dependencies import require_role
from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.http_errors import ApiError
from rollwatch.core.http_params import LedgerDate
from services.alerts.lifecycle import Alert, LifecycleError, Silence
from services.alerts.service import AlertService
from services.tracker import reads as tracker_reads

router = APIRouter(tags=["alerts"])

AlertReader = Annotated[KeyRecord, Depends(require_role("la_officer", "auditor"))]
Officer = Annotated[KeyRecord, Depends(require_role("la_officer"))]
ALERT_ID = Path(pattern=r"^[0-9a-f]{32}$", description="the alert's id (its fingerprint)")
PROMPT = (
    "An alert is a prompt for enquiry by a person, not a finding: administrative data cannot show intent."
)


@cache
def outcomes() -> dict[str, str]:
    text = resources.files("services.alerts").joinpath("outcomes.json").read_text("utf-8")
    loaded: dict[str, str] = json.loads(text)["outcomes"]
    return loaded


def _service(request: Request) -> AlertService:
    service: AlertService = request.app.state.alerts
    return service


Service = Annotated[AlertService, Depends(_service)]


def _visible(caller: KeyRecord, alert: Alert) -> bool:
    return caller.role == "auditor" or alert.la_code == caller.la_code


def _find(service: AlertService, caller: KeyRecord, alert_id: str) -> Alert:
    alert = service.book.alerts.get(alert_id)
    if alert is None or not _visible(caller, alert):
        raise ApiError(404, "not_found", "no alert with this id that this key may read")
    return alert


def _summary(alert: Alert, service: AlertService) -> dict[str, Any]:
    body = alert.as_dict()
    school = service.schools.get(alert.school_urn)
    body["school_name"] = school.name if school else None
    return body


@router.get("/v1/alerts", summary="Alerts, newest first, filtered and paged")
async def list_alerts(
    caller: AlertReader,
    service: Service,
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
    return {
        "total": len(matches),
        "page": page,
        "per_page": per_page,
        "note": PROMPT,
        "alerts": [_summary(a, service) for a in matches[first : first + per_page]],
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
    purpose: Annotated[str, Query(min_length=3, max_length=200, description="why you are reading")],
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


class Acknowledgement(BaseModel):
    note: str | None = Field(default=None, max_length=2000)


class Resolution(BaseModel):
    outcome: str = Field(description="one of the outcome codes (GET /v1/alerts/outcomes)")
    note: str | None = Field(default=None, max_length=2000)

    @field_validator("outcome")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in outcomes():
            raise ValueError(f"unknown outcome; use one of: {', '.join(outcomes())}")
        return value


async def _act(
    service: AlertService, caller: KeyRecord, alert_id: str, step: Callable[[str, dt.datetime], Alert]
) -> dict[str, Any]:
    """An officer's step on a visible alert (`step(actor, at)`): recorded, or 409 if not allowed now."""
    _find(service, caller, alert_id)
    try:
        alert = step(f"key:{caller.key_id}", dt.datetime.now(dt.UTC))
    except LifecycleError as exc:
        raise ApiError(409, exc.rule, str(exc)) from None
    await service.record_steps([alert])
    return _summary(alert, service)


@router.post("/v1/alerts/{alert_id}/acknowledge", summary="Say the alert is being looked into")
async def acknowledge(
    caller: Officer, service: Service, alert_id: Annotated[str, ALERT_ID], body: Acknowledgement
) -> dict[str, Any]:
    return await _act(
        service, caller, alert_id, lambda actor, at: service.book.acknowledge(alert_id, actor, body.note, at)
    )


@router.post("/v1/alerts/{alert_id}/resolve", summary="Close the alert with an outcome and a note")
async def resolve(
    caller: Officer, service: Service, alert_id: Annotated[str, ALERT_ID], body: Resolution
) -> dict[str, Any]:
    return await _act(
        service,
        caller,
        alert_id,
        lambda actor, at: service.book.resolve(alert_id, actor, body.outcome, body.note, at),
    )


class SilenceRequest(BaseModel):
    matchers: dict[str, str] = Field(description="alert fields to match: rule, school_urn, severity, upn")
    reason: str = Field(min_length=3, max_length=500)
    expires_at: dt.datetime

    @field_validator("matchers")
    @classmethod
    def _fields(cls, value: dict[str, str]) -> dict[str, str]:
        allowed = {"rule", "school_urn", "severity", "upn"}
        if not value or set(value) - allowed:
            raise ValueError(f"give one or more matchers among {sorted(allowed)}")
        return value


@router.post("/v1/silences", status_code=201, summary="Mute notifications of matching alerts until expiry")
async def add_silence(caller: Officer, service: Service, body: SilenceRequest) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    if body.expires_at.tzinfo is None or body.expires_at <= now:
        raise ApiError(422, "expires_at", "expires_at must be a future time with a zone")
    # A silence is scoped to the officer's own LA.
    silence = Silence(
        silence_id=uuid.uuid4().hex,
        matchers={**body.matchers, "la_code": caller.la_code or ""},
        author=f"key:{caller.key_id}",
        reason=body.reason,
        created_at=now,
        expires_at=body.expires_at,
    )
    await run_in_threadpool(service.store.add_silence, silence)
    service.book.silences[silence.silence_id] = silence
    return asdict(silence) | {"created_at": now.isoformat(), "expires_at": body.expires_at.isoformat()}
