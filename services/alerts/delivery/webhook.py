"""Webhooks: the JSON body of one notification, and one signed POST of it (see `signing` for
exactly what is signed).

Body (`schema_version` 1), UTF-8 JSON:
    {"schema_version": 1, "type": "rollwatch.alert", "delivery_id": "...",
     "notice": "This alert is a prompt for enquiry, not a finding.",
     "alert": {"id", "rule", "title", "severity", "status", "la_code", "school_urn",
               "school_name", "upn" (secure routes only, alerts about one pupil),
               "upn_withheld", "reason", "statutory_reference", "evidence": [...],
               "opened_at", "updated_at", "fingerprint" (secure routes only)}}
On a route that is not secure the `upn` and `fingerprint` keys are absent, not null. Times are ISO
8601 in UTC. A receiver should order changes of one alert by `updated_at`; Rollwatch sends them in
order per alert and route.

`post_once` answers with nothing on any 2xx and raises `AttemptFailed` otherwise: retryable for
network errors, time-outs, 5xx and 429 (with `Retry-After` read), not for other statuses
(redirects are not followed). The response body is never read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import orjson

from services.alerts.delivery import notification_text, signing
from services.alerts.delivery.notification import Notification
from services.alerts.delivery.retry import AttemptFailed, parse_retry_after

SCHEMA_VERSION = 1
USER_AGENT = "Rollwatch-Webhook/1"
_DELIVERY_NAMESPACE = uuid.UUID("0b5e7f5a-3a52-4d0c-9a0e-7c2f2b8e9d14")


def delivery_id(route_id: str, notification: Notification) -> str:
    """The same for the same alert transition on the same route, in every process."""
    return str(uuid.uuid5(_DELIVERY_NAMESPACE, f"webhook\x1e{route_id}\x1e{notification.transition_key}"))


def _time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def alert_document(notification: Notification) -> dict[str, Any]:
    """The `alert` object: the notification as the route may see it (pass the route's copy)."""
    document: dict[str, Any] = {
        "id": notification.alert_id,
        "rule": notification.rule,
        "title": notification_text.rule_title(notification.rule),
        "severity": notification.severity,
        "status": notification.status,
        "la_code": notification.la_code,
        "school_urn": notification.school_urn,
        "school_name": notification.school_name,
        "upn_withheld": notification.upn_withheld,
        "reason": notification.reason,
        "statutory_reference": notification.statutory_reference,
        "evidence": list(notification.evidence),
        "opened_at": _time(notification.opened_at),
        "updated_at": _time(notification.updated_at),
    }
    if notification.upn is not None:
        document["upn"] = notification.upn
    if notification.fingerprint is not None:
        document["fingerprint"] = notification.fingerprint
    return document


def body(notification: Notification, delivery: str) -> bytes:
    return orjson.dumps(
        {
            "schema_version": SCHEMA_VERSION,
            "type": "rollwatch.alert",
            "delivery_id": delivery,
            "notice": notification_text.SHORT_NOTICE,
            "alert": alert_document(notification),
        }
    )


def headers(secret: bytes, payload: bytes, delivery: str, attempt: int, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.signature(secret, timestamp, payload),
        signing.IDEMPOTENCY_HEADER: delivery,
        signing.ATTEMPT_HEADER: str(attempt),
    }


async def post_once(
    client: httpx.AsyncClient,
    url: str,
    secret: bytes,
    payload: bytes,
    delivery: str,
    attempt: int,
    now: dt.datetime,
    timeout_s: float,
) -> None:
    request_headers = headers(secret, payload, delivery, attempt, int(now.timestamp()))
    try:
        async with client.stream(
            "POST", url, content=payload, headers=request_headers, timeout=timeout_s
        ) as response:
            status = response.status_code
            retry_after = response.headers.get("Retry-After")
    except httpx.TransportError as error:
        # the message of a transport error names no payload; keep the class and the gist
        raise AttemptFailed(f"{type(error).__name__}: {error}", retryable=True) from None
    if 200 <= status < 300:
        return
    phrase = f"HTTP {status}"
    if status == 429 or status >= 500:
        raise AttemptFailed(
            phrase, retryable=True, retry_after_s=parse_retry_after(retry_after, now), code=status
        )
    raise AttemptFailed(phrase, retryable=False, code=status)
