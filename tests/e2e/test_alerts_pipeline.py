"""Alerts through the real pipeline: HTTP -> Kafka -> tracker -> pupil-moves -> alert service ->
alerts API, on the real broker and the embedded ledger."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


SECRET = "s" * 40


class Receiver(ThreadingHTTPServer):
    received: list[tuple[dict[str, str], bytes]]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        assert isinstance(self.server, Receiver)
        self.server.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    server = Receiver(("127.0.0.1", 0), _Handler)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture
def product(kafka: KafkaForTests, tmp_path: Path, webhook: Receiver) -> Iterator[RunningProduct]:
    routes = tmp_path / "routes.json"
    route = {
        "id": "886-case-system", "kind": "webhook", "secure": True,
        "url": f"http://127.0.0.1:{webhook.server_address[1]}/hook",
        "secret_env": "ROLLWATCH_TEST_WEBHOOK_SECRET",
        "max_attempts": 3, "backoff_base_s": 0.1, "backoff_max_s": 0.5,
    }  # fmt: skip
    routes.write_text(
        json.dumps({"format_version": 1, "version": "test", "las": {"886": {"routes": [route]}}})
    )
    with rollwatch_process(
        kafka.bootstrap, tmp_path / "product", alert_tick_seconds="0.5", alert_routes_file=str(routes),
        test_webhook_secret=SECRET,
    ) as running:  # fmt: skip
        yield running


def test_home_education_exit_of_a_send_pupil_raises_one_alert_for_the_la(
    product: RunningProduct, webhook: Receiver
) -> None:
    school_key = product.new_key("school", urns=(SCHOOL,))
    officer = product.new_key("la_officer", la_code="886")
    elsewhere = product.new_key("la_officer", la_code="330")
    upn = upn_for(886, 2100, 19, 1)
    joined = enrolment(upn, school_urn=SCHOOL, occurred_on=dt.date(2025, 9, 3))
    left = deletion(
        upn, school_urn=SCHOOL, occurred_on=dt.date(2026, 3, 3), ground="home_education",
        destination_kind="home_education", sen_provision="E", year_group=6,
    )  # fmt: skip
    product.post_events(school_key, joined, left)

    [alert] = product.wait_for_alerts(officer, lambda a: a["rule"] == "ehe_vulnerable")
    assert alert["la_code"] == "886" and alert["status"] == "open"
    assert left["event_id"] in alert["evidence"]
    assert "not a finding" in alert["reason"] or "prompt" in alert["reason"]
    assert product.alerts(elsewhere) == []  # another LA's officer sees nothing of it

    # The LA's case system got it, signed with the route's secret.
    deadline = time.monotonic() + 20
    while not webhook.received and time.monotonic() < deadline:
        time.sleep(0.1)
    headers, body = webhook.received[0]
    timestamp = headers["X-Rollwatch-Timestamp"]
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Rollwatch-Signature"] == f"sha256={expected}"
    assert alert["alert_id"] in body.decode()

    # Sending the same events again raises nothing new.
    product.post_events(school_key, joined, left)
    time.sleep(2)
    assert len([a for a in product.alerts(officer) if a["rule"] == "ehe_vulnerable"]) == 1

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
    school_key = product.new_key("school", urns=(SCHOOL, OTHER_SCHOOL))
    officer = product.new_key("la_officer", la_code="886")
    upn = upn_for(886, 2100, 19, 2)
    left = deletion(upn, school_urn=SCHOOL, occurred_on=dt.date(2026, 1, 6), ground="moved_away",
                    destination_kind="unknown")  # fmt: skip
    # The deletion is old enough that its 10 school days have passed: the clock fires at once.
    product.post_events(school_key, enrolment(upn, school_urn=SCHOOL, occurred_on=dt.date(2025, 9, 3)), left)
    [alert] = product.wait_for_alerts(officer, lambda a: a["rule"] == "no_destination")
    assert alert["status"] == "open"
    product.post_events(school_key, enrolment(upn, school_urn=OTHER_SCHOOL, occurred_on=dt.date(2026, 2, 2)))
    product.wait_for_alerts(
        officer, lambda a: a["rule"] == "no_destination" and a["status"] == "auto_resolved"
    )
