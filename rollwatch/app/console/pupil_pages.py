"""A pupil's timeline: `GET /pupils` finds a pupil by a UPN (current or former), `GET
/pupils/{upn}` asks the reader's purpose once (as the API's `?purpose=`), then shows every event of
the pupil's linked UPNs newest first, retracted ones marked, where the pupil is now and their
alerts. The read is `services.tracker.pupil_history.start_history`, the API's own: the same scope
(auditors any pupil, an LA officer a pupil ever at one of the LA's schools, a school the events it
sent; 404 otherwise, as for an unknown UPN) and the same access-log entry on every view."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rollwatch.app.console import event_words, purpose
from rollwatch.app.console.web import checked_form, reader_of, render, school_name, service_of
from rollwatch.core.access.keys import ROLES, KeyRecord
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.http_errors import ApiError
from services.alerts import casework
from services.alerts.delivery.notification_text import rule_title
from services.alerts.lifecycle import Alert
from services.schools.register import SchoolsRegister
from services.tracker.audit_api import UPN_PATTERN
from services.tracker.pupil_history import start_history, stated_purpose

router = APIRouter(include_in_schema=False)

_UPN = re.compile(UPN_PATTERN)
PURPOSES = {
    "casework": "Enquiries into the child's education (an alert, a referral, a child missing education)",
    "safeguarding": "Safeguarding: checking the child is safe and known to services",
    "audit": "Audit or quality assurance of the records",
    "request": "Answering a subject access request, a complaint or an appeal",
}


def _session_key(upn: str) -> str:
    return f"pupil:{upn}"


def _purpose_form(upn: str) -> purpose.PurposeForm:
    return purpose.PurposeForm(
        action=f"/pupils/{upn}/purpose",
        caption=f"Pupil {upn}",
        question="Why are you opening this pupil's timeline?",
        hint="The timeline shows a child's records. Your reason is written to the access log with your "
        "name each time you open it, and asked once for this pupil while you stay signed in.",
        submit="Open the timeline",
        purposes=PURPOSES,
    )


def _known_upn(upn: str) -> str:
    if not _UPN.match(upn):
        raise ApiError(404, "not_found", "There is no pupil with this UPN whose records you may read.")
    return upn


@router.get("/pupils")
async def find_pupil(request: Request, upn: str | None = None) -> Response:
    session, reader = reader_of(request, *ROLES)
    if upn is None:
        return render(
            request, "pupil_search.html", {"title": "Find a pupil"}, session=session, officer=reader
        )
    wanted = re.sub(r"\s+", "", upn).upper()
    if not _UPN.match(wanted):
        return render(
            request,
            "pupil_search.html",
            {"title": "Find a pupil", "upn": upn, "error": True},
            session=session,
            officer=reader,
            status_code=422,
        )
    return RedirectResponse(f"/pupils/{wanted}", status_code=303)


@router.get("/pupils/{upn}")
async def pupil_timeline(request: Request, upn: str) -> HTMLResponse:
    session, reader = reader_of(request, *ROLES)
    _known_upn(upn)
    stated = stated_purpose(reader, session.purposes.get(_session_key(upn)))
    if stated is None:
        return purpose.ask(request, _purpose_form(upn), session, reader)
    clients: ClientPerThread = request.app.state.ledger_clients
    register: SchoolsRegister = request.app.state.schools
    # The read's access-log entry is stored (or failed) when start_history returns: `wait` raises
    # if it could not be, before anything is shown.
    history, logged = await run_in_threadpool(start_history, clients, register, reader, upn, stated)
    logged.wait()
    if history is None:
        raise ApiError(404, "not_found", "There is no pupil with this UPN whose records you may read.")
    service = service_of(request)
    alerts = _alerts(service.book.of_pupil(history["linked_upns"]), reader)
    page = render(
        request,
        "timeline.html",
        {
            "title": f"Pupil {upn}",
            "upn": upn,
            **_identity(history),
            "events": _events(history["events"]),
            "placement": history["placement"],
            "alerts": alerts,
            "school_name_of": lambda urn: school_name(service, urn),
            "rule_title": rule_title,
            "purpose": stated,
            "today": service.today() or dt.date.today(),
        },
        session=session,
        officer=reader,
    )
    return page


@router.post("/pupils/{upn}/purpose")
async def give_purpose(request: Request, upn: str) -> Response:
    session, reader = reader_of(request, *ROLES)
    form = await checked_form(request, session)
    _known_upn(upn)
    stated = purpose.chosen(form, PURPOSES)
    if stated is None:
        return purpose.ask(request, _purpose_form(upn), session, reader, answered=form)
    session.purposes[_session_key(upn)] = stated
    return RedirectResponse(f"/pupils/{upn}", status_code=303)


def _identity(history: dict[str, Any]) -> dict[str, Any]:
    """The pupil's UPNs: the ones a later UPN replaced (`former_upn` on its events), and the
    current ones (no later UPN replaced them)."""
    replaced = {
        str(row["event"]["former_upn"]) for row in history["events"] if row["event"].get("former_upn")
    }
    linked: list[str] = history["linked_upns"]
    return {
        "linked_upns": linked,
        "replaced_upns": replaced,
        "current_upns": [u for u in linked if u not in replaced],
    }


def _events(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Newest first, each with its title and details in words, and, for a retracted event, the
    retraction that withdrew it."""
    by_id = {row["event_id"]: row for row in rows}
    shown = []
    for row in reversed(rows):
        retraction = by_id.get(row["retracted_by"]) if row["retracted_by"] else None
        withdrawn = by_id.get(str(row["event"].get("data", {}).get("retracts", "")))
        if withdrawn is not None:
            withdrawn = {**withdrawn, "title": event_words.title(withdrawn["type"])}
        shown.append(
            {
                **row,
                "title": event_words.title(row["type"]),
                "details": event_words.details(row["event"], row["other_school"]),
                "retraction": retraction,
                "withdraws": withdrawn if row["type"] == "event.retracted" else None,
            }
        )
    return shown


def _alerts(alerts: list[Alert], reader: KeyRecord) -> list[Alert] | None:
    """The pupil's alerts the reader may see, newest first: an auditor all, an officer their LA's;
    a school none (alerts are for LA officers: None, the section is left out)."""
    if reader.role == "school":
        return None
    return sorted((a for a in alerts if casework.visible(reader, a)), key=lambda a: a.opened_at, reverse=True)
