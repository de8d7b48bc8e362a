"""`POST /v1/events`: one event, or `{"events": [...]}`. Answers 202 only for events Kafka has
acknowledged; lists every problem of every rejected event by its index, and warnings about the
accepted ones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from prometheus_client import Counter

from rollwatch.core.access.dependencies import SchoolCaller
from rollwatch.core.access.keys import KeyRecord
from schemas import Envelope, Problem, message_key
from services.ingest.authority import forbidden_pupil, recent_events, refused
from services.ingest.batch import WRITE_RESPONSES, broker_unavailable, check_batch
from services.ingest.dependencies import AppSettings, Publisher, Schools
from services.ingest.id_log import IdLog
from services.ingest.publisher import BrokerUnavailable, EventPublisher
from services.ingest.recent_ids import RecentIds, digest
from services.schools.register import SchoolsRegister

EVENTS = Counter("rollwatch_ingest_events_total", "Events received by the ingest API", ["outcome"])

router = APIRouter(tags=["ingest"])
LedgerLookup = Callable[[list[tuple[str, str]]], dict[str, bytes]]


async def _recent(request: Request) -> RecentIds:
    if not hasattr(request.app.state, "recent_ids"):
        request.app.state.recent_ids = RecentIds()
    recent: RecentIds = request.app.state.recent_ids
    return recent


def _error(status: int, rule: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": rule, "message": message, **extra}, status_code=status)


@dataclass
class Sorted:
    """A request's events, sorted out: what to publish, and what to say about the rest."""

    to_publish: dict[str, tuple[bytes, bytes, bytes]] = field(
        default_factory=dict
    )  # id -> key, value, digest
    accepted: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    foreign: list[int] = field(default_factory=list)
    conflicts: list[int] = field(default_factory=list)
    indexes: dict[str, int] = field(default_factory=dict)  # id -> its index in the request
    # id -> the event, for the pupil events to publish (the authority rules' subject; a roll check
    # is about no pupil)
    events: dict[str, Envelope] = field(default_factory=dict)


def sort_out(items: list[Any], caller: KeyRecord, recent: RecentIds, schools: SchoolsRegister) -> Sorted:
    """Validate every item, check the caller may write it, and fold repeats (pure: no I/O)."""
    batch = check_batch(items, caller.urns, schools=schools)
    out = Sorted(
        rejected=[_report(r.index, r.item, r.problems) for r in batch.rejected], foreign=list(batch.foreign)
    )
    seen: dict[str, bytes] = {}
    for valid in batch.valid:
        event = valid.event
        event_id = str(event.event_id)
        content = digest(valid.canonical)
        earlier = seen.get(event_id)
        if earlier is not None:
            # The same event twice in one request: one message; other content under one id: a conflict.
            if earlier != content:
                out.conflicts.append(valid.index)
            continue
        seen[event_id] = content
        state = recent.check(event_id, content)
        if state == "conflict":
            out.conflicts.append(valid.index)
            continue
        if state == "new":
            out.to_publish[event_id] = (message_key(event).encode(), valid.canonical, content)
            out.indexes[event_id] = valid.index
            if isinstance(event, Envelope):
                out.events[event_id] = event
        out.accepted.append(event_id)
        if valid.warnings:
            out.warnings.append(_report(valid.index, items[valid.index], valid.warnings))
    return out


@router.post(
    "/v1/events",
    status_code=202,
    summary="Publish one event or a batch of up to 1,000",
    responses={
        **WRITE_RESPONSES,
        202: {"description": "Accepted ids (acknowledged by Kafka), per-index rejections and warnings"},
        403: {
            "description": "An event is for a school this key does not write for (`forbidden_urn`), or "
            "says what its school may not about a pupil (`forbidden_pupil`: a retraction of another "
            "school's event, a death or a former_upn link for a pupil never on its roll; each "
            "refused event with its field and rule)"
        },
        409: {"description": "An event id was already accepted with other content"},
        415: {"description": "Body is not application/json"},
        422: {"description": "Nothing in the request is valid"},
    },
)
async def post_events(
    request: Request,
    caller: SchoolCaller,
    publisher: Publisher,
    settings: AppSettings,
    recent: Annotated[RecentIds, Depends(_recent)],
    schools: Schools,
) -> JSONResponse:
    if not request.headers.get("content-type", "").startswith("application/json"):
        return _error(415, "content_type", "send the events as application/json")
    body = await request.body()  # held to max_body_bytes as it streams in (rollwatch/core/body_limit.py)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return _error(422, "json_invalid", f"the body is not valid JSON: {exc}")

    is_batch = isinstance(payload, dict) and "events" in payload and "event_id" not in payload
    items = payload["events"] if is_batch else [payload]
    if not isinstance(items, list) or not items:
        return _error(422, "events_list", "'events' must be a non-empty list of event objects")
    if len(items) > settings.max_batch_events:
        return _error(413, "batch_too_large", f"a batch holds at most {settings.max_batch_events} events")
    result = sort_out(items, caller, recent, schools)
    # (upn, event_id) pairs -> the content the ledger holds: wired by the app where a ledger is at
    # hand (ingest reads no other service itself).
    lookup: LedgerLookup | None = getattr(request.app.state, "ledger_lookup", None)
    if lookup is not None and result.to_publish and not result.foreign:
        pairs = [(key.decode(), event_id) for event_id, (key, _, _) in result.to_publish.items()]
        recorded = await run_in_threadpool(lookup, pairs)
        check_ledger(result, recorded, recent)
    if not (result.foreign or result.conflicts):
        refusal = await check_authority(request, result, items)
        if refusal is not None:
            return refusal
    response = await accept(result, publisher, recent, getattr(request.app.state, "id_log", None))
    if response.status_code == 202:
        recent_events(request).remember(
            result.events[event_id] for event_id in result.to_publish if event_id in result.events
        )
    return response


