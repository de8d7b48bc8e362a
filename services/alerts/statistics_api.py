"""The statistics pages' figures as JSON, the same numbers the console's LA dashboard and school
page draw (`statistics.py`):

- `GET /v1/las/{la}/dashboard?from=&to=&phase=&purpose=`: auditor any LA; LA officer its own.
- `GET /v1/schools/{urn}/statistics?from=&to=&purpose=`: auditor any school; LA officer the LA's.

Scoped as the LA summary is (403 for another LA's, 404 for an LA or school the register does not
know; school keys cannot read them). A purpose is required and every read is written to the
access log first. Statistics, never findings: each answer says so."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool

from rollwatch.core.access.dependencies import require_role
from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.http_errors import ApiError
from rollwatch.core.http_params import LedgerDate, reporting_period
from services.alerts import statistics
from services.alerts.service import AlertService
from services.schools.model import School
from services.tracker import reads as tracker_reads

router = APIRouter(tags=["statistics"])

Reader = Annotated[KeyRecord, Depends(require_role("la_officer", "auditor"))]
Purpose = Annotated[str, Query(min_length=3, max_length=200, description="why you are reading")]
From = Annotated[LedgerDate | None, Query(alias="from", description="first day (default: a year ago)")]
To = Annotated[LedgerDate | None, Query(alias="to", description="last day (default: today)")]


def today_of(service: AlertService) -> dt.date:
    """The alert service's today (event time or the wall clock, ROLLWATCH_ALERT_CLOCK)."""
    return service.today() or dt.date.today()


def la_dashboard(
    service: AlertService,
    clients: ClientPerThread,
    caller: KeyRecord,
    la: str,
    period: tuple[dt.date | None, dt.date | None],
    phase: str | None,
    purpose: str,
) -> dict[str, Any]:
    """Blocking: the LA dashboard's figures, access-logged. 403 for another LA's officer, 404 for
    an LA the register does not know."""
    if caller.role == "la_officer" and caller.la_code != la:
        raise ApiError(403, "forbidden_la", "this key may read its own LA's dashboard only")
    if service.schools.count(la) == 0:
        raise ApiError(404, "unknown_la", f"the schools register has no schools in LA {la}")
    today = today_of(service)
    figures = statistics.la_dashboard(
        clients,
        service.schools,
        la,
        reporting_period(*period, today),
        phase or None,
        service.rules_for(la).parameters,
        list(service.book.in_la(la).values()),
        today,
    )
    tracker_reads.record_access(clients, caller, "la_dashboard", la, purpose, figures["exits"]["exits"])
    return figures


def school_of(service: AlertService, caller: KeyRecord, urn: str) -> School:
    """The school, if the caller may read its statistics: 403 for another LA's, 404 unknown."""
    school = service.schools.get(urn)
    if school is None:
        raise ApiError(404, "unknown_school", f"no school with URN {urn} in the schools register")
    if caller.role == "la_officer" and school.la_code != caller.la_code:
        raise ApiError(403, "forbidden_school", "this key may read its own LA's schools only")
    return school


def school_statistics(
    service: AlertService,
    clients: ClientPerThread,
    caller: KeyRecord,
    school: School,
    period: tuple[dt.date | None, dt.date | None],
    purpose: str,
) -> dict[str, Any]:
    """Blocking: one school's figures, access-logged."""
    today = today_of(service)
    figures = statistics.school_statistics(
        clients,
        service.schools,
        school,
        reporting_period(*period, today),
        service.rules_for(school.la_code).parameters,
        list(service.book.in_la(school.la_code).values()),
        today,
    )
    tracker_reads.record_access(
        clients, caller, "school_statistics", school.urn, purpose, figures["exits"]["exits"]
    )
    return figures


async def _service(request: Request) -> AlertService:
    service: AlertService = request.app.state.alerts
    return service


async def _clients(request: Request) -> ClientPerThread:
    clients: ClientPerThread = request.app.state.ledger_clients
    return clients


Service = Annotated[AlertService, Depends(_service)]
Clients = Annotated[ClientPerThread, Depends(_clients)]


@router.get(
    "/v1/las/{la}/dashboard",
    summary="An LA's dashboard figures: unexplained exits by school, by month against a year "
    "earlier, Year 10-11, home education by SEN, AP placements, open alerts",
)
async def la_dashboard_report(
    caller: Reader,
    service: Service,
    clients: Clients,
    la: Annotated[str, Path(pattern=r"^[0-9]{3}$", description="3-digit LA code")],
    purpose: Purpose,
    start: From = None,
    end: To = None,
    phase: Annotated[str | None, Query(max_length=60, description="a GIAS phase of education")] = None,
) -> dict[str, Any]:
    """Statistics, never findings about a school or a pupil (the answer says so)."""
    return await run_in_threadpool(la_dashboard, service, clients, caller, la, (start, end), phase, purpose)


@router.get(
    "/v1/schools/{urn}/statistics",
    summary="One school's figures: exits by month, ground, year group and SEN against its roll; "
    "AP placements; its alerts",
)
async def school_statistics_report(
    caller: Reader,
    service: Service,
    clients: Clients,
    urn: Annotated[str, Path(pattern=r"^[0-9]{6}$")],
    purpose: Purpose,
    start: From = None,
    end: To = None,
) -> dict[str, Any]:
    school = school_of(service, caller, urn)
    return await run_in_threadpool(school_statistics, service, clients, caller, school, (start, end), purpose)
