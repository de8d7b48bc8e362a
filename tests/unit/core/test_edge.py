"""The edge's pure parts: CSV cells neutralised, the API's description and /metrics off the API
port in production, rate limit settings checked at start, the console's security headers (the
limits themselves, the 413 and the purpose on alert lists are tested on the running product:
tests/e2e/test_security_edge.py)."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from rollwatch.app.http_app import create_app
from rollwatch.core.csv_safe import csv_text, safe_cell
from rollwatch.core.settings import Settings
from services.tracker.audit_api import movements_csv

PRODUCTION = {
    "environment": "production", "secret_key": "s" * 40, "clickhouse_url": "http://ch:8123",
    "kafka_security_protocol": "SASL_SSL", "kafka_username": "rollwatch", "kafka_password": "p" * 20,
}  # fmt: skip


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_that_a_spreadsheet_would_run_is_neutralised(value: str) -> None:
    assert safe_cell(value) == "'" + value
    rows = list(csv.reader(io.StringIO(csv_text(["a", "b"], [{"a": value, "b": 7, "c": "left out"}]))))
    assert rows == [["a", "b"], ["'" + value, "7"]]


def test_plain_cells_are_kept_and_the_movements_export_goes_through_it() -> None:
    assert [safe_cell(v) for v in ("St Mary's", "2026-03-02", 5, None, True)] == [
        "St Mary's", "2026-03-02", 5, None, True,
    ]  # fmt: skip
    item = {"event_id": "e1", "school_name": "=cmd|'/C calc'!A0", "other_school": {"name": "@evil"}}
    rows = list(csv.DictReader(io.StringIO(movements_csv([item]))))
    assert rows[0]["school_name"] == "'=cmd|'/C calc'!A0"
    assert rows[0]["other_school_name"] == "'@evil"


def test_production_serves_no_api_description_and_no_metrics_on_the_api_port() -> None:
    client = TestClient(create_app(Settings(**PRODUCTION)))  # no lifespan: routes only
    for path in ("/docs", "/redoc", "/openapi.json", "/metrics"):
        assert client.get(path).status_code == 404, path
    assert Settings(**PRODUCTION).metrics_port_in_use == 9464
    enabled = TestClient(create_app(Settings(**PRODUCTION, openapi_enabled=True)))
    assert enabled.get("/openapi.json").status_code == 200
    development = TestClient(create_app(Settings()))
    assert development.get("/openapi.json").status_code == 200
    assert Settings().metrics_port_in_use is None


def test_a_rate_limit_setting_that_does_not_parse_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="rate_limit_auditor"):
        Settings(rate_limit_auditor="lots")
    assert Settings(rate_limit_school="5/minute;100/day").rate_limit_school == "5/minute;100/day"


def test_console_pages_carry_the_security_headers_and_the_api_does_not() -> None:
    client = TestClient(create_app(Settings()))  # no lifespan: the sign-in page needs none
    for path, status in (("/sign-in", 200), ("/no-such-page", 404)):
        page = client.get(path, follow_redirects=False)
        assert page.status_code == status
        assert page.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-store"
    for path in ("/healthz", "/v1/alerts"):
        assert "x-frame-options" not in client.get(path).headers