async def check_authority(request: Request, result: Sorted, items: list[Any]) -> JSONResponse | None:
    """403 for a request holding an event its school may not send about that pupil."""
    ids = sorted(
        (event_id for event_id in result.to_publish if event_id in result.events),
        key=lambda event_id: result.indexes[event_id],
    )
    found = await refused(request, [result.events[event_id] for event_id in ids])
    if not found:
        return None
    EVENTS.labels("forbidden").inc(len(found))
    indexes = {at: result.indexes[ids[at]] for at in found}
    return forbidden_pupil(
        [_report(indexes[at], items[indexes[at]], [problem]) for at, problem in sorted(found.items())]
    )


def check_ledger(result: Sorted, recorded: dict[str, bytes], recent: RecentIds) -> None:
    """The ids this process had not seen, against the ledger (pure): an id it holds with the same
    content is a repeat (not published again), with other content a conflict. The memory of
    recent ids is the fast path; the ledger answers after a restart or for another replica."""
    for event_id, stored in recorded.items():
        if event_id not in result.to_publish:
            continue
        _, _, content = result.to_publish.pop(event_id)
        if digest(stored) == content:
            recent.remember(event_id, content)
        else:
            result.conflicts.append(result.indexes[event_id])
            result.accepted.remove(event_id)
    result.conflicts.sort()


async def accept(
    result: Sorted, publisher: EventPublisher, recent: RecentIds, id_log: IdLog | None = None
) -> JSONResponse:
    """Answer for sorted-out events: refuse the request whole, or publish and report."""
    if result.foreign:
        # A key writes only for its own schools; a request that tries otherwise is refused whole.
        return _refused(
            "forbidden",
            403,
            "forbidden_urn",
            "this key does not write for the school_urn of these events",
            result.foreign,
        )
    if result.conflicts:
        return _refused(
            "conflict",
            409,
            "event_id_conflict",
            "these event ids were already sent with other content",
            result.conflicts,
        )
    EVENTS.labels("rejected").inc(len(result.rejected))
    if not result.accepted:
        return JSONResponse(
            {"error": "invalid", "accepted": [], "rejected": result.rejected}, status_code=422
        )
    try:
        await publisher.publish([(key, value) for key, value, _ in result.to_publish.values()])
        if id_log is not None:  # durable: a changed resend is a 409 after a restart, on any replica
            await id_log.record(
                [(event_id, content) for event_id, (_, _, content) in result.to_publish.items()]
            )
    except BrokerUnavailable:
        EVENTS.labels("unavailable").inc(len(result.to_publish))
        return broker_unavailable()
    for event_id, (_, _, content) in result.to_publish.items():
        recent.remember(event_id, content)
    EVENTS.labels("accepted").inc(len(result.accepted))
    body = {"accepted": result.accepted, "rejected": result.rejected, "warnings": result.warnings}
    return JSONResponse(body, status_code=202)


def _refused(outcome: str, status: int, rule: str, message: str, indexes: list[int]) -> JSONResponse:
    """The whole request refused for the events at `indexes`, counted under `outcome`."""
    EVENTS.labels(outcome).inc(len(indexes))
    return _error(status, rule, message, indexes=indexes)


def _report(index: int, item: Any, problems: list[Problem]) -> dict[str, Any]:
    event_id = item.get("event_id") if isinstance(item, dict) else None
    return {
        "index": index,
        "event_id": event_id if isinstance(event_id, str) else None,
        "problems": [p.as_dict() for p in problems],
    }
