"""The access log, for auditors: `GET /access-log` lists who read which pupil's or school's records,
when and why, filtered by reader, pupil (under any of their UPNs), school, purpose and days, newest
first; `?format=csv` downloads the same filtered entries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from rollwatch.app.console import access_log_filter
from rollwatch.app.console.web import keyring_of, reader_of, render
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.csv_safe import csv_text
from services.tracker.access_log import read_access_log
from services.tracker.ledger_reads import linked_upns

router = APIRouter(include_in_schema=False)

PAGE_ROWS = 500
CSV_ROWS = 100_000
ACTION_WORDS = {
    "pupil_history": "Pupil's timeline",
    "alert_evidence": "Alert's evidence",
    "school_movements": "School's movements",
    "la_summary": "LA summary",
    "alert_list": "List of alerts",
    "la_dashboard": "LA dashboard",
    "school_statistics": "School's statistics",
}
CSV_COLUMNS = ["read_at", "key_id", "reader", "role", "la_code", "action", "subject", "purpose", "rows"]


@router.get("/access-log")
async def access_log_page(request: Request, format: str = "html") -> Response:
    session, auditor = reader_of(request, "auditor")
    wanted, errors = access_log_filter.parse(request.query_params, dt.date.today())
    clients: ClientPerThread = request.app.state.ledger_clients
    as_csv = format == "csv" and not errors

    def read() -> list[dict[str, Any]]:
        subjects = linked_upns(clients, wanted.pupil) if wanted.pupil else []
        subjects += [wanted.school] if wanted.school else []
        return read_access_log(
            clients, wanted.start, wanted.end, None, CSV_ROWS if as_csv else PAGE_ROWS + 1,
            subjects=subjects, key_id=wanted.reader, purpose=wanted.purpose, newest_first=True,
        )  # fmt: skip

    entries = await run_in_threadpool(read)
    keyring = keyring_of(request)
    for entry in entries:
        record = keyring.get(str(entry["key_id"]))
        entry["reader"] = record.display_name if record else f"key {entry['key_id']}"
    if as_csv:
        name = f"access-log-{wanted.first.isoformat()}-to-{wanted.last.isoformat()}.csv"
        return Response(
            _csv(entries),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return render(
        request,
        "access_log.html",
        {
            "title": "Access log",
            "filter": wanted,
            "values": request.query_params,
            "errors": errors,
            "problems": [(f"filter-{field}", message) for field, message in errors.items()],
            "entries": entries[:PAGE_ROWS],
            "more": len(entries) > PAGE_ROWS,
            "page_rows": PAGE_ROWS,
            "csv_rows": CSV_ROWS,
            "action_words": ACTION_WORDS,
        },
        session=session,
        officer=auditor,
        status_code=422 if errors else 200,
    )


def _csv(entries: list[dict[str, Any]]) -> str:
    """The entries as CSV (rollwatch/core/csv_safe.py neutralises formula-like cells), times in UTC
    (ISO 8601)."""
    return csv_text(CSV_COLUMNS, ({key: _utc(value) for key, value in entry.items()} for entry in entries))


def _utc(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()
    return value
