"""The event contract: pydantic models for every pupil event, the problems they report, and the
code lists they check against.

Other code uses: `parse_event`, `validate_event`, `canonical_bytes` (schemas.parse), `Envelope`
(the base class of every event), `Event` (the union of the event types), `EVENT_TYPES`,
`SCHEMA_VERSION`, `EventInvalid`, `Problem`."""

from schemas.envelope import EVENT_TYPES, SCHEMA_VERSION, Envelope, EventData, EventType
from schemas.events import EVENT_MODELS, Event
from schemas.parse import Validated, canonical_bytes, message_key, parse_event, validate_event
from schemas.problems import EventInvalid, Problem

__all__ = [
    "EVENT_MODELS",
    "EVENT_TYPES",
    "SCHEMA_VERSION",
    "Envelope",
    "Event",
    "EventData",
    "EventInvalid",
    "EventType",
    "Problem",
    "Validated",
    "canonical_bytes",
    "message_key",
    "parse_event",
    "validate_event",
]
