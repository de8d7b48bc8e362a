"""The one path every event takes into Kafka from the HTTP side: validate each item with the event
contract, keep the key to its own schools, drop repeated ids, then publish and wait for the
broker's acknowledgement. `POST /v1/events` and `POST /v1/ctf` both go through here, so an event
built from a CTF is checked and sent exactly like one posted as JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import JSONResponse

from rollwatch.core.access.rate_limits import RATE_LIMITED
from schemas import Event, EventInvalid, Problem, canonical_bytes, message_key, validate_event
from services.ingest.publisher import EventPublisher
from services.schools.register import SchoolsRegister
from services.schools.unknown import unregistered_school


@dataclass(frozen=True)
class Rejection:
    index: int
    item: Any
    problems: list[Problem]


@dataclass(frozen=True)
class Valid:
    index: int
    event: Event
    warnings: list[Problem]
    canonical: bytes


@dataclass
class CheckedBatch:
    # event_id -> (key, value), first occurrence wins: a repeated id is the sender retrying.
    messages: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)
    valid: list[Valid] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    # Indexes of valid events for a school the caller does not write for.
    foreign: list[int] = field(default_factory=list)


def check_batch(
    items: Sequence[Any],
    urns: Collection[str],
    *,
    schools: SchoolsRegister | None = None,
    now: dt.datetime | None = None,
) -> CheckedBatch:
    """Validate every item (and, given the register, refuse unknown schools); nothing is
    published here."""
    batch = CheckedBatch()
    writes_for = frozenset(urns)  # a connector's key may hold thousands of schools
    for index, item in enumerate(items):
        try:
            checked = validate_event(item, now=now)
        except EventInvalid as exc:
            batch.rejected.append(Rejection(index, item, exc.problems))
            continue
        event = checked.event
        unknown = unregistered_school(event.school_urn, schools) if schools is not None else None
        if unknown is not None:
            batch.rejected.append(Rejection(index, item, [unknown]))
            continue
        if event.school_urn not in writes_for:
            batch.foreign.append(index)
            continue
        canonical = canonical_bytes(event)
        batch.valid.append(Valid(index, event, checked.warnings, canonical))
        batch.messages.setdefault(str(event.event_id), (message_key(event).encode(), canonical))
    return batch


async def publish_batch(publisher: EventPublisher, batch: CheckedBatch) -> None:
    """Publish the batch's messages and wait for the broker; raises BrokerUnavailable."""
    await publisher.publish(list(batch.messages.values()))


def broker_unavailable() -> JSONResponse:
    return JSONResponse(
        {"error": "broker_unavailable", "message": "Kafka did not acknowledge; nothing was accepted, retry"},
        status_code=503,
        headers={"Retry-After": "5"},
    )


# What every write endpoint can answer besides its own success and input errors.
WRITE_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"description": "No API key, or an unknown or revoked one"},
    403: {"description": "An event is for a school this key does not write for"},
    413: {"description": "Body too large (refused while it streams in) or too many events"},
    **RATE_LIMITED,
    503: {"description": "Kafka did not acknowledge; retry after the given seconds"},
}
