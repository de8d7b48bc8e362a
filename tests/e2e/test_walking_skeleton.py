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


def _wait_for_histories(product: RunningProduct, expected: dict[str, int], timeout_s: float = 120) -> None:
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


def test_invalid_messages_from_a_direct_producer_go_to_the_dlq(
    product: RunningProduct, kafka: KafkaForTests
) -> None:
    topic = f"{product.namespace}pupil-events"
    unknown_type = enrolment(upn_for(801, 3000, 24, 900)) | {"type": "pupil.teleported"}
    broken_rule = enrolment(upn_for(801, 3000, 24, 901))
    broken_rule["upn"] = broken_rule["upn"][:-1] + ("1" if broken_rule["upn"][-1] != "1" else "2")
    unknown_school = enrolment(upn_for(801, 3000, 24, 902), school_urn="999999")
    messages = [
        b"{not json",
        orjson.dumps(unknown_type),
        orjson.dumps(broken_rule),
        orjson.dumps(unknown_school),
    ]
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    for value in messages:
        producer.send(topic, key=b"H801200001001", value=value).get(timeout=30)
    producer.close()

    consumer = KafkaConsumer(
        f"{product.namespace}pupil-events.dlq",
        bootstrap_servers=kafka.bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=30_000,
    )
    try:
        dead = [next(iter(consumer)) for _ in messages]
    finally:
        consumer.close()
    assert [m.value for m in dead] == messages  # the original bytes, in order
    rules = [orjson.loads(dict(m.headers)["rollwatch.reason"])[0]["rule"] for m in dead]
    assert rules[0] == "json_invalid"
    assert rules[1] in ("event_type_unknown", "union_tag_invalid")
    assert rules[2] == "upn_check_letter"
    assert rules[3] == "school_unknown"
    assert [dict(m.headers)["rollwatch.source.offset"] for m in dead] == [b"0", b"1", b"2", b"3"]
    metrics = httpx.get(f"{product.url}/metrics").text
    assert "rollwatch_tracker_dead_letters_total" in metrics
