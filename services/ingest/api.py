"""`POST /v1/events`: one event, or `{"events": [...]}`. Answers 202 only for events Kafka has
acknowledged; lists every problem of every rejected event by its index."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from prometheus_client import Counter

from rollwatch.access.dependencies import SchoolCaller
from rollwatch.settings import Settings
from schemas import Problem
from services.ingest.batch import broker_unavailable, check_batch, publish_batch
from services.ingest.publisher import BrokerUnavailable, EventPublisher

EVENTS = Counter("rollwatch_ingest_events_total", "Events received by the ingest API", ["outcome"])

router = APIRouter(tags=["ingest"])


def _publisher(request: Request) -> EventPublisher:
    publisher: EventPublisher = request.app.state.publisher
    return publisher


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _error(status: int, rule: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": rule, "message": message, **extra}, status_code=status)


@router.post(
    "/v1/events",
    status_code=202,
    summary="Publish one event or a batch of up to 1,000",
    responses={
        202: {"description": "Accepted ids (acknowledged by Kafka) and per-index rejections"},
        401: {"description": "No API key, or an unknown or revoked one"},
        403: {"description": "An event is for a school this key does not write for"},
        413: {"description": "Body too large or too many events"},
        415: {"description": "Body is not application/json"},
        422: {"description": "Nothing in the request is valid"},
        503: {"description": "Kafka did not acknowledge; retry after the given seconds"},
    },
)
async def post_events(
    request: Request,
    caller: SchoolCaller,
    publisher: Annotated[EventPublisher, Depends(_publisher)],
    settings: Annotated[Settings, Depends(_settings)],
) -> JSONResponse:
    if not request.headers.get("content-type", "").startswith("application/json"):
        return _error(415, "content_type", "send the events as application/json")
    body = await request.body()
    if len(body) > settings.max_body_bytes:
        return _error(413, "body_too_large", f"the body is over {settings.max_body_bytes} bytes")
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

    batch = check_batch(items, caller.urns)
    if batch.foreign:
        # A key writes only for its own schools; a request that tries otherwise is refused whole.
        EVENTS.labels("forbidden").inc(len(items))
        return _error(
            403,
            "forbidden_urn",
            "this key does not write for the school_urn of these events",
            indexes=batch.foreign,
        )
    rejected = [_rejection(r.index, r.item, r.problems) for r in batch.rejected]
    EVENTS.labels("rejected").inc(len(rejected))
    if not batch.messages:
        return JSONResponse({"error": "invalid", "accepted": [], "rejected": rejected}, status_code=422)
    try:
        await publish_batch(publisher, batch)
    except BrokerUnavailable:
        EVENTS.labels("unavailable").inc(len(batch.messages))
        return broker_unavailable()
    EVENTS.labels("accepted").inc(len(batch.messages))
    return JSONResponse({"accepted": list(batch.messages), "rejected": rejected}, status_code=202)


def _rejection(index: int, item: Any, problems: list[Problem]) -> dict[str, Any]:
    event_id = item.get("event_id") if isinstance(item, dict) else None
    return {
        "index": index,
        "event_id": event_id if isinstance(event_id, str) else None,
        "problems": [p.as_dict() for p in problems],
    }
