"""The tracker's parse worker changes where a batch is validated, never the result: the same
events, the same canonical bytes, the same refusals with every problem, in the same order, and
the batch in hand still parsed when the worker dies."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import orjson
import pytest

from schemas import EventInvalid
from services.tracker import parse_pool
from services.tracker.parse_pool import POOL_MIN_BATCH, BatchParser, Parsed, parse_values
from tests.support.events import deletion, enrolment, upn_for


def _batch(count: int) -> list[bytes | None]:
    """Valid events with, every 7th message, one refused for a reason of its own."""
    values: list[bytes | None] = []
    for i in range(count):
        upn = upn_for(801, 2000, 20, i % 900)
        event = enrolment(upn) if i % 2 else deletion(upn)
        match i % 7:
            case 1:
                event["upn"] = "X" + upn[1:]  # the check letter
            case 3:
                event["occurred_on"] = "03/09/2026"
                event["school_urn"] = "12"  # two problems in one event
            case 5:
                values.append(b"{not json")
                continue
            case 6:
                values.append(None)  # a tombstone
                continue
        values.append(orjson.dumps(event))
    return values


def _comparable(parsed: list[Parsed]) -> list[object]:
    return [
        (type(item).__name__, getattr(item, "problems", str(item))) if isinstance(item, Exception) else item
        for item in parsed
    ]


@pytest.fixture
def parser() -> Iterator[BatchParser]:
    batch_parser = BatchParser(processes=1)
    yield batch_parser
    batch_parser.close()


def test_a_large_batch_parsed_by_the_worker_equals_the_batch_parsed_here(parser: BatchParser) -> None:
    values = _batch(POOL_MIN_BATCH + 100)
    here = parse_values(values)
    there = parser.parse(values)
    assert parser._pool is not None  # the worker did it
    assert _comparable(there) == _comparable(here)
    refused = [item for item in there if isinstance(item, EventInvalid)]
    assert {p.rule for item in refused for p in item.problems} >= {"upn_check_letter", "json_invalid"}
    assert any(len(item.problems) == 2 for item in refused)
    assert sum(not isinstance(item, Exception) for item in there) > POOL_MIN_BATCH // 2


def test_a_small_batch_is_parsed_without_the_worker(parser: BatchParser) -> None:
    values = _batch(20)
    assert _comparable(parser.parse(values)) == _comparable(parse_values(values))
    assert parser._pool is None


def test_a_refusal_the_worker_cannot_send_back_arrives_as_its_type_and_text() -> None:
    class Unpicklable(Exception):
        def __reduce__(self) -> object:
            raise TypeError("no")

    portable = parse_pool._portable(Unpicklable("the reason"))
    assert isinstance(portable, RuntimeError)
    assert str(portable) == "Unpicklable: the reason"


def test_when_the_worker_dies_the_batch_is_parsed_here_and_a_new_worker_takes_the_next(
    parser: BatchParser,
) -> None:
    values = _batch(POOL_MIN_BATCH)
    expected = _comparable(parse_values(values))
    assert _comparable(parser.parse(values)) == expected
    assert parser._pool is not None
    for pid in list(parser._pool._processes):
        os.kill(pid, signal.SIGKILL)
    assert _comparable(parser.parse(values)) == expected  # the batch in hand, parsed here
    assert _comparable(parser.parse(values)) == expected  # the next one, by a new worker
    assert parser._pool is not None
