"""Builders of alert notifications and routes files for the delivery tests."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from services.alerts.delivery import Notification, RoutesConfig, parse_routes

UPN = "H801200001001"
OTHER_UPN = "X00180001701A"
LA = "801"
SCHOOL = "100000"
OTHER_SCHOOL = "100001"
SECRET = "s3cret-for-tests-only-0123456789abcdef"
OPENED = dt.datetime(2026, 3, 3, 9, 15, tzinfo=dt.UTC)

_ids = itertools.count(1)


def notification(**overrides: Any) -> Notification:
    number = next(_ids)
    fields: dict[str, Any] = {
        "alert_id": f"alert-{number}",
        "rule": "no_destination",
        "severity": "high",
        "status": "open",
        "la_code": LA,
        "school_urn": SCHOOL,
        "school_name": "Greenfield Academy",
        "upn": UPN,
        "reason": (
            "Taken off roll at school 100000 on 3 Mar 2026 with no destination given; no enrolment "
            "anywhere within 10 school days. This is a prompt for enquiry, not a finding."
        ),
        "statutory_reference": "s436A Education Act 1996 (children missing education)",
        "evidence": (f"ev-{number}-a", f"ev-{number}-b"),
        "opened_at": OPENED,
        "updated_at": OPENED,
        "fingerprint": f"{number:032x}",
    }
    fields.update(overrides)
    return Notification(**fields)


def email_route(route_id: str = "la-email", **overrides: Any) -> dict[str, Any]:
    route: dict[str, Any] = {
        "id": route_id,
        "kind": "email",
        "secure": False,
        "to": ["inclusion@la.example.org"],
        "from": "rollwatch@la.example.org",
        "smtp": {"host": "127.0.0.1", "port": 2525, "starttls": False},
        "digest_interval_s": 0,
    }
    route.update(overrides)
    return route


def webhook_route(route_id: str = "la-hook", **overrides: Any) -> dict[str, Any]:
    route: dict[str, Any] = {
        "id": route_id,
        "kind": "webhook",
        "secure": False,
        "url": "http://127.0.0.1:8080/hook",
        "secret_env": "ROLLWATCH_TEST_WEBHOOK_SECRET",
    }
    route.update(overrides)
    return route


def routes_config(*routes: dict[str, Any], la: str = LA) -> RoutesConfig:
    return parse_routes({"format_version": 1, "version": "test", "las": {la: {"routes": list(routes)}}})
