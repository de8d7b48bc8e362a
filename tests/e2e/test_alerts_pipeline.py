"""Alerts through the real pipeline: HTTP -> Kafka -> tracker -> pupil-moves -> alert service ->
alerts API, on the real broker and the embedded ledger."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.allinone import RunningProduct, rollwatch_process
from tests.support.brokers import KafkaForTests
from tests.support.events import deletion, enrolment, upn_for

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e]

SCHOOL = "100046"  # an open LA 886 school in tests/fixtures/gias
OTHER_SCHOOL = "100058"


@pytest.fixture
def product(kafka: KafkaForTests, tmp_path: Path) -> Iterator[RunningProduct]:
    with rollwatch_process(kafka.bootstrap, tmp_path / "product", alert_tick_seconds="0.5") as running:
        yield running


def _post(product: RunningProduct, key: str, *events: dict[str, Any]) -> None:
    response = httpx.post(
        f"{product.url}/v1/events", json={"events": list(events)}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 202, response.text
    assert response.json()["rejected"] == [], response.text


def _alerts(product: RunningProduct, key: str, **params: Any) -> list[dict[str, Any]]:
    response = product.get("/v1/alerts", key=key, **params)
    response.raise_for_status()
    alerts: list[dict[str, Any]] = response.json()["alerts"]
    return alerts


def _wait_for(product: RunningProduct, key: str, predicate: Any, timeout_s: float = 30, **params: Any) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [a for a in _alerts(product, key, **params) if predicate(a)]
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no such alert within {timeout_s}s; log:\n{product.log()[-3000:]}")


def test_home_education_exit_of_a_send_pupil_raises_one_alert_for_the_la(product: RunningProduct) -> None:
    school_key = product.create_key("--role", "school", "--urn", SCHOOL)
    officer = product.create_key("--role", "la_officer", "--la", "886")
    elsewhere = product.create_key("--role", "la_officer", "--la", "330")
    upn = upn_for(886, 2100, 19, 1)
    joined = enrolment(upn, school_urn=SCHOOL, occurred_on=dt.date(2025, 9, 3))
    left = deletion(upn, school_urn=SCHOOL, occurred_on=dt.date(2026, 3, 3), sen_provision="E")
    _post(product, school_key, joined, left)

    [alert] = _wait_for(product, officer, lambda a: a["rule"] == "ehe_vulnerable")
    assert alert["la_code"] == "886" and alert["status"] == "open"
    assert left["event_id"] in alert["evidence"]
    assert "not a finding" in alert["reason"] or "prompt" in alert["reason"]
    assert _alerts(product, elsewhere) == []  # another LA's officer sees nothing of it

    # Sending the same events again raises nothing new.
    _post(product, school_key, joined, left)
    time.sleep(2)
    assert len([a for a in _alerts(product, officer) if a["rule"] == "ehe_vulnerable"]) == 1

    # The officer acknowledges, then resolves with an outcome; every step is kept.
    url = f"{product.url}/v1/alerts/{alert['alert_id']}"
    headers = {"Authorization": f"Bearer {officer}"}
    assert (
        httpx.post(f"{url}/acknowledge", json={"note": "calling the family"}, headers=headers).status_code
        == 200
    )
    done = httpx.post(
        f"{url}/resolve", json={"outcome": "child_located", "note": "EHE confirmed"}, headers=headers
    )
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    detail = httpx.get(url, params={"purpose": "test"}, headers=headers).json()
    assert [step["transition"] for step in detail["history"]] == ["opened", "acknowledged", "resolved"]
    assert [e["event_id"] for e in detail["evidence"]] == [left["event_id"]] or left["event_id"] in [
        e["event_id"] for e in detail["evidence"]
    ]


def test_an_unknown_destination_alert_waits_and_an_enrolment_resolves_it(product: RunningProduct) -> None:
    school_key = product.create_key("--role", "school", "--urn", SCHOOL, "--urn", OTHER_SCHOOL)
    officer = product.create_key("--role", "la_officer", "--la", "886")
    upn = upn_for(886, 2100, 19, 2)
    left = deletion(upn, school_urn=SCHOOL, occurred_on=dt.date(2026, 1, 6), ground="moved_away",
                    destination="unknown")  # fmt: skip
    # The deletion is old enough that its 10 school days have passed: the clock fires at once.
    _post(product, school_key, enrolment(upn, school_urn=SCHOOL, occurred_on=dt.date(2025, 9, 3)), left)
    [alert] = _wait_for(product, officer, lambda a: a["rule"] == "no_destination")
    assert alert["status"] == "open"
    _post(product, school_key, enrolment(upn, school_urn=OTHER_SCHOOL, occurred_on=dt.date(2026, 2, 2)))
    _wait_for(product, officer, lambda a: a["rule"] == "no_destination" and a["status"] == "auto_resolved")
