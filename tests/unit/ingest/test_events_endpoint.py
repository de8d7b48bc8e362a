"""The HTTP contract of `POST /v1/events`: batch semantics, per-index problems, limits. Kafka is
replaced here by a recording publisher because only the endpoint's own logic is under test; the
real broker path is covered by tests/e2e."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rollwatch.settings import Settings
from services.ingest.api import router
from services.ingest.publisher import BrokerUnavailable
from tests.support.events import enrolment, upn_for

UPN = upn_for(801, 2000, 1, 1)


class RecordingPublisher:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, bytes]] = []
        self.fail = False

    async def publish(self, messages: list[tuple[bytes, bytes]]) -> None:
        if self.fail:
            raise BrokerUnavailable("broker down")
        self.sent.extend(messages)


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def client(publisher: RecordingPublisher) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(router)
    app.state.publisher = publisher
    app.state.settings = Settings(max_batch_events=5, max_body_bytes=20_000)
    with TestClient(app) as test_client:
        yield test_client


def test_single_event_is_accepted_once_kafka_acknowledged(
    client: TestClient, publisher: RecordingPublisher
) -> None:
    event = enrolment(UPN)
    response = client.post("/v1/events", json=event)
    assert response.status_code == 202
    assert response.json() == {"accepted": [event["event_id"]], "rejected": []}
    key, value = publisher.sent[0]
    assert key == UPN.encode()
    assert orjson.loads(value)["event_id"] == event["event_id"]


def test_batch_reports_every_problem_by_index(client: TestClient, publisher: RecordingPublisher) -> None:
    good = enrolment(UPN)
    bad = enrolment(UPN)
    bad["school_urn"] = "12345"
    del bad["pupil"]
    response = client.post("/v1/events", json={"events": [good, bad]})
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == [good["event_id"]]
    [rejection] = body["rejected"]
    assert rejection["index"] == 1
    assert rejection["event_id"] == bad["event_id"]
    fields = {p["field"] for p in rejection["problems"]}
    assert {"school_urn", "pupil"} <= fields
    assert all(p["rule"] and p["message"] for p in rejection["problems"])
    assert len(publisher.sent) == 1


def test_nothing_valid_is_422(client: TestClient, publisher: RecordingPublisher) -> None:
    response = client.post("/v1/events", json={"events": [{"type": "pupil.enrolled"}]})
    assert response.status_code == 422
    assert response.json()["rejected"][0]["index"] == 0
    assert publisher.sent == []


def test_a_repeated_event_id_is_sent_once(client: TestClient, publisher: RecordingPublisher) -> None:
    event = enrolment(UPN)
    response = client.post("/v1/events", json={"events": [event, event]})
    assert response.status_code == 202
    assert response.json()["accepted"] == [event["event_id"]]
    assert len(publisher.sent) == 1


def test_broker_unavailable_is_503_with_retry_after(
    client: TestClient, publisher: RecordingPublisher
) -> None:
    publisher.fail = True
    response = client.post("/v1/events", json=enrolment(UPN))
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert response.json()["error"] == "broker_unavailable"


@pytest.mark.parametrize(
    ("kwargs", "status", "rule"),
    [
        ({"content": b"{}", "headers": {"content-type": "text/plain"}}, 415, "content_type"),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 422, "json_invalid"),
        ({"json": {"events": []}}, 422, "events_list"),
        ({"json": {"events": [enrolment(UPN) for _ in range(6)]}}, 413, "batch_too_large"),
        ({"json": {"events": [{"pad": "x" * 30_000}]}}, 413, "body_too_large"),
    ],
)
def test_request_level_errors_name_the_rule(client: TestClient, kwargs: dict, status: int, rule: str) -> None:  # type: ignore[type-arg]
    response = client.post("/v1/events", **kwargs)
    assert response.status_code == status
    assert response.json()["error"] == rule
