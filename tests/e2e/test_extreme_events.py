"""Nothing lost, nothing crashes: extreme-but-valid events of every type (dates at the contract's
bounds, maximal text; tests/support/extreme_events.py) through the real product (HTTP -> Kafka ->
tracker -> pupil-moves -> alert service) are all written and judged without an error; records the
alert service cannot judge go to `pupil-moves.dlq` with their reason and original bytes, are
counted, and the events after them are still judged."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from kafka import KafkaConsumer, KafkaProducer

from tests.support.allinone import RunningProduct, rollwatch_process
from tests.support.brokers import KafkaForTests
from tests.support.events import deletion, enrolment, upn_for
from tests.support.extreme_events import extreme_events

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e]

SCHOOLS = ("100046", "100058")  # open LA 886 schools in tests/fixtures/gias
EXAMPLES = 40


@pytest.fixture
def product(kafka: KafkaForTests, tmp_path: Path) -> Iterator[RunningProduct]:
    with rollwatch_process(kafka.bootstrap, tmp_path / "product", alert_tick_seconds="0.5") as running:
        yield running


def _post(product: RunningProduct, key: str, events: list[dict[str, Any]]) -> None:
    response = httpx.post(
        f"{product.url}/v1/events", json={"events": events}, headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )  # fmt: skip
    assert response.status_code == 202, response.text
    assert response.json()["rejected"] == [], response.text


def _with_authority(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The event, after what the authority rules (schemas/authority.py) need before it: a retraction
    retracts the school's own enrolment of the pupil, and a death is recorded where the pupil is
    on roll."""
    died = event["type"] == "pupil.deleted" and event["data"].get("ground") == "died"
    if event["type"] != "event.retracted" and not died:
        return [event]
    enrolled = enrolment(event["upn"], school_urn=event["school_urn"], occurred_on=dt.date(2025, 9, 3))
    if event["type"] == "event.retracted":
        event["data"]["retracts"] = enrolled["event_id"]
    return [enrolled, event]


def _wait(predicate: Any, product: RunningProduct, what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"{what} within {timeout_s}s; log:\n{product.log()[-3000:]}")


def test_extreme_events_are_all_written_and_judged_and_a_bad_record_is_dead_lettered(
    product: RunningProduct, kafka: KafkaForTests
) -> None:
    started = time.monotonic()
    school_key = product.new_key("school", urns=(SCHOOLS[0], SCHOOLS[1]))
    officer = product.new_key("la_officer", la_code="886")
    now = dt.datetime.now(dt.UTC)
    posted: list[dict[str, Any]] = []

    # Generation only: a failing example is reported as it came (shrinking would resend events).
    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])  # fmt: skip
    @given(st.lists(extreme_events(now, SCHOOLS), min_size=1, max_size=3))
    def post_extremes(events: list[dict[str, Any]]) -> None:
        events = [e for event in events for e in _with_authority(event)]
        _post(product, school_key, events)
        posted.extend(events)

    post_extremes()
    _wait(lambda: product.metric("rollwatch_tracker_rows_written_total") >= len(posted), product,
          f"all {len(posted)} extreme events in the ledger")  # fmt: skip

    # Records no tracker would publish: not JSON, and a record without its event.
    moves = f"{product.namespace}pupil-moves"
    bad = [b"{not json", orjson.dumps({"move": None})]
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    for value in bad:
        producer.send(moves, key=b"H801200001001", value=value).get(timeout=30)
    producer.close()

    # Then an event that raises an alert: judged although the bad records came before it.
    upn = upn_for(886, 2100, 19, 77)
    left = deletion(upn, school_urn=SCHOOLS[0], occurred_on=dt.date(2026, 3, 3), ground="home_education",
                    destination_kind="home_education", sen_provision="E", year_group=6)  # fmt: skip
    _post(product, school_key, [enrolment(upn, school_urn=SCHOOLS[0], occurred_on=dt.date(2025, 9, 3)), left])

    def alert_raised() -> bool:
        response = product.get("/v1/alerts", key=officer, purpose="test")
        response.raise_for_status()
        return any(a["rule"] == "ehe_vulnerable" and left["event_id"] in a["evidence"]
                   for a in response.json()["alerts"])  # fmt: skip

    _wait(alert_raised, product, "the alert of the event after the bad records")

    consumer = KafkaConsumer(
        f"{product.namespace}pupil-moves.dlq", bootstrap_servers=kafka.bootstrap,
        auto_offset_reset="earliest", consumer_timeout_ms=30_000,
    )  # fmt: skip
    try:
        dead = [next(iter(consumer)) for _ in bad]
    finally:
        consumer.close()
    assert [m.value for m in dead] == bad  # the original bytes
    reasons = [orjson.loads(dict(m.headers)["rollwatch.reason"]) for m in dead]
    assert [r[0]["rule"] for r in reasons] == ["processing_failed", "processing_failed"]
    assert reasons[0][0]["message"].startswith("JSONDecodeError")
    assert dict(dead[0].headers)["rollwatch.source.topic"] == moves.encode()
    # Exactly the bad records were dead-lettered: every extreme event was judged.
    assert product.metric("rollwatch_alert_dead_letters_total") == len(bad)
    assert product.metric("rollwatch_tracker_dead_letters_total") == 0
    assert "Crashed" not in product.log()
    assert time.monotonic() - started < 120
