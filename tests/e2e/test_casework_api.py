"""The officers' case work through the JSON API on the real product: assign (to oneself, to a
colleague of the same LA), notes, enquiries, and silences listed and ended early. Every step is
attributed to the key's id and its holder's name, and kept in the alert's history."""

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


@pytest.fixture
def product(kafka: KafkaForTests, tmp_path: Path) -> Iterator[RunningProduct]:
    with rollwatch_process(kafka.bootstrap, tmp_path / "product", alert_tick_seconds="0.5") as running:
        yield running


def _call(method: str, product: RunningProduct, path: str, key: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(
        method, f"{product.url}{path}", headers={"Authorization": f"Bearer {key}"}, timeout=30, **kwargs
    )


def _raise_alert(product: RunningProduct, school_key: str, officer: str, serial: int) -> dict[str, Any]:
    upn = upn_for(886, 2100, 19, serial)
    events = [
        enrolment(upn, school_urn=SCHOOL, occurred_on=dt.date(2025, 9, 3)),
        deletion(upn, school_urn=SCHOOL, occurred_on=dt.date(2026, 3, 3), ground="home_education",
                 destination_kind="home_education", sen_provision="E", year_group=6),
    ]  # fmt: skip
    assert _call("POST", product, "/v1/events", school_key, json={"events": events}).status_code == 202
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = [
            a
            for a in _call("GET", product, "/v1/alerts", officer, params={"purpose": "test"}).json()["alerts"]
            if a["upn"] == upn
        ]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no alert within 30 s:\n{product.log()[-3000:]}")


def test_assign_notes_enquiries_and_silences(product: RunningProduct) -> None:
    school_key = product.new_key("school", urns=(SCHOOL,))
    sam = product.create_key("--role", "la_officer", "--la", "886", "--name", "Sam Patel")
    zoe = product.new_key("la_officer", la_code="886", name="Zoe Adams")
    elsewhere = product.new_key("la_officer", la_code="330", name="Other LA")
    zoe_id, elsewhere_id = zoe.split("_")[1], elsewhere.split("_")[1]
    alert = _raise_alert(product, school_key, sam, 11)
    path = f"/v1/alerts/{alert['alert_id']}"

    officers = _call("GET", product, f"{path}/assignees", sam).json()["officers"]
    assert {o["name"] for o in officers} == {"Sam Patel", "Zoe Adams"}
    mine = _call("POST", product, f"{path}/assign", sam, json={})
    assert mine.status_code == 200 and mine.json()["assignee_name"] == "Sam Patel", mine.text
    assert _call("POST", product, f"{path}/assign", sam, json={"to": elsewhere_id}).status_code == 422
    assert _call("POST", product, f"{path}/assign", elsewhere, json={}).status_code == 404
    assert _call("POST", product, f"{path}/assign", school_key, json={}).status_code == 403
    to_zoe = _call("POST", product, f"{path}/assign", sam, json={"to": zoe_id}).json()
    assert to_zoe["assignee"] == f"key:{zoe_id}" and to_zoe["actor_name"] == "Sam Patel"

    noted = _call("POST", product, f"{path}/notes", zoe, json={"note": "Spoke to the school's DSL."})
    assert noted.status_code == 200 and noted.json()["transition"] == "note_added"
    enquiry = {"kind": "parents_contacted", "on": "2026-03-04", "note": "Letter sent home."}
    recorded = _call("POST", product, f"{path}/enquiries", zoe, json=enquiry)
    assert recorded.status_code == 200 and recorded.json()["enquiry_kind"] == "parents_contacted", (
        recorded.text
    )
    assert _call("POST", product, f"{path}/enquiries", zoe, json={**enquiry, "kind": "x"}).status_code == 422
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    assert _call("POST", product, f"{path}/enquiries", zoe, json={**enquiry, "on": future}).status_code == 422

    detail = _call("GET", product, path, zoe, params={"purpose": "case work test"}).json()
    steps = detail["history"]
    assert [s["transition"] for s in steps] == [
        "opened", "assigned", "assigned", "note_added", "enquiry_recorded"
    ]  # fmt: skip
    assert steps[3]["actor"] == f"key:{zoe_id}" and steps[3]["actor_name"] == "Zoe Adams"
    assert steps[4]["enquiry_on"] == "2026-03-04" and steps[4]["note"] == "Letter sent home."

    # Silences: at most the longest length, listed for the LA only, ended early once.
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    body = {
        "matchers": {"rule": "ehe_vulnerable"},
        "reason": "half-term review",
        "expires_at": soon.isoformat(),
    }
    too_long = {**body, "expires_at": (soon + dt.timedelta(days=60)).isoformat()}
    assert _call("POST", product, "/v1/silences", sam, json=too_long).status_code == 422
    created = _call("POST", product, "/v1/silences", sam, json=body)
    assert created.status_code == 201, created.text
    silence = created.json()
    assert silence["author_name"] == "Sam Patel" and silence["active"] is True
    listed = _call("GET", product, "/v1/silences", zoe).json()["silences"]
    assert [s["silence_id"] for s in listed] == [silence["silence_id"]]
    assert _call("GET", product, "/v1/silences", elsewhere).json()["silences"] == []
    end = f"/v1/silences/{silence['silence_id']}/end"
    assert _call("POST", product, end, elsewhere).status_code == 404
    ended = _call("POST", product, end, zoe)
    assert ended.status_code == 200 and ended.json()["active"] is False and ended.json()["ended_at"]
    assert _call("POST", product, end, zoe).status_code == 409
    assert _call("GET", product, "/v1/silences", sam, params={"active": "true"}).json()["silences"] == []
    assert _call("GET", product, "/v1/silences", product.auditor_key, params={"la": "886"}).status_code == 200
