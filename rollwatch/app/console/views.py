"""The console's pages: sign in with an officer's key, the inbox, an alert's page and its actions,
and silences. Server-rendered (Jinja2, GOV.UK and MOJ Design System markup); every page works
without JavaScript. Actions go through `services.alerts.casework`, as the JSON API's do, so a
step taken here is the same step, attributed to the officer's key id and name."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rollwatch.app.console import inbox
from rollwatch.app.console.sessions import COOKIE, CSRF_FIELD, Session, SessionStore
from rollwatch.core.access.keyring import KeyRing
from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.http_errors import ApiError
from rollwatch.core.settings import Settings
from services.alerts import casework
from services.alerts.api import outcomes
from services.alerts.delivery.notification_text import RULE_TITLES, rule_title
from services.alerts.lifecycle import ENQUIRY_KINDS, Alert
from services.alerts.service import AlertService
from services.tracker import reads as tracker_reads

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

STATUS_WORDS = {
    "open": "Open",
    "acknowledged": "Acknowledged",
    "resolved": "Resolved",
    "auto_resolved": "Closed by a later record",
}
STATUS_TAGS = {
    "open": "govuk-tag--blue",
    "acknowledged": "govuk-tag--yellow",
    "resolved": "govuk-tag--green",
    "auto_resolved": "govuk-tag--grey",
}
SEVERITY_TAGS = {"high": "govuk-tag--red", "medium": "govuk-tag--orange", "low": "govuk-tag--grey"}
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
    "pupil.ap_ended": "Alternative provision ended",
    "event.retracted": "Record withdrawn by the school",
}
PURPOSES = {
    "casework": "Working this alert (enquiries into the child's education)",
    "safeguarding": "Safeguarding: checking the child is safe and known to services",
    "supervision": "Supervision or quality assurance of a colleague's case",
}


class SignInRequired(Exception):
    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class Console:
    """What the pages share: sessions, templates and settings."""

    def __init__(self, settings: Settings, templates: Any) -> None:
        self.settings = settings
        self.sessions = SessionStore(settings.console_idle_minutes * 60)
        self.templates = templates
        self.school_options: dict[str, tuple[int, list[tuple[str, str]]]] = {}

    def set_cookie(self, response: Response, session: Session) -> None:
        response.set_cookie(
            COOKIE,
            session.session_id,
            httponly=True,
            samesite="lax",
            secure=self.settings.environment == "production",
            path="/",
        )


def _console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def _service(request: Request) -> AlertService:
    service: AlertService = request.app.state.alerts
    return service


def _keyring(request: Request) -> KeyRing:
    keyring: KeyRing = request.app.state.keyring
    return keyring


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _officer(request: Request) -> tuple[Session, KeyRecord]:
    """The signed-in officer, or a trip to the sign-in page (the key revoked since: the same)."""
    console = _console(request)
    session = console.sessions.get(request.cookies.get(COOKIE))
    record = _keyring(request).get(session.key_id) if session and session.key_id else None
    if session is None or record is None or not record.active or record.role != "la_officer":
        if session is not None and session.key_id:
            console.sessions.end(session.session_id)
        raise SignInRequired(_here(request) if request.method == "GET" else "/")
    return session, record


async def _checked_form(request: Request, session: Session) -> dict[str, str]:
    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    if not session.csrf_ok(values.get(CSRF_FIELD)):
        raise ApiError(
            403, "csrf", "The form has expired or did not come from this site. Go back and try again."
        )
    return values


def _render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    session: Session | None = None,
    officer: KeyRecord | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    flash = list(session.flash) if session else []
    if session:
        session.flash.clear()
    body = {
        "request": request,
        "officer": officer,
        "csrf_token": session.csrf if session else "",
        "csrf_field": CSRF_FIELD,
        "flash": flash,
        "rule_title": rule_title,
        "status_words": STATUS_WORDS,
        "status_tags": STATUS_TAGS,
        "severity_tags": SEVERITY_TAGS,
        "day": _day,
        "path": request.url.path,
        **context,
    }
    response: HTMLResponse = _console(request).templates.TemplateResponse(
        request, template, body, status_code=status_code
    )
    return response


def _day(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return f"{value.day} {value:%b %Y %H:%M}"
    return f"{value.day} {value:%b %Y}"


def _back_to(alert_id: str) -> RedirectResponse:
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)


def _safe_next(value: str | None) -> str:
    """Only a path on this site (no scheme, no host, no `//`): no open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


