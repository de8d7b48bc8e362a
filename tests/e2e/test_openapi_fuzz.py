"""Fuzz every operation of the OpenAPI document against the running product: whatever
schema-shaped (and misshapen) input arrives, the answer is never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.support.allinone import RunningProduct, rollwatch_process
from tests.support.brokers import KafkaForTests

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.e2e]


@pytest.fixture(scope="module")
def fuzzed(
    _kafka_broker: KafkaForTests, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningProduct]:
    with rollwatch_process(_kafka_broker.bootstrap, Path(tmp_path_factory.mktemp("fuzz"))) as running:
        running.keys = {  # type: ignore[attr-defined]
            "school": running.new_key("school", urns=("100000", "100046")),
            "la_officer": running.new_key("la_officer", la_code="886"),
            "auditor": running.auditor_key,
        }
        yield running


def test_no_input_makes_a_server_error(fuzzed: RunningProduct) -> None:
    keys = fuzzed.keys  # type: ignore[attr-defined]
    schema = schemathesis.openapi.from_url(f"{fuzzed.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures: list[str] = []
    for operation in operations:
        if operation.path in ("/v1/events", "/v1/ctf"):
            role = "school"
        elif operation.method.upper() == "POST":
            role = "la_officer"
        else:
            role = "auditor"
        headers = {"Authorization": f"Bearer {keys[role]}"}

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case: schemathesis.Case) -> None:
            response = case.call(headers=headers, timeout=30)  # noqa: B023 (called within this iteration)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
                )

        call()
    assert failures == []
