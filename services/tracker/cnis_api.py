"""`GET /v1/las/{la}/children-not-in-school`: the LA's CSV export for its children-not-in-school
register (services/tracker/children_not_in_school.py). Auditor any LA; LA officer its own LA;
school never (403). The purpose is required and the export is written to the access log first,
like every other read of pupils' records (services/tracker/audit_api.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from rollwatch.core.access.dependencies import ReaderCaller
from rollwatch.core.http_errors import ApiError
from rollwatch.core.http_params import LedgerDate
from services.tracker.access_log import record_access
from services.tracker.audit_api import Ledger, Purpose, _register, _stated_purpose
from services.tracker.children_not_in_school import as_csv, children_not_in_school

router = APIRouter(tags=["ledger"])


@router.get(
    "/v1/las/{la}/children-not-in-school",
    summary="CSV for the LA's children-not-in-school register: pupils on roll taught elsewhere part-time",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def children_not_in_school_export(
    request: Request,
    caller: ReaderCaller,
    clients: Ledger,
    la: Annotated[str, Path(pattern=r"^[0-9]{3}$")],
    on: LedgerDate | None = None,
    purpose: Purpose = None,
) -> Response:
    """Pupils on roll at the LA's schools, of compulsory school age on `on` (default today), with
    an open AP placement or a part-time timetable in force: the shape s436B(5)(b) of the Education
    Act 1996 will need. UPN, date of birth and year group only: the LA joins names and addresses
    from its own systems. Every cell is neutralised against spreadsheet formulas."""
    if caller.role == "school" or (caller.role == "la_officer" and caller.la_code != la):
        raise ApiError(403, "forbidden_la", "this key may export its own LA's pupils only")
    stated = _stated_purpose(caller, purpose)
    register = _register(request)
    day = on or dt.date.today()

    def read() -> list[dict[str, Any]]:
        rows = children_not_in_school(clients, register, la, day)
        record_access(clients, caller, "children_not_in_school", la, stated, len(rows))
        return rows

    rows = await run_in_threadpool(read)
    filename = f"children-not-in-school-{la}-{day.isoformat()}.csv"
    return Response(
        as_csv(rows),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