# -- sign in and out --------------------------------------------------------------------------
@router.get("/sign-in")
async def sign_in_page(request: Request) -> HTMLResponse:
    console = _console(request)
    session = console.sessions.get(request.cookies.get(COOKIE)) or console.sessions.new()
    response = _render(
        request, "sign_in.html", {"next": _safe_next(request.query_params.get("next"))}, session=session
    )
    console.set_cookie(response, session)
    return response


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    console = _console(request)
    session = console.sessions.get(request.cookies.get(COOKIE))
    if session is None:
        session = console.sessions.new()
        response = _render(request, "sign_in.html", {"next": "/", "error": "expired"}, session=session,
                           status_code=403)  # fmt: skip
        console.set_cookie(response, session)
        return response
    form = await _checked_form(request, session)
    next_url = _safe_next(form.get("next"))
    token = form.get("api_key", "").strip()
    record = _keyring(request).authenticate(token) if token else None
    error = None
    if not token:
        error = "empty"
    elif record is None:
        error = "unknown"
    elif record.role != "la_officer":
        error = "role"
    if error or record is None:
        log.info("console sign-in refused", extra={"reason": error})
        return _render(request, "sign_in.html", {"next": next_url, "error": error}, session=session,
                       status_code=403 if error == "role" else 401)  # fmt: skip
    console.sessions.end(session.session_id)
    signed_in = console.sessions.new(record.key_id)
    log.info("console sign-in", extra={"key_id": record.key_id, "la_code": record.la_code})
    redirect = RedirectResponse(next_url, status_code=303)
    console.set_cookie(redirect, signed_in)
    return redirect


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    console = _console(request)
    session = console.sessions.get(request.cookies.get(COOKIE))
    if session is not None:
        await _checked_form(request, session)
        console.sessions.end(session.session_id)
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# -- the inbox --------------------------------------------------------------------------------
@router.get("/")
async def inbox_page(request: Request) -> HTMLResponse:
    session, officer = _officer(request)
    service = _service(request)
    la = officer.la_code or ""
    rules = service.rules_for(la)
    query = inbox.InboxQuery.from_params(
        {key: request.query_params.getlist(key) for key in request.query_params}, RULE_TITLES
    )
    today = service.today() or dt.date.today()
    me = casework.actor(officer)
    page = inbox.run(
        service.book.in_la(la).values(),
        query,
        me=me,
        today=today,
        calendar=rules.calendar,
        untouched_school_days=rules.parameters.casework.untouched_school_days,
    )
    upns = sorted({row.alert.upn for row in page.rows if row.alert.upn})
    clients: ClientPerThread = request.app.state.ledger_clients
    year_groups = await run_in_threadpool(tracker_reads.latest_year_groups, clients, upns) if upns else {}
    schools = {row.alert.school_urn: service.schools.get(row.alert.school_urn) for row in page.rows}
    school_names = {urn: school.name if school else f"URN {urn}" for urn, school in schools.items()}
    la_schools = _la_schools(request, service, la)
    return _render(
        request,
        "inbox.html",
        {
            "title": "My alerts" if query.assignee == "me" else "Alerts",
            "query": query,
            "page": page,
            "year_groups": year_groups,
            "school_names": school_names,
            "la_schools": la_schools,
            "colleagues": casework.colleagues(_keyring(request), officer),
            "rules": RULE_TITLES,
            "statuses": inbox.STATUSES,
            "severities": inbox.SEVERITIES,
            "me": me,
            "link": lambda **changes: "/?" + urlencode(query.params(**changes)),
            "untouched_days": rules.parameters.casework.untouched_school_days,
            "today": today,
        },
        session=session,
        officer=officer,
    )


def _la_schools(request: Request, service: AlertService, la: str) -> list[tuple[str, str]]:
    """The schools the LA's alerts are about, by name, for the filter: kept until the LA's
    alerts change in number (a school appears only with a new alert)."""
    cache = _console(request).school_options
    alerts = service.book.in_la(la)
    known = cache.get(la)
    if known is None or known[0] != len(alerts):
        urns = {a.school_urn for a in alerts.values()}
        known = (len(alerts), sorted(((u, _school_name(service, u)) for u in urns), key=lambda p: p[1]))
        cache[la] = known
    return known[1]


def _school_name(service: AlertService, urn: str) -> str:
    school = service.schools.get(urn)
    return school.name if school else f"URN {urn}"


# -- an alert ---------------------------------------------------------------------------------
def _alert_of(request: Request, officer: KeyRecord, alert_id: str) -> Alert:
    if not (len(alert_id) == 32 and all(c in "0123456789abcdef" for c in alert_id)):
        raise ApiError(404, "not_found", "no alert with this id that this key may read")
    return casework.find(_service(request), officer, alert_id)


