"""One entry point to turn untrusted input (a dict from the API, bytes from Kafka) into an event."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from schemas.envelope import Envelope
from schemas.problems import EventInvalid, Problem, problems_from


def parse_event(raw: Any) -> Envelope:
    """Validate `raw` (a mapping, or JSON bytes/str) as an event; raise EventInvalid listing
    every problem."""
    if isinstance(raw, bytes | bytearray | memoryview | str):
        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise EventInvalid([Problem("(event)", "json_invalid", f"not valid JSON: {exc}")]) from None
    if not isinstance(raw, dict):
        raise EventInvalid([Problem("(event)", "object_type", "an event must be a JSON object")])
    try:
        return Envelope.model_validate(raw)
    except ValidationError as exc:
        raise EventInvalid(problems_from(exc)) from None


def canonical_bytes(event: Envelope) -> bytes:
    """The bytes the ledger stores and hashes: compact JSON, keys sorted, nulls dropped."""
    return orjson.dumps(event.model_dump(mode="json", exclude_none=True), option=orjson.OPT_SORT_KEYS)
