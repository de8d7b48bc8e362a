"""An alert's page, `GET /alerts/{id}` (after the officer gives their purpose, once a session),
and its case work: acknowledge, assign, notes, enquiries and resolve, each through
`services.alerts.casework` as the JSON API's are, attributed to the officer's key."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from rollwatch.app.console import inbox
from rollwatch.app.console.web import (
    back_to,
    checked_form,
    chosen_purpose,
    keyring_of,
    officer_of,
    plain_form_text,
    render,
    school_name,
    service_of,
)
from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.http_errors import ApiError
from services.alerts import casework
from services.alerts.api import outcomes
from services.alerts.delivery.notification_text import rule_title
from services.alerts.lifecycle import ENQUIRY_KINDS, Alert
from services.alerts.service import AlertService
from services.tracker import reads as tracker_reads

router = APIRouter(include_in_schema=False)

TRANSITION_WORDS = {
    "opened": "Alert raised",
    "evidence_added": "New evidence added",
    "acknowledged": "Acknowledged",
    "assigned": "Assigned",
    "note_added": "Note added",
    "enquiry_recorded": "Enquiry recorded",
    "resolved": "Resolved",
    "auto_resolved": "Closed by a later record",
    "inhibited": "Closed: another alert covers it",
}
EVENT_WORDS = {
    "pupil.enrolled": "Joined the school's roll",
    "pupil.deleted": "Taken off the school's roll",
    "pupil.suspended": "Suspended",
    "pupil.excluded": "Permanently excluded",
    "pupil.ap_referred": "Referred to alternative provision",
    "pupil.ap_review_requested": "Review of alternative provision requested",
    "pupil.ap_ended": "Alternative provision ended",
    "event.retracted": "Record withdrawn by the school",
}
PURPOSES = {
    "casework": "Working this alert (enquiries into the child's education)",
    "safeguarding": "Safeguarding: checking the child is safe and known to services",
    "supervision": "Supervision or quality assurance of a colleague's case",
}
ACTIONS = ("acknowledge", "assign", "notes", "enquiries", "resolve")


def _alert_of(request: Request, officer: KeyRecord, alert_id: str) -> Alert:
    if not (len(alert_id) == 32 and all(c in "0123456789abcdef" for c in alert_id)):
        raise ApiError(404, "not_found", "no alert with this id that this key may read")
    return casework.find(service_of(request), officer, alert_id)


@router.get("/alerts/{alert_id}")
async def alert_page(request: Request, alert_id: str) -> HTMLResponse:
    session, officer = officer_of(request)
    alert = _alert_of(request, officer, alert_id)
    service = service_of(request)
    purpose = session.purposes.get(alert_id)
    if purpose is None:
        return render(
            request,
            "purpose.html",
            {"title": "Why are you opening this alert?", "alert": alert, "purposes": PURPOSES},
            session=session,
            officer=officer,
        )
    clients: ClientPerThread = request.app.state.ledger_clients

    def read() -> dict[str, Any]:
        evidence: list[tracker_reads.LedgerRow] = []
        placement = None
        if alert.upn:
            upns = tracker_reads.linked_upns(clients, alert.upn)
            wanted = set(alert.evidence)
            evidence = [row for row in tracker_reads.pupil_rows(clients, upns) if row.event_id in wanted]
            placement = tracker_reads.placement_of(clients, upns)
            tracker_reads.record_access(clients, officer, "alert_evidence", alert.upn, purpose, len(evidence))
        return {"evidence": evidence, "placement": placement, "history": service.store.history(alert_id)}

    found = await run_in_threadpool(read)
    rules = service.rules_for(alert.la_code)
    today = service.today() or dt.date.today()
    cutoff = inbox.untouched_cutoff(rules.calendar, today, rules.parameters.casework.untouched_school_days)
    enquiries: dict[str, list[dict[str, Any]]] = {kind: [] for kind in ENQUIRY_KINDS}
    for step in found["history"]:
        if step["transition"] == "enquiry_recorded" and step["enquiry_kind"] in enquiries:
            enquiries[step["enquiry_kind"]].append(step | {"on": dt.date.fromisoformat(step["enquiry_on"])})
    year_group = next(
        (row.event.get("pupil", {}).get("year_group") for row in reversed(found["evidence"])), None
    )
    return render(
        request,
        "alert.html",
        {
            "title": f"{rule_title(alert.rule)}: {alert.upn or 'school'}",
            "alert": alert,
            "school_name": school_name(service, alert.school_urn),
            "school_name_of": lambda urn: school_name(service, urn),
            "evidence": found["evidence"],
            "placement": found["placement"],
            "history": found["history"],
            "enquiries": enquiries,
            "enquiry_kinds": ENQUIRY_KINDS,
            "outcomes": outcomes(),
            "colleagues": casework.colleagues(keyring_of(request), officer),
            "me": casework.actor(officer),
            "overdue": inbox.is_overdue(alert, cutoff),
            "open_school_days": max(0, rules.calendar.school_days_between(alert.opened_at.date(), today)),
            "year_group": year_group,
            "transition_words": TRANSITION_WORDS,
            "event_words": EVENT_WORDS,
            "purpose": purpose,
            "today": today,
            "values": {},
        },
        session=session,
        officer=officer,
    )


@router.post("/alerts/{alert_id}/purpose")
async def give_purpose(request: Request, alert_id: str) -> Response:
    session, officer = officer_of(request)
    form = await checked_form(request, session)
    alert = _alert_of(request, officer, alert_id)
    other = form.get("purpose_other", "").strip()
    purpose = chosen_purpose(form, PURPOSES)
    if purpose is None:
        return render(
            request,
            "purpose.html",
            {
                "title": "Why are you opening this alert?",
                "alert": alert,
                "purposes": PURPOSES,
                "error": True,
                "other": other,
            },
            session=session,
            officer=officer,
            status_code=422,
        )
    session.purposes[alert_id] = purpose
    return back_to(alert_id)


async def _act(request: Request, alert_id: str, action: str) -> Response:
    session, officer = officer_of(request)
    form = await checked_form(request, session)
    _alert_of(request, officer, alert_id)
    service = service_of(request)
    try:
        plain_form_text(form.get("note", ""), "The note")
        message = await _take(request, service, officer, alert_id, action, form)
    except ApiError as exc:
        session.flash.append(("error", exc.message))
        return back_to(alert_id)
    session.flash.append(("success", message))
    return back_to(alert_id)


async def _take(
    request: Request,
    service: AlertService,
    officer: KeyRecord,
    alert_id: str,
    action: str,
    form: dict[str, str],
) -> str:
    if action == "acknowledge":
        await casework.acknowledge(service, officer, alert_id, form.get("note") or None)
        return "Alert acknowledged"
    if action == "assign":
        to = form.get("to") or None
        step = await casework.assign(service, keyring_of(request), officer, alert_id, to)
        return f"Alert assigned to {step.assignee_name}"
    if action == "notes":
        note = form.get("note", "").strip()
        if not note or len(note) > 2000:
            raise ApiError(422, "note", "Enter a note of up to 2,000 characters")
        await casework.add_note(service, officer, alert_id, note)
        return "Note added"
    if action == "enquiries":
        kind = form.get("kind", "")
        if kind not in ENQUIRY_KINDS:
            raise ApiError(422, "kind", "Select the enquiry you made")
        try:
            on = dt.date(
                int(form.get("on-year", "")), int(form.get("on-month", "")), int(form.get("on-day", ""))
            )
        except ValueError:
            raise ApiError(422, "on", "Enter the date of the enquiry, for example 27 3 2026") from None
        note = form.get("note", "").strip()
        if len(note) > 2000:
            raise ApiError(422, "note", "The note must be 2,000 characters or fewer")
        await casework.record_enquiry(service, officer, alert_id, kind, on, note or None)
        return f"Enquiry recorded: {ENQUIRY_KINDS[kind]}"
    if action == "resolve":
        outcome = form.get("outcome", "")
        note = form.get("note", "").strip()
        if outcome not in outcomes():
            raise ApiError(422, "outcome", "Select the outcome")
        if not note or len(note) > 2000:
            raise ApiError(422, "note", "Enter a note saying how the alert was resolved")
        await casework.resolve(service, officer, alert_id, outcome, note)
        return f"Alert resolved: {outcomes()[outcome]}"
    raise ApiError(404, "not_found", "no such action")


@router.post("/alerts/{alert_id}/{action}")
async def alert_action(request: Request, alert_id: str, action: str) -> Response:
    if action not in ACTIONS:
        raise ApiError(404, "not_found", "no such action")
    return await _act(request, alert_id, action)
