"""One entry point to turn untrusted input (a dict from the API, bytes from Kafka) into an event.

- `parse_event(raw)`: the strict one. Returns the typed event or raises `EventInvalid` listing
  every problem (field, rule, message).
- `validate_event(raw)`: the same, and also returns warnings (plausible-but-odd facts).
- `canonical_bytes(event)`: the bytes the ledger stores and hashes.
- `message_key(event)`: its Kafka key (the UPN; a school event's URN).

`now` (an aware datetime) replaces the clock for the "not in the future" rule: tests and replays
pass it; otherwise the real time is used."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from pydantic import ValidationError

from schemas.envelope import EVENT_TYPES, Envelope
from schemas.events import EVENT_MODELS, Event, SchoolRollChecked
from schemas.plausibility import warnings_for
from schemas.problems import EventInvalid, Problem, problems_from

_TYPES_LISTED = ", ".join(EVENT_TYPES)


@dataclass(frozen=True)
class Validated:
    """A valid event and the warnings about it."""

    event: Event
    warnings: list[Problem] = field(default_factory=list)


def parse_event(raw: Any, *, now: dt.datetime | None = None) -> Event:
    """Validate `raw` (a mapping, or JSON bytes/str) as an event; raise EventInvalid listing
    every problem."""
    if isinstance(raw, bytes | bytearray | memoryview | str):
        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise EventInvalid([Problem("(event)", "json_invalid", f"not valid JSON: {exc}")]) from None
    if not isinstance(raw, dict):
        raise EventInvalid([Problem("(event)", "object_type", "an event must be a JSON object")])
    kind = raw.get("type")
    model = EVENT_MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        if kind is None:
            problem = Problem("type", "missing", f"every event needs a type: one of {_TYPES_LISTED}")
        else:
            problem = Problem("type", "event_type_unknown", f"unknown event type; use one of {_TYPES_LISTED}")
        raise EventInvalid([problem])
    try:
        event = cast("Event", model.model_validate(raw, context=None if now is None else {"now": now}))
    except ValidationError as exc:
        raise EventInvalid(problems_from(exc)) from None
    return event


def validate_event(raw: Any, *, now: dt.datetime | None = None) -> Validated:
    """Like parse_event, and also report warnings (e.g. a year group unusual for the age)."""
    event = parse_event(raw, now=now)
    return Validated(event, [] if isinstance(event, SchoolRollChecked) else warnings_for(event))


def message_key(event: Envelope | SchoolRollChecked) -> str:
    """The Kafka key of an event on `pupil-events`: the pupil's UPN, so each pupil's events keep
    their order; for a school event the school's URN (6 digits, which no UPN is)."""
    return event.school_urn if isinstance(event, SchoolRollChecked) else event.upn


def canonical_bytes(event: Envelope | SchoolRollChecked) -> bytes:
    """The bytes the ledger stores and hashes: compact JSON, keys sorted, nulls dropped."""
    return orjson.dumps(event.model_dump(mode="json", exclude_none=True), option=orjson.OPT_SORT_KEYS)
