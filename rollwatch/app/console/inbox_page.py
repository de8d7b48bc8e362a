"""The inbox, `GET /`: the LA's alerts, filtered, sorted and paged by `inbox`; each page read is
access-logged with the purpose the officer gave at sign-in."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from rollwatch.app.console import inbox
from rollwatch.app.console.web import home_of, keyring_of, la_schools, reader_of, render, service_of
from rollwatch.core.access.keys import ROLES
from rollwatch.core.clickhouse import ClientPerThread
from services.alerts import casework
from services.alerts.delivery.notification_text import RULE_TITLES
from services.tracker import reads as tracker_reads

router = APIRouter(include_in_schema=False)


@router.get("/")
async def inbox_page(request: Request) -> Response:
    session, officer = reader_of(request, *ROLES)
    if officer.role != "la_officer":
        return RedirectResponse(home_of(officer), status_code=303)
    service = service_of(request)
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

    def read() -> dict[str, int]:
        # The page names pupils: logged as a read, with the purpose given at sign-in, first.
        tracker_reads.record_access(clients, officer, "alert_list", la, session.list_purpose, len(page.rows))
        return tracker_reads.latest_year_groups(clients, upns)

    year_groups = await run_in_threadpool(read)
    schools = {row.alert.school_urn: service.schools.get(row.alert.school_urn) for row in page.rows}
    school_names = {urn: school.name if school else f"URN {urn}" for urn, school in schools.items()}
    return render(
        request,
        "inbox.html",
        {
            "title": "My alerts" if query.assignee == "me" else "Alerts",
            "query": query,
            "page": page,
            "year_groups": year_groups,
            "school_names": school_names,
            "la_schools": la_schools(request, service, la),
            "colleagues": casework.colleagues(keyring_of(request), officer),
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
