"""The statistics pages: the LA dashboard (`GET /las/{la}`) and a school's page
(`GET /schools/{urn}`), each chart beside the table of its numbers, and every table as CSV. The
figures are the JSON API's (`services.alerts.statistics_api`), read with the officer's key and so
scoped the same way; here another LA's dashboard or school is simply not found (404).

The officer says once per session why they read these pages (the API's `purpose`); every view
is written to the access log with it, and so is the list of a school's movements (pupils' UPNs)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rollwatch.app.console import purpose
from rollwatch.app.console.event_words import EVENT_WORDS
from rollwatch.app.console.sessions import Session
from rollwatch.app.console.statistics_tables import Table, dashboard_tables, school_tables, table_named
from rollwatch.app.console.web import checked_form, officer_of, render, safe_next, service_of
from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.http_errors import ApiError
from rollwatch.core.http_params import reporting_period
from services.alerts import statistics_api
from services.alerts.statistics import GROUND_WORDS, phases
from services.schools.model import School
from services.tracker.audit_api import movements_csv, read_school_movements

router = APIRouter(include_in_schema=False)

PURPOSE_KEY = "statistics"
PURPOSES = {
    "oversight": "Oversight of the LA's schools: exits, off-rolling and alternative provision",
    "casework": "Following up a school or a child's move",
    "reporting": "Preparing a report for the LA",
}
MOVEMENTS_PER_PAGE = 50
_NOT_FOUND = "There is no such page, or it is about another LA's schools."


def _clients(request: Request) -> ClientPerThread:
    clients: ClientPerThread = request.app.state.ledger_clients
    return clients


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _period(request: Request) -> tuple[dt.date | None, dt.date | None]:
    """The period asked for; a day that is not a date is ignored (the default is used)."""
    start, end = _date(request.query_params.get("from")), _date(request.query_params.get("to"))
    return (start, end) if not (start and end and start > end) else (None, None)


def _purpose_form(next_url: str) -> purpose.PurposeForm:
    return purpose.PurposeForm(
        action="/statistics/purpose",
        caption="The LA's schools",
        question="Why are you reading these statistics?",
        hint="The dashboard and the schools' pages count pupils' moves, and a school's page lists its "
        "pupils' records. Your reason is written to the access log with your name, with every page "
        "you read, while you stay signed in.",
        submit="Continue",
        purposes=PURPOSES,
        next=next_url,
    )


def _ask_purpose(request: Request, session: Session, officer: KeyRecord) -> HTMLResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return purpose.ask(request, _purpose_form(here), session, officer)


@router.post("/statistics/purpose")
async def give_purpose(request: Request) -> Response:
    session, officer = officer_of(request)
    form = await checked_form(request, session)
    next_url = safe_next(form.get("next"))
    stated = purpose.chosen(form, PURPOSES)
    if stated is None:
        return purpose.ask(request, _purpose_form(next_url), session, officer, answered=form)
    session.purposes[PURPOSE_KEY] = stated
    return RedirectResponse(next_url, status_code=303)


def _la_of_officer(officer: KeyRecord, la: str) -> None:
    if la != officer.la_code:
        raise ApiError(404, "not_found", _NOT_FOUND)


async def _dashboard(request: Request, officer: KeyRecord, la: str, stated: str) -> dict[str, Any]:
    phase = request.query_params.get("phase") or None
    found: dict[str, Any] = await run_in_threadpool(
        statistics_api.la_dashboard,
        service_of(request),
        _clients(request),
        officer,
        la,
        _period(request),
        phase,
        stated,
    )
    return found


async def _la_reading(request: Request, la: str) -> tuple[Any, KeyRecord, dict[str, Any]] | HTMLResponse:
    """The officer's session and their LA's figures, or the purpose form while none is stated."""
    session, officer = officer_of(request)
    _la_of_officer(officer, la)
    stated = session.purposes.get(PURPOSE_KEY)
    if stated is None:
        return _ask_purpose(request, session, officer)
    return session, officer, await _dashboard(request, officer, la, stated)


@router.get("/las/{la}")
async def dashboard_page(request: Request, la: str) -> HTMLResponse:
    reading = await _la_reading(request, la)
    if isinstance(reading, HTMLResponse):
        return reading
    session, officer, figures = reading
    query = {
        k: v for k, v in (("from", figures["from"]), ("to", figures["to"]), ("phase", figures["phase"])) if v
    }
    return render(
        request,
        "dashboard.html",
        {
            "title": f"Dashboard: {figures['la']['name'] or 'LA ' + la}",
            "figures": figures,
            "tables": dashboard_tables(figures),
            "phases": phases(service_of(request).schools, la),
            "csv_link": lambda key: f"/las/{la}/{key}.csv?" + urlencode(query),
            "purpose": session.purposes[PURPOSE_KEY],
        },
        session=session,
        officer=officer,
    )


def _csv(table: Table | None, name: str) -> Response:
    if table is None:
        raise ApiError(404, "not_found", "no such table")
    headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
    return Response(table.csv(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/las/{la}/{key}.csv")
async def dashboard_csv(request: Request, la: str, key: str) -> Response:
    reading = await _la_reading(request, la)
    if isinstance(reading, HTMLResponse):
        return reading
    _, _, figures = reading
    return _csv(
        table_named(dashboard_tables(figures), key), f"la-{la}-{key}-{figures['from']}-{figures['to']}"
    )


def _school_of(request: Request, officer: KeyRecord, urn: str) -> School:
    try:
        return statistics_api.school_of(service_of(request), officer, urn)
    except ApiError:
        raise ApiError(404, "not_found", _NOT_FOUND) from None


def _school_reading(request: Request, urn: str) -> tuple[Any, KeyRecord, School, tuple[dt.date, dt.date]]:
    """The officer's session, the officer, the school (404 unless of their LA) and the period."""
    session, officer = officer_of(request)
    school = _school_of(request, officer, urn)
    return (
        session,
        officer,
        school,
        reporting_period(*_period(request), statistics_api.today_of(service_of(request))),
    )


