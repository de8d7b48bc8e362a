"""`rebuild` gives back, from an event's canonical bytes, the very event validation made: equal,
with values of the same types (so code reading either sees no difference), and the same bytes."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from schemas import parse_event
from schemas.examples import valid_examples
from schemas.parse import canonical_bytes
from schemas.rebuild import rebuild
from tools.bench.workload import Workload, bench_schools

EXAMPLES = valid_examples()


def _shape(value: Any) -> Any:
    """The value with every nested value's type beside it."""
    if isinstance(value, BaseModel):
        return (type(value), {name: _shape(item) for name, item in value.__dict__.items()})
    if isinstance(value, tuple | list):
        return (type(value), [_shape(item) for item in value])
    return (type(value), value)


def _same(raw: Any) -> None:
    event = parse_event(raw)
    canonical = canonical_bytes(event)
    rebuilt = rebuild(canonical)
    assert rebuilt == event
    assert _shape(rebuilt) == _shape(event)
    assert hash(rebuilt) == hash(event)
    assert canonical_bytes(rebuilt) == canonical


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_contract_example_rebuilds_to_the_event_validated(name: str) -> None:
    _same(EXAMPLES[name])


def test_the_bench_workload_rebuilds_to_the_events_validated() -> None:
    """Thousands of generated events: every type a pupil's year has, optional fields present or not."""
    for _, raw in Workload(bench_schools(50)).events(5_000):
        _same(raw)
