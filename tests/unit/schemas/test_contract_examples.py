"""Compatibility: every checked-in example of schema_version 1 still validates (valid ones with no
warnings and a stable canonical form), and every invalid one still fails with exactly its
expected (field, rule) pairs. An example is never edited to make a change pass: a change that
breaks one breaks the contract."""

from __future__ import annotations

import pytest

from schemas import EVENT_TYPES, EventInvalid, canonical_bytes, parse_event, validate_event
from schemas.examples import invalid_examples, valid_examples

VALID = valid_examples()
INVALID = invalid_examples()


def test_every_type_has_an_example() -> None:
    assert {example["type"] for example in VALID.values()} == set(EVENT_TYPES)


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_example_still_validates(name: str) -> None:
    example = VALID[name]
    assert name.startswith(example["type"] + "."), "examples are named after their type"
    validated = validate_event(example)  # the real clock: examples are dated in the past
    assert validated.warnings == []
    assert validated.event.type == example["type"]


@pytest.mark.parametrize("name", sorted(VALID))
def test_canonical_bytes_parse_back_to_the_same_event(name: str) -> None:
    event = parse_event(VALID[name])
    canonical = canonical_bytes(event)
    again = parse_event(canonical)
    assert again == event
    assert canonical_bytes(again) == canonical


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_example_still_fails_as_expected(name: str) -> None:
    case = INVALID[name]
    assert case.description and case.expected
    with pytest.raises(EventInvalid) as caught:
        parse_event(case.event, now=case.now)
    found = [(p.field, p.rule) for p in caught.value.problems]
    assert len(found) == len(set(found)), "a problem is reported once"
    assert set(found) == case.expected


def test_there_are_invalid_examples_for_every_type() -> None:
    assert {case.event["type"] for case in INVALID.values()} >= set(EVENT_TYPES)