@router.get("/schools/{urn}")
async def school_page(request: Request, urn: str) -> HTMLResponse:
    session, officer, school, period = _school_reading(request, urn)
    stated = session.purposes.get(PURPOSE_KEY)
    if stated is None:
        return _ask_purpose(request, session, officer)
    service, clients = service_of(request), _clients(request)

    def read() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        figures = statistics_api.school_statistics(service, clients, officer, school, period, stated)
        moves = read_school_movements(
            clients, service.schools, officer, urn, period, None, stated, parse_events=True
        )
        return figures, moves

    figures, movements = await run_in_threadpool(read)
    page_text = request.query_params.get("page", "1")
    pages = max(1, -(-len(movements) // MOVEMENTS_PER_PAGE))
    page = min(int(page_text), pages) if page_text.isdigit() and int(page_text) > 0 else 1
    query = {"from": figures["from"], "to": figures["to"]}
    shown = movements[(page - 1) * MOVEMENTS_PER_PAGE : page * MOVEMENTS_PER_PAGE]
    return render(
        request,
        "school.html",
        {
            "title": school.name,
            "figures": figures,
            "tables": school_tables(figures),
            "movements": shown,
            "movements_total": len(movements),
            "page": page,
            "pages": pages,
            "page_link": lambda n: f"/schools/{urn}?" + urlencode({**query, "page": n}) + "#movements",
            "csv_link": lambda key: f"/schools/{urn}/{key}.csv?" + urlencode(query),
            "event_words": EVENT_WORDS,
            "ground_words": GROUND_WORDS,
            "in_my_la": lambda other: service.schools.la_of(other) == officer.la_code,
            "purpose": stated,
        },
        session=session,
        officer=officer,
    )


@router.get("/schools/{urn}/{key}.csv")
async def school_csv(request: Request, urn: str, key: str) -> Response:
    session, officer, school, period = _school_reading(request, urn)
    stated = session.purposes.get(PURPOSE_KEY)
    if stated is None:
        return _ask_purpose(request, session, officer)
    service, clients = service_of(request), _clients(request)
    name = f"school-{urn}-{key}-{period[0]}-{period[1]}"
    if key != "movements":
        figures = await run_in_threadpool(
            statistics_api.school_statistics, service, clients, officer, school, period, stated
        )
        return _csv(table_named(school_tables(figures), key), name)
    items = await run_in_threadpool(
        read_school_movements, clients, service.schools, officer, urn, period, None, stated
    )
    headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
    return Response(movements_csv(items), media_type="text/csv; charset=utf-8", headers=headers)
