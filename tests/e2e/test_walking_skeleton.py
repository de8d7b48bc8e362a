"""An event's whole path on the real broker and the embedded ledger: HTTP -> Kafka -> Faust tracker
-> ClickHouse -> history API, through the all-in-one process a user starts with `rollwatch run`."""

from __future__ import annotations

import datetime as dt
import random
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer

from tests.support.allinone import RunningProduct, rollwatch_process
from tests.support.brokers import KafkaForTests
from tests.support.events import enrolment, upn_for

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e]


@pytest.fixture
def product(kafka: KafkaForTests, tmp_path: Path) -> Any:
    with rollwatch_process(kafka.bootstrap, tmp_path / "product") as running:
        yield running


def _history(product: RunningProduct, upn: str) -> list[dict[str, Any]]:
    response = product.get(f"/v1/pupils/{upn}/history", purpose="end-to-end test")
    if response.status_code == 404:
        return []
    response.raise_for_status()
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def _wait_for_histories(product: RunningProduct, expected: dict[str, int], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    pending = dict(expected)
    while pending and time.monotonic() < deadline:
        for upn in list(pending):
            if len(_history(product, upn)) >= pending[upn]:
                del pending[upn]
        time.sleep(0.2)
    assert not pending, f"{len(pending)} pupils' histories incomplete; log:\n{product.log()[-3000:]}"


def test_a_thousand_events_with_repeats_give_one_row_each_in_order(product: RunningProduct) -> None:
    rng = random.Random(7)
    schools = [f"10{n:04d}" for n in range(5)]
    key = product.create_key("--role", "school", *(arg for urn in schools for arg in ("--urn", urn)))
    pupils = [upn_for(801, 3000, 24, serial) for serial in range(100)]
    events = [
        enrolment(
            upn,
            school_urn=rng.choice(schools),
            occurred_on=dt.date(2025, 9, 1) + dt.timedelta(days=7 * k),
        )
        for upn in pupils
        for k in range(10)
    ]
    rng.shuffle(events)
    repeats = rng.sample(events, 100)  # a tenth sent again with the same event_id
    stream = events + repeats
    rng.shuffle(stream)

    accepted: list[str] = []
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=product.url, timeout=30, headers=auth) as client:
        for start in range(0, len(stream), 100):
            response = client.post("/v1/events", json={"events": stream[start : start + 100]})
            assert response.status_code == 202, response.text
            assert response.json()["rejected"] == []
            accepted += response.json()["accepted"]
    assert set(accepted) == {e["event_id"] for e in events}

    _wait_for_histories(product, dict.fromkeys(pupils, 10))
    time.sleep(1.5)  # room for any duplicate to land before counting
    by_pupil = {
        upn: sorted((e for e in events if e["upn"] == upn), key=lambda e: e["occurred_on"]) for upn in pupils
    }
    for upn in pupils:
        history = _history(product, upn)
        assert [row["event_id"] for row in history] == [e["event_id"] for e in by_pupil[upn]]


def test_a_malformed_message_from_a_direct_producer_goes_to_the_dlq(
    product: RunningProduct, kafka: KafkaForTests
) -> None:
    topic = f"{product.namespace}pupil-events"
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    producer.send(topic, key=b"H801200001001", value=b"{not json").get(timeout=30)
    producer.close()

    consumer = KafkaConsumer(
        f"{product.namespace}pupil-events.dlq",
        bootstrap_servers=kafka.bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=30_000,
    )
    try:
        message = next(iter(consumer))
    finally:
        consumer.close()
    assert message.value == b"{not json"
    headers = dict(message.headers)
    assert orjson.loads(headers["rollwatch.reason"])[0]["rule"] == "json_invalid"
    assert headers["rollwatch.source.topic"] == topic.encode()
    assert headers["rollwatch.source.offset"] == b"0"
