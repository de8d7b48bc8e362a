"""The event contract: pydantic models for every pupil event, the problems they report, and the
code lists they check against."""

from schemas.envelope import EVENT_TYPES, SCHEMA_VERSION, Envelope
from schemas.parse import parse_event
from schemas.problems import EventInvalid, Problem

__all__ = ["EVENT_TYPES", "SCHEMA_VERSION", "Envelope", "EventInvalid", "Problem", "parse_event"]
