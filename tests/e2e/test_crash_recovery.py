"""Exactly-once rows from at-least-once delivery, for real: the tracker is killed with SIGKILL in
the middle of a stream, started again, and the ledger ends with exactly one row per distinct
event id produced, none missing, and its hash chains intact."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from kafka import KafkaProducer

from schemas import parse_event
from schemas.parse import canonical_bytes
from tests.support.allinone import RunningProduct, rollwatch_process
from tests.support.brokers import KafkaForTests
from tests.support.events import enrolment, upn_for

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e]

EVENTS = 20_000
REPEATS = 2_000


@pytest.fixture
def tracker(kafka: KafkaForTests, tmp_path: Path) -> Iterator[RunningProduct]:
    with rollwatch_process(
        kafka.bootstrap,
        tmp_path / "tracker",
        ("tracker",),
        tracker_batch_size="500",
        tracker_batch_seconds="0.05",
    ) as running:
        yield running


def _messages(count: int, repeats: int) -> list[tuple[bytes, bytes]]:
    rng = random.Random(11)
    events = []
    for i in range(count):
        raw = enrolment(
            upn_for(802, 5000 + i % 50, 23, i % 997),
            occurred_on=dt.date(2025, 9, 1) + dt.timedelta(days=i % 300),
        )
        event = parse_event(raw)
        events.append((event.upn.encode(), canonical_bytes(event)))
    return events + rng.sample(events, repeats)


def _ledger(tracker: RunningProduct) -> dict[str, object]:
    response = tracker.get("/v1/ledger/verify")
    response.raise_for_status()
    report: dict[str, object] = response.json()
    return report


def test_kill_9_mid_stream_then_restart_gives_exactly_one_row_per_event(
    tracker: RunningProduct, kafka: KafkaForTests
) -> None:
    messages = _messages(EVENTS, REPEATS)
    distinct = len({orjson.loads(value)["event_id"] for _, value in messages})
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all", linger_ms=20)
    topic = f"{tracker.namespace}pupil-events"
    half = len(messages) // 2
    for key, value in messages[:half]:
        producer.send(topic, key=key, value=value)
    producer.flush()

    # Kill the tracker while it is part-way through the first half.
    deadline = time.monotonic() + 60
    while tracker.metric("rollwatch_tracker_rows_written_total") < 2_000 and time.monotonic() < deadline:
        time.sleep(0.05)
    written_before_kill = tracker.metric("rollwatch_tracker_rows_written_total")
    tracker.kill()
    assert 0 < written_before_kill < distinct, "the kill must land mid-stream"

    # The rest arrives while no tracker runs; then it comes back.
    for key, value in messages[half:]:
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()
    tracker.start()

    # Generous: on a loaded 2-core machine the restarted worker waits out the dead member's
    # session and recovers its tables before it consumes again.
    deadline = time.monotonic() + 300
    report = _ledger(tracker)
    while report["rows"] != distinct and time.monotonic() < deadline:
        time.sleep(0.5)
        report = _ledger(tracker)
    time.sleep(2)  # any late duplicate would land now
    report = _ledger(tracker)
    assert report["rows"] == distinct, f"{report} != {distinct} distinct ids\n{tracker.log()[-1500:]}"
    assert report["ok"] is True, report
