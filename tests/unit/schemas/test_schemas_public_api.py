"""The names other code imports from `schemas` keep working."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

import schemas
from schemas import (
    EVENT_TYPES,
    SCHEMA_VERSION,
    Envelope,
    EventInvalid,
    Problem,
    Validated,
    parse_event,
    validate_event,
)
from schemas.parse import canonical_bytes
from schemas.problems import problems_from


def test_names() -> None:
    assert SCHEMA_VERSION == 1
    assert len(EVENT_TYPES) == 10
    assert set(schemas.__all__) >= {
        "EVENT_TYPES",
        "SCHEMA_VERSION",
        "Envelope",
        "EventInvalid",
        "Problem",
        "parse_event",
        "validate_event",
        "canonical_bytes",
    }


def test_parse_and_validate(example: Callable[[str], dict[str, Any]], now: dt.datetime) -> None:
    raw = example("pupil.enrolled.single")
    event = parse_event(raw, now=now)
    assert isinstance(event, Envelope)
    validated = validate_event(raw, now=now)
    assert isinstance(validated, Validated)
    assert validated.event == event
    assert canonical_bytes(event).startswith(b'{"data":')


def test_problems_keep_their_shape() -> None:
    problem = Problem("data.sessions", "greater_than_equal", "too small")
    assert problem.as_dict() == {
        "field": "data.sessions",
        "rule": "greater_than_equal",
        "message": "too small",
    }
    error = EventInvalid([problem])
    assert error.problems == [problem]
    assert "data.sessions" in str(error)


def test_models_validated_directly_report_the_same_rules(example: Callable[[str], dict[str, Any]]) -> None:
    raw = example("pupil.deleted.other-school")
    raw["data"]["ground"] = "died"
    try:
        schemas.EVENT_MODELS["pupil.deleted"].model_validate(raw)
    except ValidationError as exc:
        assert [(p.field, p.rule) for p in problems_from(exc)] == [
            ("data.destination.kind", "ground_destination_mismatch")
        ]
    else:
        raise AssertionError("expected a ValidationError")
