"""Clocks that survive: a 10-school-day wait pending across a SIGKILL still fires exactly once
when event time passes it, and replaying every `pupil-moves` record raises nothing new; with the
alert service's table folder deleted as well, its tables rebuild from their changelogs."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kafka import KafkaConsumer, KafkaProducer

from tests.support.allinone import RunningProduct, rollwatch_process
from tests.support.brokers import KafkaForTests
from tests.support.events import deletion, enrolment, upn_for

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e]

SCHOOL = "100046"


@pytest.fixture
def product(kafka: KafkaForTests, tmp_path: Path) -> Iterator[RunningProduct]:
    # Event time only: the clock moves when newer events arrive, as a replay of history would.
    with rollwatch_process(
        kafka.bootstrap, tmp_path / "product", alert_clock="event", alert_tick_seconds="0.3"
    ) as running:
        yield running


def _post(product: RunningProduct, key: str, *events: dict[str, Any]) -> None:
    response = httpx.post(
        f"{product.url}/v1/events", json={"events": list(events)}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 202 and response.json()["rejected"] == [], response.text


def _no_destination(product: RunningProduct, officer: str) -> list[dict[str, Any]]:
    response = product.get("/v1/alerts", key=officer, rule="no_destination", purpose="test")
    response.raise_for_status()
    alerts: list[dict[str, Any]] = response.json()["alerts"]
    return alerts


def test_a_pending_clock_survives_a_kill_and_fires_once(
    product: RunningProduct, kafka: KafkaForTests
) -> None:
    school = product.new_key("school", urns=(SCHOOL,))
    officer = product.new_key("la_officer", la_code="886")
    waiting, other = upn_for(886, 2200, 19, 1), upn_for(886, 2200, 19, 2)
    left = deletion(waiting, school_urn=SCHOOL, occurred_on=dt.date(2026, 1, 6), ground="moved_away",
                    destination_kind="unknown")  # fmt: skip
    _post(product, school, enrolment(waiting, school_urn=SCHOOL, occurred_on=dt.date(2025, 9, 3)), left)
    time.sleep(3)
    assert _no_destination(product, officer) == []  # event time is 6 Jan: the wait has not passed

    product.kill()
    product.start()

    # A later event (another pupil, 5 weeks on) moves event time past the 10th school day.
    _post(product, school, enrolment(other, school_urn=SCHOOL, occurred_on=dt.date(2026, 2, 10)))
    deadline = time.monotonic() + 30
    while not _no_destination(product, officer) and time.monotonic() < deadline:
        time.sleep(0.3)
    time.sleep(2)  # ticks keep running: a second firing would show now
    [alert] = _no_destination(product, officer)
    assert alert["evidence"] == [left["event_id"]]

    # Replaying every pupil-moves record raises nothing new.
    topic = f"{product.namespace}pupil-moves"
    consumer = KafkaConsumer(topic, bootstrap_servers=kafka.bootstrap, auto_offset_reset="earliest",
                             consumer_timeout_ms=3000)  # fmt: skip
    records = [(m.key, m.value) for m in consumer]
    consumer.close()
    assert len(records) >= 3
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    for key, value in records:
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()
    time.sleep(3)
    everything = product.get("/v1/alerts", key=officer, purpose="test").json()["alerts"]
    assert [a["alert_id"] for a in everything if a["rule"] == "no_destination"] == [alert["alert_id"]]
    assert all(a["seq"] == 1 or a["rule"] != "no_destination" for a in everything)


def test_the_tables_rebuild_from_their_changelogs_when_their_folder_is_lost(
    product: RunningProduct, kafka: KafkaForTests
) -> None:
    """The alert service's tables live on disk (rollwatch/core/table_store.py); with the folder
    gone, they come back from their changelog topics: the pending clock still fires once, and
    what was raised before is neither raised again nor changed."""
    school = product.create_key("--role", "school", "--urn", SCHOOL)
    officer = product.create_key("--role", "la_officer", "--la", "886")
    home_ed, waiting, other = (upn_for(886, 2200, 19, n) for n in (3, 4, 5))
    left = deletion(waiting, school_urn=SCHOOL, occurred_on=dt.date(2026, 1, 6), ground="moved_away",
                    destination_kind="unknown")  # fmt: skip
    home_education = deletion(home_ed, school_urn=SCHOOL, occurred_on=dt.date(2026, 1, 5),
                              ground="home_education", destination_kind="home_education",
                              sen_provision="E", year_group=6)  # fmt: skip
    joined = [enrolment(u, school_urn=SCHOOL, occurred_on=dt.date(2025, 9, 3)) for u in (home_ed, waiting)]
    _post(product, school, *joined, home_education, left)
    product.wait_for_alerts(officer, lambda a: a["rule"] == "ehe_vulnerable")
    time.sleep(2)
    before = _steps(product, officer)
    assert [rule for _, rule, _ in before] == ["ehe_vulnerable"]

    product.kill()
    streams = product.workdir / "streams"
    assert any(streams.rglob("*.db")), "the tables should be on disk"
    shutil.rmtree(streams)
    product.start()

    _post(product, school, enrolment(other, school_urn=SCHOOL, occurred_on=dt.date(2026, 2, 10)))
    [fired] = product.wait_for_alerts(officer, lambda a: a["rule"] == "no_destination")
    assert fired["evidence"] == [left["event_id"]]  # judged on the rebuilt history of the pupil
    time.sleep(2)  # ticks keep running: a second firing would show now
    assert _steps(product, officer) == sorted([*before, (fired["alert_id"], "no_destination", 1)])
    assert any(streams.rglob("*.db"))


def _steps(product: RunningProduct, officer: str) -> list[tuple[str, str, int]]:
    return sorted((a["alert_id"], a["rule"], a["seq"]) for a in product.alerts(officer))
