"""The ledger's integrity, for auditors: `GET /ledger` shows the latest checkpoints and the record
of verifications (when, by whom, what they found); `POST /ledger/verify` starts a verification of
the whole ledger in the background (`verify_jobs`); `GET /ledger/verify/{job}` shows its progress,
refreshing itself while it runs (a meta refresh: no JavaScript needed), and names the first break."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rollwatch.app.console.web import checked_form, console_of, reader_of, render
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.http_errors import ApiError
from services.tracker.checkpoints import checkpoint_signer, recent, signatures, verdict
from services.tracker.verification_log import recent_verifications

router = APIRouter(include_in_schema=False)

REFRESH_SECONDS = 2
VIA_WORDS = {"console": "Console", "api": "API", "command_line": "Command line"}
# A checkpoint's best signature, as `verify` judges it with the console's secrets.
SIGNATURE_WORDS = {
    "current": ("Good", "govuk-tag--green"),
    "previous": ("Good (a previous secret)", "govuk-tag--green"),
    "altered": ("Does not match", "govuk-tag--red"),
    "unknown_secret": ("Unknown secret", "govuk-tag--red"),
    "unsigned": ("Unsigned", "govuk-tag--grey"),
}


def _clients(request: Request) -> ClientPerThread:
    clients: ClientPerThread = request.app.state.ledger_clients
    return clients


@router.get("/ledger")
async def ledger_page(request: Request) -> HTMLResponse:
    session, reader = reader_of(request, "auditor")
    clients = _clients(request)
    signer = checkpoint_signer(console_of(request).settings.secrets)

    def read() -> dict[str, Any]:
        client = clients.get()
        checkpoints = recent(client, 10)
        signed = signatures(client, [c.checkpoint_id for c in checkpoints]) if checkpoints else {}
        return {
            "checkpoints": [
                (c, SIGNATURE_WORDS[verdict(c, signed.get(c.checkpoint_id, []), signer)]) for c in checkpoints
            ],
            "verifications": recent_verifications(client, 20),
        }

    found = await run_in_threadpool(read)
    return render(
        request,
        "ledger.html",
        {
            "title": "Ledger integrity",
            **found,
            "running": console_of(request).verify_jobs.running(),
            "via_words": VIA_WORDS,
        },
        session=session,
        officer=reader,
    )


@router.post("/ledger/verify")
async def verify_now(request: Request) -> Response:
    session, reader = reader_of(request, "auditor")
    form = await checked_form(request, session)
    job = console_of(request).verify_jobs.start(
        _clients(request), reader, placements=form.get("placements") == "yes"
    )
    return RedirectResponse(f"/ledger/verify/{job.job_id}", status_code=303)


@router.get("/ledger/verify/{job_id}")
async def verify_job_page(request: Request, job_id: str) -> HTMLResponse:
    session, reader = reader_of(request, "auditor")
    job = console_of(request).verify_jobs.get(job_id)
    if job is None:
        raise ApiError(
            404,
            "not_found",
            "There is no verification job with this id. Jobs are kept while the console runs; every "
            "verification's outcome is listed on the ledger integrity page.",
        )
    return render(
        request,
        "verify_job.html",
        {
            "title": "Verifying the ledger" if job.running else "Ledger verification",
            "job": job,
            "report": job.report,
            "refresh": REFRESH_SECONDS if job.running else None,
        },
        session=session,
        officer=reader,
    )
