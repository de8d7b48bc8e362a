"""`POST /v1/ctf`: a Common Transfer File in, one event per pupil out to Kafka.

The body is the CTF itself (`application/xml` or `text/xml`). The query says what the file is to
the caller: `direction=sent` (the key's school sent it: deletions there) or `received` (the key's
school imported it: enrolments there), and `school_urn` (a school the key writes for). A deletion
may also take `ground` and `destination`, and any pupil without a date in its school history takes
`occurred_on` (see services/ingest/ctf/plan.py and mapping.py for the rules).

Answers 202 with a per-pupil report once Kafka acknowledged every created event; 422 with the same
report when no pupil could become an event, or with `problems` when the file or the options cannot
be used at all; 503 when the broker did not acknowledge (nothing was accepted: send the same file
again, the ids are the same)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from prometheus_client import Counter

from rollwatch.core.access.dependencies import SchoolCaller
from rollwatch.core.http_errors import ApiError
from schemas import Envelope
from schemas.identifiers import URN_PATTERN
from services.ingest.authority import forbidden_pupil, recent_events, refused
from services.ingest.batch import WRITE_RESPONSES, broker_unavailable, publish_batch
from services.ingest.ctf.plan import Direction, ImportOptions, PlanRefused
from services.ingest.ctf.reader import CtfFile, CtfUnreadable, read_ctf
from services.ingest.ctf.service import import_ctf
from services.ingest.dependencies import AppSettings, Publisher
from services.ingest.publisher import BrokerUnavailable
from services.schools.unknown import unregistered_school

log = logging.getLogger(__name__)

PUPILS = Counter("rollwatch_ctf_pupils_total", "Pupils read from CTFs", ["outcome"])
XML_TYPES = ("application/xml", "text/xml")
_CODE = r"^[a-z0-9_]{1,40}$"

router = APIRouter(tags=["ingest"])


@router.post(
    "/v1/ctf",
    status_code=202,
    summary="Import a Common Transfer File (CTF XML) as one event per pupil",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in XML_TYPES},
        }
    },
    responses={
        **WRITE_RESPONSES,
        202: {"description": "Per pupil: the event created (id, type) or why it was skipped"},
        403: {
            "description": "school_urn is not one this key writes for (`forbidden_urn`), or a pupil's "
            "event says what the school may not (`forbidden_pupil`, e.g. a death for a pupil never "
            "on its roll; per pupil, with the field and rule)"
        },
        415: {"description": "Body is not application/xml or text/xml"},
        422: {"description": "Not a usable CTF (malformed, DTD, header) or options; or no valid pupil"},
    },
)
async def post_ctf(
    request: Request,
    caller: SchoolCaller,
    publisher: Publisher,
    settings: AppSettings,
    direction: Annotated[
        Direction,
        Query(description="sent: the school sent this CTF (deletions); received: it imported it"),
    ],
    school_urn: Annotated[str, Query(pattern=URN_PATTERN, description="The school, one this key writes for")],
    ground: Annotated[
        str | None,
        Query(pattern=_CODE, description="Deletion ground code; required for a CTF to XXXXXXX"),
    ] = None,
    destination: Annotated[
        str | None,
        Query(pattern=_CODE, description="Destination kind; MMMMMMM defaults to independent"),
    ] = None,
    occurred_on: Annotated[
        dt.date | None,
        Query(description="For pupils whose SchoolHistory gives no leaving / entry date here"),
    ] = None,
) -> JSONResponse:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type not in XML_TYPES:
        raise ApiError(415, "content_type", "send the CTF as application/xml or text/xml")
    if school_urn not in caller.urns:
        raise ApiError(403, "forbidden_urn", "this key does not write for this school_urn")
    unknown = unregistered_school(school_urn, request.app.state.schools)
    if unknown is not None:
        raise ApiError(422, unknown.rule, unknown.message)
    body = await request.body()  # held to max_body_bytes as it streams in (rollwatch/core/body_limit.py)
    ctf = await run_in_threadpool(_read, body, settings.max_batch_events)
    options = ImportOptions(direction, school_urn, ground, destination, occurred_on)
    try:
        # Mapping and validating up to max_batch_events pupils is CPU work: off the event loop.
        result = await run_in_threadpool(import_ctf, ctf, options, caller.urns)
    except PlanRefused as exc:
        raise _invalid(exc.problem.rule, exc.problem.message, [exc.problem.as_dict()]) from None

    report = result.report()
    PUPILS.labels("skipped").inc(len(result.skipped))
    if not result.batch.messages:
        return JSONResponse({"error": "invalid", **report}, status_code=422)
    # A CTF yields pupil events only (the authority rules' subject), so indexes stay the created ones.
    events = [valid.event for valid in result.batch.valid if isinstance(valid.event, Envelope)]
    found = await refused(request, events)
    if found:
        PUPILS.labels("forbidden").inc(len(found))
        return forbidden_pupil(
            [{**result.created[at], "problems": [problem.as_dict()]} for at, problem in sorted(found.items())]
        )
    try:
        await publish_batch(publisher, result.batch)
    except BrokerUnavailable:
        PUPILS.labels("unavailable").inc(len(result.created))
        return broker_unavailable()
    PUPILS.labels("created").inc(len(result.created))
    recent_events(request).remember(events)
    log.info(
        "ctf imported",
        extra={
            "direction": direction,
            "pupils_created": len(result.created),
            "pupils_skipped": len(result.skipped),
        },
    )
    return JSONResponse(report, status_code=202)


def _read(body: bytes, max_pupils: int) -> CtfFile:
    try:
        return read_ctf(body, max_pupils=max_pupils)
    except CtfUnreadable as exc:
        if exc.rule == "too_many_pupils":
            raise ApiError(413, exc.rule, exc.message) from None
        raise _invalid(
            exc.rule, exc.message, [{"field": "(file)", "rule": exc.rule, "message": exc.message}]
        ) from None


def _invalid(rule: str, message: str, problems: list[dict[str, Any]]) -> ApiError:
    return ApiError(422, rule, message, problems=problems)
