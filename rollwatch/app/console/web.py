"""What the console's pages share: the `Console` (sessions, templates, settings), the signed-in
reader and their role's menu (or `SignInRequired`), CSRF-checked forms, rendering a page, school
names, and the redirects."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic_core import PydanticCustomError

from rollwatch.app.console import event_words
from rollwatch.app.console.sessions import COOKIE, CSRF_FIELD, Session, SessionStore
from rollwatch.app.console.verify_jobs import VerifyJobs
from rollwatch.core.access.dependencies import count_request
from rollwatch.core.access.keyring import KeyRing
from rollwatch.core.access.keys import KeyRecord, Role
from rollwatch.core.http_errors import ApiError
from rollwatch.core.settings import Settings
from schemas.text import plain_text
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
ROLE_WORDS: dict[Role, str] = {"la_officer": "LA officers", "auditor": "auditors", "school": "schools"}
# Each role's menu, in order: officers work alerts and read their LA's figures; auditors read and
# check the records. `{la}` is the officer's LA.
NAV: dict[Role, list[tuple[str, str]]] = {
    "la_officer": [
        ("/", "Inbox"),
        ("/?assignee=me", "My alerts"),
        ("/silences", "Silences"),
        ("/las/{la}", "Dashboard"),
        ("/pupils", "Pupils"),
    ],
    "auditor": [("/pupils", "Pupils"), ("/ledger", "Ledger integrity"), ("/access-log", "Access log")],
    "school": [("/pupils", "Pupils")],
}


class SignInRequired(Exception):
    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class Console:
    """What the pages share: sessions, templates, settings, and the ledger verification jobs."""

    def __init__(self, settings: Settings, templates: Any) -> None:
        self.settings = settings
        self.sessions = SessionStore(settings.console_idle_minutes * 60)
        self.templates = templates
        self.school_options: dict[str, tuple[int, list[tuple[str, str]]]] = {}
        self.verify_jobs = VerifyJobs(settings)

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


def signed_in(request: Request) -> tuple[Session, KeyRecord] | None:
    """The session and its active key, or None (no session, idle too long, or the key revoked)."""
    console = console_of(request)
    session = console.sessions.get(request.cookies.get(COOKIE))
    record = keyring_of(request).get(session.key_id) if session and session.key_id else None
    if session is None or record is None or not record.active:
        if session is not None and session.key_id:
            console.sessions.end(session.session_id)
        return None
    return session, record


def reader_of(request: Request, *roles: Role) -> tuple[Session, KeyRecord]:
    """The signed-in reader, or a trip to the sign-in page; 403 for a key of another role. Each
    page counts against the key's rate limit, as an API request does."""
    found = signed_in(request)
    if found is None:
        raise SignInRequired(_here(request) if request.method == "GET" else "/")
    count_request(request, found[1])
    if found[1].role not in roles:
        raise ApiError(
            403, "forbidden_role", f"This page is for {' and '.join(ROLE_WORDS[r] for r in roles)}."
        )
    return found


def officer_of(request: Request) -> tuple[Session, KeyRecord]:
    return reader_of(request, "la_officer")


def home_of(record: KeyRecord) -> str:
    """Where a key's holder starts: officers at their inbox, everyone else at the pupil search."""
    return "/" if record.role == "la_officer" else "/pupils"


def navigation(request: Request, record: KeyRecord) -> list[tuple[str, str, bool]]:
    """The role's menu: (link, label, whether it is the page shown)."""
    path = request.url.path
    mine = request.query_params.get("assignee") == "me"
    menu = []
    for template, label in NAV[record.role]:
        href = template.format(la=record.la_code)
        target, _, query = href.partition("?")
        if target == "/":
            current = path == "/" and mine == ("assignee=me" in query)
        elif target.startswith("/las/"):  # the dashboard and the schools' pages it leads to
            current = path.startswith(("/las/", "/schools/"))
        else:
            current = path == target or path.startswith(target + "/")
        menu.append((href, label, current))
    return menu


async def checked_form(request: Request, session: Session) -> dict[str, str]:
    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    if not session.csrf_ok(values.get(CSRF_FIELD)):
        raise ApiError(
            403, "csrf", "The form has expired or did not come from this site. Go back and try again."
        )
    return values


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
        "nav": navigation(request, officer) if officer else [],
        "csrf_token": session.csrf if session else "",
        "csrf_field": CSRF_FIELD,
        "flash": flash,
        "rule_title": rule_title,
        "status_words": STATUS_WORDS,
        "status_tags": STATUS_TAGS,
        "severity_tags": SEVERITY_TAGS,
        "day": day,
        "iso_day": event_words.day,  # an ISO date, as JSON answers give it
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
