"""The HTTP contract of `POST /v1/events`: batch semantics, per-index problems, limits. Kafka is
replaced here by a recording publisher because only the endpoint's own logic is under test; the
real broker path is covered by tests/e2e."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rollwatch.core import body_limit, http_errors
from rollwatch.core.access.keyring import KeyRing
from rollwatch.core.access.keys import new_key
from rollwatch.core.kafka_connection import KafkaConnection
from rollwatch.core.settings import Settings
from services.ingest.api import router
from services.ingest.publisher import BrokerUnavailable
from services.schools.register import SchoolsRegister
from tests.support.events import enrolment, upn_for
from tests.support.secrets import SECRETS

UPN = upn_for(801, 2000, 1, 1)
GIAS = Path(__file__).resolve().parents[2] / "fixtures" / "gias"


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
def keyring() -> KeyRing:
    return KeyRing(KafkaConnection("unused:9"), "unused", SECRETS)


@pytest.fixture
def client(publisher: RecordingPublisher, keyring: KeyRing) -> Iterator[TestClient]:
    app = FastAPI()
    http_errors.install(app)
    body_limit.install(app, 20_000)
    app.include_router(router)
    app.state.publisher = publisher
    app.state.keyring = keyring
    app.state.schools = SchoolsRegister.from_gias_files(GIAS / "edubasealldata20250106.csv")
    app.state.settings = Settings(max_batch_events=5, max_body_bytes=20_000)
    token, record = new_key("school", secrets=SECRETS, urns=("100000", "100001"))
    keyring.add(record)
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as test_client:
        yield test_client


def test_single_event_is_accepted_once_kafka_acknowledged(
    client: TestClient, publisher: RecordingPublisher
) -> None:
    event = enrolment(UPN)
    response = client.post("/v1/events", json=event)
    assert response.status_code == 202
    assert response.json() == {"accepted": [event["event_id"]], "rejected": [], "warnings": []}
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


def test_no_key_is_401_and_a_revoked_key_is_refused(client: TestClient, keyring: KeyRing) -> None:
    response = client.post("/v1/events", json=enrolment(UPN), headers={"Authorization": ""})
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"
    token, record = new_key("school", secrets=SECRETS, urns=("100000",))
    keyring.add(record.model_copy(update={"revoked_at": record.created_at}))
    response = client.post("/v1/events", json=enrolment(UPN), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_key"


def test_a_school_key_cannot_write_for_another_school(
    client: TestClient, publisher: RecordingPublisher
) -> None:
    ours, theirs = enrolment(UPN), enrolment(UPN, school_urn="100002")
    response = client.post("/v1/events", json={"events": [ours, theirs]})
    assert response.status_code == 403
    assert response.json() | {"message": ""} == {"error": "forbidden_urn", "indexes": [1], "message": ""}
    assert publisher.sent == []


@pytest.mark.parametrize("role", ["la_officer", "auditor"])
def test_only_school_keys_write(client: TestClient, keyring: KeyRing, role: str) -> None:
    token, record = new_key(role, secrets=SECRETS, la_code="801" if role == "la_officer" else None)  # type: ignore[arg-type]
    keyring.add(record)
    response = client.post("/v1/events", json=enrolment(UPN), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden_role"


def test_a_retry_is_accepted_again_without_a_second_message(
    client: TestClient, publisher: RecordingPublisher
) -> None:
    event = enrolment(UPN)
    assert client.post("/v1/events", json=event).status_code == 202
    again = client.post("/v1/events", json=event)
    assert again.status_code == 202
    assert again.json()["accepted"] == [event["event_id"]]
    assert len(publisher.sent) == 1


def test_the_same_id_with_other_content_is_409(client: TestClient, publisher: RecordingPublisher) -> None:
    event = enrolment(UPN)
    assert client.post("/v1/events", json=event).status_code == 202
    changed = dict(event, school_urn="100001")
    response = client.post("/v1/events", json={"events": [enrolment(UPN), changed]})
    assert response.status_code == 409
    assert response.json()["error"] == "event_id_conflict"
    assert response.json()["indexes"] == [1]
    assert len(publisher.sent) == 1


def test_warnings_are_reported_for_accepted_events(client: TestClient) -> None:
    event = enrolment(UPN)
    event["pupil"] = dict(event["pupil"], year_group=11)  # born 2015: Year 11 is implausible in 2026
    response = client.post("/v1/events", json=event)
    assert response.status_code == 202
    [warning] = response.json()["warnings"]
    assert warning["index"] == 0
    assert warning["problems"][0]["rule"] == "year_group_implausible"


def test_an_unregistered_school_is_refused_by_name(client: TestClient, keyring: KeyRing) -> None:
    token, record = new_key("school", secrets=SECRETS, urns=("123456",))
    keyring.add(record)
    event = enrolment(UPN, school_urn="123456")
    response = client.post("/v1/events", json=event, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    [problem] = response.json()["rejected"][0]["problems"]
    assert (problem["field"], problem["rule"]) == ("school_urn", "school_unknown")
    assert "123456 is not in the schools register" in problem["message"]
