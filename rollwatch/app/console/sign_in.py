"""Signing in with a key and the purpose of the session, and out: `GET`/`POST /sign-in`,
`POST /sign-out`. Any active key signs in; each page says which roles it serves
(`web.reader_of`)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rollwatch.app.console import purpose as purpose_form
from rollwatch.app.console.sessions import COOKIE
from rollwatch.app.console.web import checked_form, console_of, keyring_of, render, safe_next

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
# Why a reader signs in: the purpose of the lists they read that name pupils (an officer's alert
# lists), kept in the access log with each one. Opening an alert or a pupil's timeline asks again,
# for that child.
PURPOSES = {
    "casework": "Casework: enquiries into children's education (alerts, referrals, children missing "
    "education)",
    "safeguarding": "Safeguarding: checking children are safe and known to services",
    "supervision": "Supervision, audit or quality assurance of cases and records",
}


@router.get("/sign-in")
async def sign_in_page(request: Request) -> HTMLResponse:
    console = console_of(request)
    session = console.sessions.get(request.cookies.get(COOKIE)) or console.sessions.new()
    response = render(
        request,
        "sign_in.html",
        {"next": safe_next(request.query_params.get("next")), "purposes": PURPOSES},
        session=session,
    )
    console.set_cookie(response, session)
    return response


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    console = console_of(request)
    session = console.sessions.get(request.cookies.get(COOKIE))
    if session is None:
        session = console.sessions.new()
        response = render(
            request,
            "sign_in.html",
            {"next": "/", "error": "expired", "purposes": PURPOSES},
            session=session,
            status_code=403,
        )
        console.set_cookie(response, session)
        return response
    form = await checked_form(request, session)
    next_url = safe_next(form.get("next"))
    token = form.get("api_key", "").strip()
    record = keyring_of(request).authenticate(token) if token else None
    purpose = purpose_form.chosen(form, PURPOSES)
    error = None
    if not token:
        error = "empty"
    elif record is None:
        error = "unknown"
    elif purpose is None:
        error = "purpose"
    if error or record is None or purpose is None:
        log.info("console sign-in refused", extra={"reason": error})
        return render(
            request,
            "sign_in.html",
            {"next": next_url, "error": error, "purposes": PURPOSES},
            session=session,
            status_code=422 if error == "purpose" else 401,
        )
    console.sessions.end(session.session_id)
    signed_in = console.sessions.new(record.key_id)
    signed_in.list_purpose = purpose
    extra = {"key_id": record.key_id, "role": record.role, "la_code": record.la_code}
    log.info("console sign-in", extra=extra)
    redirect = RedirectResponse(next_url, status_code=303)
    console.set_cookie(redirect, signed_in)
    return redirect


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    console = console_of(request)
    session = console.sessions.get(request.cookies.get(COOKIE))
    if session is not None:
        await checked_form(request, session)
        console.sessions.end(session.session_id)
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
