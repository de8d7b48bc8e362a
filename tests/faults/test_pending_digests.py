"""An email digest waiting for its interval survives a crash: the alert service is killed with
kill -9 after the notification was queued and before the digest went out, and the digest reaches
the LA's SMTP server (a real local one) once the service is started again."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.allinone import RunningProduct, rollwatch_process
from tests.support.brokers import KafkaForTests
from tests.support.delivery_servers import SmtpForTests, start_smtp
from tests.support.events import deletion, enrolment, upn_for
from tools.harness.product import metric_value

pytestmark = [
    pytest.mark.faults,
    pytest.mark.kafka,
    pytest.mark.clickhouse,
    pytest.mark.e2e,
    pytest.mark.delivery,
]

SCHOOL = "100046"  # LA 886
DIGEST_S = 6


@pytest.fixture
def smtp() -> Iterator[SmtpForTests]:
    server = start_smtp()
    yield server
    server.stop()


@pytest.fixture
def product(kafka: KafkaForTests, smtp: SmtpForTests, tmp_path: Path) -> Iterator[RunningProduct]:
    route = {
        "id": "886-inbox", "kind": "email", "to": ["cme@la.example.org"], "from": "rollwatch@la.example.org",
        "smtp": {"host": smtp.host, "port": smtp.port, "starttls": False}, "digest_interval_s": DIGEST_S,
    }  # fmt: skip
    routes = tmp_path / "routes.json"
    routes.write_text(json.dumps({"format_version": 1, "version": "t", "las": {"886": {"routes": [route]}}}))
    with rollwatch_process(
        kafka.bootstrap, tmp_path / "product", alert_tick_seconds="0.5", alert_routes_file=str(routes)
    ) as running:
        yield running


def test_a_digest_queued_before_a_kill_is_sent_after_the_restart(
    product: RunningProduct, smtp: SmtpForTests
) -> None:
    school = product.new_key("school", urns=(SCHOOL,))
    upn = upn_for(886, 2200, 19, 1)
    left = deletion(
        upn, school_urn=SCHOOL, occurred_on=dt.date(2026, 3, 3), ground="home_education",
        destination_kind="home_education", sen_provision="E", year_group=2,
    )  # fmt: skip
    joined = enrolment(upn, school_urn=SCHOOL, occurred_on=dt.date(2025, 9, 3), year_group=1)
    response = httpx.post(
        f"{product.url}/v1/events",
        json={"events": [joined, left]},
        headers={"Authorization": f"Bearer {school}"},
    )
    assert response.status_code == 202, response.text

    deadline = time.monotonic() + 60
    while _pending(product) < 1:  # queued: in the pending store, waiting for the digest
        assert time.monotonic() < deadline, product.log()[-3000:]
        time.sleep(0.1)
    product.kill()
    assert smtp.messages == [], "killed before the digest went out"

    product.start()
    deadline = time.monotonic() + 60
    while not smtp.messages:
        assert time.monotonic() < deadline, f"no digest after the restart\n{product.log()[-3000:]}"
        time.sleep(0.2)
    while _pending(product) > 0:  # settled once its attempt is recorded
        assert time.monotonic() < deadline, product.log()[-3000:]
        time.sleep(0.2)
    time.sleep(DIGEST_S)  # a second digest of the same step (a catch-up that missed it) is out by now
    [alert] = product.get("/v1/alerts", key=product.auditor_key, purpose="test").json()["alerts"]
    [digest] = smtp.messages
    assert alert["alert_id"] in digest.text and left["event_id"] in digest.text


def _pending(product: RunningProduct) -> float:
    page = httpx.get(f"{product.url}/metrics", timeout=10).text
    return metric_value(page, 'rollwatch_delivery_pending{channel="email"}')
