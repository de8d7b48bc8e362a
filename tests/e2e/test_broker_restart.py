"""A broker outage: while Kafka cannot acknowledge, ingest answers 503 with Retry-After and
accepts nothing; once the broker is back, retried events are accepted and every acknowledged
event reaches the ledger exactly once."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rollwatch.core.local_kafka import LocalKafka
from tests.support.allinone import RunningProduct, rollwatch_process
from tests.support.events import enrolment, upn_for
from tools.harness.broker import local_broker, running

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e]


@pytest.fixture
def own_broker(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LocalKafka]:
    """A broker of this test's own, since the test stops and restarts it."""
    with running(local_broker(tmp_path / "kafka")) as broker:
        yield broker


@pytest.fixture
def product(own_broker: LocalKafka, tmp_path: Path) -> Iterator[RunningProduct]:
    with rollwatch_process(own_broker.bootstrap, tmp_path / "product") as running:
        yield running


def test_503_while_the_broker_is_down_and_nothing_lost_after(
    product: RunningProduct, own_broker: LocalKafka
) -> None:
    key = product.create_key("--role", "school", "--urn", "100000")
    headers = {"Authorization": f"Bearer {key}"}
    before = [enrolment(upn_for(801, 2000, 21, n), occurred_on=dt.date(2025, 9, 3)) for n in range(20)]
    during = [enrolment(upn_for(801, 2000, 21, 100 + n), occurred_on=dt.date(2025, 9, 4)) for n in range(20)]
    assert httpx.post(f"{product.url}/v1/events", json={"events": before}, headers=headers).status_code == 202

    own_broker.stop()
    refused = httpx.post(f"{product.url}/v1/events", json={"events": during}, headers=headers, timeout=60)
    assert refused.status_code == 503
    assert refused.headers["retry-after"] and refused.json()["error"] == "broker_unavailable"

    own_broker.start()
    deadline = time.monotonic() + 90
    status = 0
    while status != 202 and time.monotonic() < deadline:  # the sender retries, as told
        status = httpx.post(
            f"{product.url}/v1/events", json={"events": during}, headers=headers, timeout=60
        ).status_code
        time.sleep(1)
    assert status == 202

    expected = {e["event_id"] for e in before + during}
    deadline = time.monotonic() + 90
    rows = 0
    while rows < len(expected) and time.monotonic() < deadline:
        rows = product.get("/v1/ledger/verify").json()["rows"]
        time.sleep(0.5)
    time.sleep(2)
    report = product.get("/v1/ledger/verify").json()
    assert report["rows"] == len(expected), product.log()[-3000:]
    assert report["ok"], report["first_break"]
