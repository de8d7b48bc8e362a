"""What the console's pages share: the `Console` (sessions, templates, settings), the signed-in
officer (or `SignInRequired`), CSRF-checked forms, rendering a page, school names, and the
redirects."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic_core import PydanticCustomError

from rollwatch.app.console.sessions import COOKIE, CSRF_FIELD, Session, SessionStore
from rollwatch.core.access.dependencies import count_request
from rollwatch.core.access.keyring import KeyRing
from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.http_errors import ApiError
from rollwatch.core.settings import Settings
from schemas.text import plain_line, plain_text
from services.alerts.delivery.notification_text import rule_title
from services.alerts.service import AlertService

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


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def service_of(request: Request) -> AlertService:
    service: AlertService = request.app.state.alerts
    return service


def keyring_of(request: Request) -> KeyRing:
    keyring: KeyRing = request.app.state.keyring
    return keyring


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def officer_of(request: Request) -> tuple[Session, KeyRecord]:
    """The signed-in officer, or a trip to the sign-in page (the key revoked since: the same)."""
    console = console_of(request)
    session = console.sessions.get(request.cookies.get(COOKIE))
    record = keyring_of(request).get(session.key_id) if session and session.key_id else None
    if session is None or record is None or not record.active or record.role != "la_officer":
        if session is not None and session.key_id:
            console.sessions.end(session.session_id)
        raise SignInRequired(_here(request) if request.method == "GET" else "/")
    count_request(request, record)
    return session, record


async def checked_form(request: Request, session: Session) -> dict[str, str]:
    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    if not session.csrf_ok(values.get(CSRF_FIELD)):
        raise ApiError(
            403, "csrf", "The form has expired or did not come from this site. Go back and try again."
        )
    return values


def chosen_purpose(form: dict[str, str], choices: dict[str, str]) -> str | None:
    """The purpose a purpose form gives: one of `choices`, or "other" with 3 to 200 characters
    of its own on one line; None when it gives none."""
    choice = form.get("purpose", "")
    other = form.get("purpose_other", "").strip()
    if choice in choices:
        return choices[choice]
    if choice != "other" or not 3 <= len(other) <= 200:
        return None
    try:
        return plain_line(other)
    except PydanticCustomError:
        return None


def plain_form_text(value: str, label: str) -> str:
    """Text typed into a form, refused (422, to show the officer) when it holds a control or
    bidirectional formatting character, as the JSON API refuses it (schemas/text.py)."""
    try:
        return plain_text(value)
    except PydanticCustomError as exc:
        raise ApiError(422, "text_control_character", f"{label} {exc.message()}") from None


def render(
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
        "day": day,
        "iso_day": iso_day,
        "path": request.url.path,
        **context,
    }
    response: HTMLResponse = console_of(request).templates.TemplateResponse(
        request, template, body, status_code=status_code
    )
    return response


def day(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return f"{value.day} {value:%b %Y %H:%M}"
    return f"{value.day} {value:%b %Y}"


def iso_day(text: str | None) -> str:
    """`day` of an ISO date as JSON answers give it ('2026-03-02')."""
    return day(dt.date.fromisoformat(text)) if text else ""


def school_name(service: AlertService, urn: str) -> str:
    school = service.schools.get(urn)
    return school.name if school else f"URN {urn}"


def la_schools(request: Request, service: AlertService, la: str) -> list[tuple[str, str]]:
    """The schools the LA's alerts are about, by name, for the inbox's and the silences' filters:
    kept until the LA's alerts change in number (a school appears only with a new alert)."""
    cache = console_of(request).school_options
    alerts = service.book.in_la(la)
    known = cache.get(la)
    if known is None or known[0] != len(alerts):
        urns = {a.school_urn for a in alerts.values()}
        known = (len(alerts), sorted(((u, school_name(service, u)) for u in urns), key=lambda p: p[1]))
        cache[la] = known
    return known[1]


def back_to(alert_id: str) -> RedirectResponse:
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)


def safe_next(value: str | None) -> str:
    """Only a path on this site (no scheme, no host, no `//`): no open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def sign_in_redirect(exc: SignInRequired) -> RedirectResponse:
    return RedirectResponse(f"/sign-in?next={quote(exc.next_url, safe='')}", status_code=303)