@router.get("/alerts/{alert_id}")
async def alert_page(request: Request, alert_id: str) -> HTMLResponse:
    session, officer = _officer(request)
    alert = _alert_of(request, officer, alert_id)
    service = _service(request)
    purpose = session.purposes.get(alert_id)
    if purpose is None:
        return _render(
            request, "purpose.html", {"title": "Why are you opening this alert?", "alert": alert,
                                      "purposes": PURPOSES}, session=session, officer=officer,
        )  # fmt: skip
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
    return _render(
        request,
        "alert.html",
        {
            "title": f"{rule_title(alert.rule)}: {alert.upn or 'school'}",
            "alert": alert,
            "school_name": _school_name(service, alert.school_urn),
            "school_name_of": lambda urn: _school_name(service, urn),
            "evidence": found["evidence"],
            "placement": found["placement"],
            "history": found["history"],
            "enquiries": enquiries,
            "enquiry_kinds": ENQUIRY_KINDS,
            "outcomes": outcomes(),
            "colleagues": casework.colleagues(_keyring(request), officer),
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
    session, officer = _officer(request)
    form = await _checked_form(request, session)
    alert = _alert_of(request, officer, alert_id)
    choice = form.get("purpose", "")
    other = form.get("purpose_other", "").strip()
    purpose = PURPOSES.get(choice) or (other if choice == "other" and 3 <= len(other) <= 200 else None)
    if purpose is None:
        return _render(
            request, "purpose.html", {"title": "Why are you opening this alert?", "alert": alert,
                                      "purposes": PURPOSES, "error": True, "other": other},
            session=session, officer=officer, status_code=422,
        )  # fmt: skip
    session.purposes[alert_id] = purpose
    return _back_to(alert_id)


async def _act(request: Request, alert_id: str, action: str) -> Response:
    session, officer = _officer(request)
    form = await _checked_form(request, session)
    _alert_of(request, officer, alert_id)
    service = _service(request)
    try:
        message = await _take(request, service, officer, alert_id, action, form)
    except ApiError as exc:
        session.flash.append(("error", exc.message))
        return _back_to(alert_id)
    session.flash.append(("success", message))
    return _back_to(alert_id)


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
        step = await casework.assign(service, _keyring(request), officer, alert_id, to)
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
    if action not in ("acknowledge", "assign", "notes", "enquiries", "resolve"):
        raise ApiError(404, "not_found", "no such action")
    return await _act(request, alert_id, action)


# -- silences ---------------------------------------------------------------------------------
@router.get("/silences")
async def silences_page(request: Request) -> HTMLResponse:
    session, officer = _officer(request)
    service = _service(request)
    now = dt.datetime.now(dt.UTC)
    found = casework.silences_of(service, officer.la_code)
    la_schools = _la_schools(request, service, officer.la_code or "")
    return _render(
        request,
        "silences.html",
        {
            "title": "Silences",
            "active": [s for s in found if s.active(now)],
            "over": [s for s in found if not s.active(now)],
            "rules": RULE_TITLES,
            "la_schools": la_schools,
            "school_name_of": lambda urn: _school_name(service, urn),
            "max_days": _console(request).settings.silence_max_days,
        },
        session=session,
        officer=officer,
    )


@router.post("/silences")
async def add_silence(request: Request) -> Response:
    session, officer = _officer(request)
    form = await _checked_form(request, session)
    max_days = _console(request).settings.silence_max_days
    matchers = {name: form[name] for name in ("rule", "school_urn", "severity") if form.get(name)}
    days = form.get("days", "")
    reason = form.get("reason", "").strip()
    try:
        if not days.isdigit() or not 1 <= int(days) <= max_days:
            raise ApiError(422, "days", f"Enter a number of days from 1 to {max_days}")
        if len(reason) < 3 or len(reason) > 500:
            raise ApiError(422, "reason", "Enter the reason for the silence (3 to 500 characters)")
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=int(days))
        await casework.add_silence(_service(request), officer, matchers, reason, expires, max_days)
        session.flash.append(("success", "Silence added"))
    except ApiError as exc:
        message = (
            "Select a rule, a school or a severity to silence" if exc.rule == "matchers" else exc.message
        )
        session.flash.append(("error", message))
    return RedirectResponse("/silences", status_code=303)


@router.post("/silences/{silence_id}/end")
async def end_silence(request: Request, silence_id: str) -> Response:
    session, officer = _officer(request)
    await _checked_form(request, session)
    try:
        await casework.end_silence(_service(request), officer, silence_id)
        session.flash.append(("success", "Silence ended"))
    except ApiError as exc:
        session.flash.append(("error", exc.message))
    return RedirectResponse("/silences", status_code=303)


def sign_in_redirect(exc: SignInRequired) -> RedirectResponse:
    return RedirectResponse(f"/sign-in?next={quote(exc.next_url, safe='')}", status_code=303)
