from __future__ import annotations

import dataclasses
import datetime as dt

import orjson

from services.alerts.delivery import verify_signature, webhook
from services.alerts.delivery.signing import (
    ATTEMPT_HEADER,
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
)
from tests.support.alert_notifications import SECRET, UPN, notification


def test_secure_body_carries_the_alert_with_upn_and_fingerprint() -> None:
    original = notification(alert_id="a1", evidence=("e1", "e2"))
    document = orjson.loads(webhook.body(original.for_route(secure=True), "d-1"))
    assert document["schema_version"] == 1
    assert document["type"] == "rollwatch.alert"
    assert document["delivery_id"] == "d-1"
    assert document["notice"] == "This alert is a prompt for enquiry, not a finding."
    alert = document["alert"]
    assert alert["id"] == "a1"
    assert alert["upn"] == UPN
    assert alert["fingerprint"] == original.fingerprint
    assert alert["evidence"] == ["e1", "e2"]
    assert alert["opened_at"] == "2026-03-03T09:15:00Z"
    assert alert["title"] == "Off roll with no known destination"
    assert alert["upn_withheld"] is False


def test_non_secure_body_has_no_upn_key_and_no_upn_anywhere() -> None:
    original = notification(reason=f"About {UPN}. This is a prompt for enquiry, not a finding.")
    raw = webhook.body(original.for_route(secure=False), "d-1")
    alert = orjson.loads(raw)["alert"]
    assert "upn" not in alert
    assert "fingerprint" not in alert
    assert alert["upn_withheld"] is True
    assert UPN.encode() not in raw
    assert original.fingerprint is not None and original.fingerprint.encode() not in raw


def test_delivery_id_is_stable_per_route_and_transition() -> None:
    first = notification(alert_id="a1")
    again = dataclasses.replace(first)
    resolved = dataclasses.replace(
        first, status="resolved", updated_at=first.updated_at + dt.timedelta(hours=1)
    )
    assert webhook.delivery_id("hook", first) == webhook.delivery_id("hook", again)
    assert webhook.delivery_id("hook", first) != webhook.delivery_id("other", first)
    assert webhook.delivery_id("hook", first) != webhook.delivery_id("hook", resolved)


def test_headers_sign_the_body_with_the_timestamp_and_carry_the_delivery_id() -> None:
    payload = webhook.body(notification(), "d-7")
    headers = webhook.headers(SECRET.encode(), payload, "d-7", 3, 1_767_225_600)
    assert headers["Content-Type"] == "application/json"
    assert headers[IDEMPOTENCY_HEADER] == "d-7"
    assert headers[ATTEMPT_HEADER] == "3"
    assert headers[SIGNATURE_HEADER].startswith("sha256=")
    assert verify_signature(
        SECRET.encode(), payload, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], now=1_767_225_601
    )
