"""Corrections and identity through the real pipeline (HTTP -> Kafka -> tracker -> ledger -> read
API, in the all-in-one process): a retraction marks its target in the history and both stay shown;
a permanent UPN that names the temporary one it replaces joins both histories, so either UPN
answers with the one timeline."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.support.allinone import RunningProduct, rollwatch_process
from tests.support.brokers import KafkaForTests
from tests.support.events import deletion, enrolment, retraction, temporary_upn_for, upn_for

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e]

PURPOSE = "end-to-end test of corrections"
PRIMARY, PRIMARY_LAESTAB = "100054", "8862005"  # Christ Church Primary School, LA 886
SECONDARY, SECONDARY_LAESTAB = "100050", "8864000"  # Millhurst Community College, LA 886
T = TypeVar("T")


@pytest.fixture
def product(kafka: KafkaForTests, tmp_path: Path) -> Iterator[RunningProduct]:
    with rollwatch_process(kafka.bootstrap, tmp_path / "product") as running:
        yield running


def _post(product: RunningProduct, key: str, event: dict[str, Any]) -> None:
    response = httpx.post(
        f"{product.url}/v1/events", json=event, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == [event["event_id"]]


def _history(product: RunningProduct, upn: str, key: str | None = None) -> dict[str, Any] | None:
    response = product.get(f"/v1/pupils/{upn}/history", key, purpose=PURPOSE)
    if response.status_code == 404:
        return None
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def _eventually(product: RunningProduct, read: Callable[[], T | None], what: str, timeout_s: float = 60) -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = read()
        if value is not None:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout_s}s; log:\n{product.log()[-3000:]}")


def test_a_retraction_and_a_temporary_upn_through_the_pipeline(product: RunningProduct) -> None:
    primary = product.new_key("school", urns=(PRIMARY,))
    secondary = product.new_key("school", urns=(SECONDARY,))
    temporary = temporary_upn_for(886, 2006, 26, 7)
    permanent = upn_for(886, 2006, 26, 8)

    joined_temporary = enrolment(temporary, school_urn=PRIMARY, occurred_on=dt.date(2026, 9, 3), year_group=6)
    _post(product, primary, joined_temporary)
    # The temporary UPN's record exists before the permanent one arrives, as in a school's year.
    _eventually(product, lambda: _history(product, temporary), "the temporary UPN's enrolment")

    joined_permanent = enrolment(
        permanent, former_upn=temporary, school_urn=PRIMARY, occurred_on=dt.date(2026, 10, 1), year_group=6
    )
    wrong = deletion(
        permanent, school_urn=PRIMARY, occurred_on=dt.date(2026, 10, 20), ground="home_education",
        destination_kind="home_education", year_group=6,
    )  # fmt: skip
    withdrawn = retraction(wrong, reason="Deleted the wrong pupil; the correct deletion follows.")
    right = deletion(
        permanent, school_urn=PRIMARY, occurred_on=dt.date(2026, 10, 21),
        destination_laestab=SECONDARY_LAESTAB, year_group=6,
    )  # fmt: skip
    arrived = enrolment(
        permanent, school_urn=SECONDARY, occurred_on=dt.date(2026, 10, 22), year_group=6,
        previous_school=PRIMARY_LAESTAB,
    )  # fmt: skip
    for event in (joined_permanent, wrong, withdrawn, right):
        _post(product, primary, event)
    _post(product, secondary, arrived)
    timeline = [joined_temporary, joined_permanent, wrong, withdrawn, right, arrived]

    def complete() -> dict[str, Any] | None:
        body = _history(product, permanent)
        placement = (body or {}).get("placement") or {}
        on_roll = [school["urn"] for school in placement.get("on_roll", [])]
        return body if body and len(body["events"]) == len(timeline) and on_roll == [SECONDARY] else None

    by_permanent = _eventually(product, complete, "the whole timeline and the new placement")
    by_temporary = _history(product, temporary)
    assert by_temporary is not None

    # One timeline, whichever UPN is asked for.
    expected_ids = [event["event_id"] for event in timeline]
    assert [e["event_id"] for e in by_permanent["events"]] == expected_ids
    assert [e["event_id"] for e in by_temporary["events"]] == expected_ids
    assert by_permanent["linked_upns"] == by_temporary["linked_upns"] == sorted([temporary, permanent])
    assert {e["upn"] for e in by_permanent["events"]} == {temporary, permanent}

    # The retraction and its target are both shown; only the target is marked.
    events = {e["event_id"]: e for e in by_permanent["events"]}
    assert events[wrong["event_id"]]["retracted"] is True
    assert events[wrong["event_id"]]["retracted_by"] == withdrawn["event_id"]
    assert events[withdrawn["event_id"]]["retracted"] is False
    assert events[withdrawn["event_id"]]["event"]["data"]["retracts"] == wrong["event_id"]
    assert events[right["event_id"]]["retracted"] is False

    # School names from the register, and where the pupil is now (under the permanent UPN).
    assert events[right["event_id"]]["school_name"] == "Christ Church Primary School"
    assert events[right["event_id"]]["other_school"]["name"] == "Millhurst Community College"
    for body in (by_permanent, by_temporary):
        assert body["placement"]["status"] == "on_roll"
        assert body["placement"]["on_roll"] == [{"urn": SECONDARY, "name": "Millhurst Community College"}]
        assert body["placement"]["recorded_under_upn"] == permanent

    # The primary school reads the events it sent, under either UPN, and nothing of the secondary's.
    own = _history(product, temporary, primary)
    assert own is not None
    assert [e["event_id"] for e in own["events"]] == expected_ids[:-1]
    assert own["placement"]["status"] == "not_on_roll_here"

    # The LA's statistics leave the retracted deletion out.
    summary = product.get(
        "/v1/las/886/summary", None, purpose=PURPOSE, **{"from": "2026-09-01", "to": "2026-10-31"}
    ).json()
    assert summary["statistics_not_findings"] is True
    assert summary["retracted_events"] == 1
    assert summary["deletions"]["total"] == 1
    assert summary["exits"]["unexplained"]["by_year_group"] == {"6": 1}
