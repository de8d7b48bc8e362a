"""Silences: `GET /silences` lists the LA's, `POST /silences` adds one, and
`POST /silences/{id}/end` ends one early, each through `services.alerts.casework`."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rollwatch.app.console.web import (
    checked_form,
    console_of,
    la_schools,
    officer_of,
    plain_form_text,
    render,
    school_name,
    service_of,
)
from rollwatch.core.http_errors import ApiError
from services.alerts import casework
from services.alerts.delivery.notification_text import RULE_TITLES

router = APIRouter(include_in_schema=False)


@router.get("/silences")
async def silences_page(request: Request) -> HTMLResponse:
    session, officer = officer_of(request)
    service = service_of(request)
    now = dt.datetime.now(dt.UTC)
    found = casework.silences_of(service, officer.la_code)
    return render(
        request,
        "silences.html",
        {
            "title": "Silences",
            "active": [s for s in found if s.active(now)],
            "over": [s for s in found if not s.active(now)],
            "rules": RULE_TITLES,
            "la_schools": la_schools(request, service, officer.la_code or ""),
            "school_name_of": lambda urn: school_name(service, urn),
            "max_days": console_of(request).settings.silence_max_days,
        },
        session=session,
        officer=officer,
    )


@router.post("/silences")
async def add_silence(request: Request) -> Response:
    session, officer = officer_of(request)
    form = await checked_form(request, session)
    max_days = console_of(request).settings.silence_max_days
    matchers = {name: form[name] for name in ("rule", "school_urn", "severity") if form.get(name)}
    days = form.get("days", "")
    reason = form.get("reason", "").strip()
    try:
        if not days.isdigit() or not 1 <= int(days) <= max_days:
            raise ApiError(422, "days", f"Enter a number of days from 1 to {max_days}")
        if len(reason) < 3 or len(reason) > 500:
            raise ApiError(422, "reason", "Enter the reason for the silence (3 to 500 characters)")
        plain_form_text(reason, "The reason")
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=int(days))
        await casework.add_silence(service_of(request), officer, matchers, reason, expires, max_days)
        session.flash.append(("success", "Silence added"))
    except ApiError as exc:
        message = (
            "Select a rule, a school or a severity to silence" if exc.rule == "matchers" else exc.message
        )
        session.flash.append(("error", message))
    return RedirectResponse("/silences", status_code=303)


@router.post("/silences/{silence_id}/end")
async def end_silence(request: Request, silence_id: str) -> Response:
    session, officer = officer_of(request)
    await checked_form(request, session)
    try:
        await casework.end_silence(service_of(request), officer, silence_id)
        session.flash.append(("success", "Silence ended"))
    except ApiError as exc:
        session.flash.append(("error", exc.message))
    return RedirectResponse("/silences", status_code=303)
