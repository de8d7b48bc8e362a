"""The HTTP contract of `POST /v1/ctf`: per-pupil report, keys and URNs, limits, hostile XML,
idempotent ids. Kafka is a recording publisher (see conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from rollwatch.core.access.keyring import KeyRing
from rollwatch.core.access.keys import new_key
from schemas import parse_event
from tests.support.ctf import (
    CASTLEGATE_URN,
    HARBOURSIDE_URN,
    RECEIVED,
    SENT_TO_INDEPENDENT_OR_ABROAD,
    SENT_TO_SCHOOL,
    SENT_TO_UNKNOWN,
    Keys,
    RecordingPublisher,
)
from tests.support.secrets import SECRETS

XML = {"content-type": "application/xml"}


def post(
    client: TestClient,
    token: str,
    body: bytes | Path,
    headers: dict[str, str] | None = None,
    **params: str,
) -> Response:
    content = body.read_bytes() if isinstance(body, Path) else body
    return client.post(
        "/v1/ctf",
        params=params,
        content=content,
        headers={**XML, **Keys.header(token), **(headers or {})},
    )


def sent_events(publisher: RecordingPublisher) -> list[dict[str, Any]]:
    events = []
    for key, value in publisher.sent:
        event = orjson.loads(value)
        assert key == event["upn"].encode()
        parse_event(value)  # what was published is a valid event
        events.append(event)
    return events


def test_a_ctf_sent_to_a_school_reports_every_pupil(
    client: TestClient, keys: Keys, publisher: RecordingPublisher
) -> None:
    response = post(client, keys.harbourside, SENT_TO_SCHOOL, direction="sent", school_urn=HARBOURSIDE_URN)
    assert response.status_code == 202
    body = response.json()
    assert body["direction"] == "sent"
    assert body["ctf"] == {
        "source": "8012000",
        "destination": "8013002",
        "created_at": "2025-05-09T10:05:00",
        "pupils": 3,
    }
    [created] = body["created"]
    assert created | {"event_id": ""} == {
        "index": 0,
        "upn": "A801200016003",
        "event_id": "",
        "type": "pupil.deleted",
        "warnings": [],
    }
    bad_upn, no_dob = body["skipped"]
    assert bad_upn["index"] == 1
    assert bad_upn["upn"] is None  # an invalid UPN is not echoed
    assert [(p["field"], p["rule"]) for p in bad_upn["problems"]] == [("upn", "upn_check_letter")]
    assert no_dob["index"] == 2
    assert [(p["field"], p["rule"]) for p in no_dob["problems"]] == [("pupil.date_of_birth", "missing")]
    [event] = sent_events(publisher)
    assert event["event_id"] == created["event_id"]
    assert event["school_urn"] == HARBOURSIDE_URN
    assert event["occurred_on"] == "2025-05-09"
    assert event["data"]["destination"] == {"kind": "school", "laestab": "8013002"}


def test_a_ctf_sent_to_unknown_needs_a_ground(
    client: TestClient, keys: Keys, publisher: RecordingPublisher
) -> None:
    response = post(client, keys.harbourside, SENT_TO_UNKNOWN, direction="sent", school_urn=HARBOURSIDE_URN)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "ground_required"
    assert body["problems"][0]["field"] == "ground"
    assert publisher.sent == []

    response = post(
        client,
        keys.harbourside,
        SENT_TO_UNKNOWN,
        direction="sent",
        school_urn=HARBOURSIDE_URN,
        ground="leave_not_returned",
        occurred_on="2025-03-10",
    )
    assert response.status_code == 202
    assert [c["index"] for c in response.json()["created"]] == [0, 1]
    first, second = sent_events(publisher)
    assert first["occurred_on"] == "2025-03-14"  # from its SchoolHistory
    assert second["occurred_on"] == "2025-03-10"  # none there: the caller's date
    assert first["data"]["destination"] == {"kind": "unknown"}
    assert first["data"]["ctf_destination"] == "XXXXXXX"
    assert first["pupil"]["looked_after"] is True


def test_a_ctf_sent_to_independent_or_abroad(
    client: TestClient, keys: Keys, publisher: RecordingPublisher
) -> None:
    response = post(
        client, keys.harbourside, SENT_TO_INDEPENDENT_OR_ABROAD, direction="sent", school_urn=HARBOURSIDE_URN
    )
    assert response.status_code == 202
    [event] = sent_events(publisher)
    assert event["data"]["destination"] == {"kind": "independent"}
    response = post(
        client,
        keys.harbourside,
        SENT_TO_INDEPENDENT_OR_ABROAD,
        direction="sent",
        school_urn=HARBOURSIDE_URN,
        destination="abroad",
        ground="moved_away",
    )
    assert response.status_code == 202


def test_a_received_ctf_is_enrolments_at_the_receiving_school(
    client: TestClient, keys: Keys, publisher: RecordingPublisher
) -> None:
    response = post(
        client,
        keys.castlegate,
        RECEIVED,
        direction="received",
        school_urn=CASTLEGATE_URN,
        occurred_on="2025-01-13",
    )
    assert response.status_code == 202
    assert [c["type"] for c in response.json()["created"]] == ["pupil.enrolled", "pupil.enrolled"]
    events = sent_events(publisher)
    assert {e["school_urn"] for e in events} == {CASTLEGATE_URN}
    assert {e["data"]["previous_school"] for e in events} == {"8012000"}
    assert {e["occurred_on"] for e in events} == {"2025-01-13"}


def test_no_valid_pupil_is_422_with_the_report(
    client: TestClient, keys: Keys, publisher: RecordingPublisher
) -> None:
    # Received without occurred_on: neither pupil's history gives an open spell at Castlegate.
    response = post(client, keys.castlegate, RECEIVED, direction="received", school_urn=CASTLEGATE_URN)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid"
    assert body["created"] == []
    assert [(s["index"], s["problems"][0]["rule"]) for s in body["skipped"]] == [
        (0, "occurred_on_unknown"),
        (1, "occurred_on_unknown"),
    ]
    assert publisher.sent == []


def test_importing_the_same_file_again_gives_the_same_ids(
    client: TestClient, keys: Keys, publisher: RecordingPublisher
) -> None:
    params: dict[str, Any] = {"direction": "sent", "school_urn": HARBOURSIDE_URN, "ground": "moved_away"}
    first = post(client, keys.harbourside, SENT_TO_UNKNOWN, occurred_on="2025-03-10", **params)
    # Other options do not make other events: the file is the identity.
    again = post(client, keys.harbourside, SENT_TO_UNKNOWN, occurred_on="2025-03-11", **params)
    assert first.status_code == again.status_code == 202
    ids = [c["event_id"] for c in first.json()["created"]]
    assert ids == [c["event_id"] for c in again.json()["created"]]
    assert len(set(ids)) == 2
    assert [k for k, _ in publisher.sent[:2]] == [k for k, _ in publisher.sent[2:]]


def test_a_pupil_twice_in_one_file_is_imported_once(
    client: TestClient, keys: Keys, publisher: RecordingPublisher
) -> None:
    xml = SENT_TO_INDEPENDENT_OR_ABROAD.read_bytes()
    start, end = xml.index(b"<Pupil>"), xml.index(b"</Pupil>") + len(b"</Pupil>")
    doubled = xml[:end] + xml[start:end] + xml[end:]
    response = post(client, keys.harbourside, doubled, direction="sent", school_urn=HARBOURSIDE_URN)
    assert response.status_code == 202
    body = response.json()
    assert [c["index"] for c in body["created"]] == [0]
    assert [(s["index"], s["problems"][0]["rule"]) for s in body["skipped"]] == [(1, "upn_repeated")]
    assert len(publisher.sent) == 1


def test_a_school_key_cannot_import_for_another_school(
    client: TestClient, keys: Keys, publisher: RecordingPublisher
) -> None:
    response = post(client, keys.castlegate, SENT_TO_SCHOOL, direction="sent", school_urn=HARBOURSIDE_URN)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden_urn"
    assert publisher.sent == []


def test_the_file_must_be_the_schools_own(
    client: TestClient, keys: Keys, publisher: RecordingPublisher
) -> None:
    # Castlegate's key, Castlegate's URN, but Harbourside sent this file: not Castlegate's deletion.
    response = post(client, keys.castlegate, SENT_TO_SCHOOL, direction="sent", school_urn=CASTLEGATE_URN)
    assert response.status_code == 422
    assert response.json()["error"] == "ctf_school_mismatch"
    assert publisher.sent == []


@pytest.mark.parametrize("role", ["la_officer", "auditor"])
def test_only_school_keys_import(client: TestClient, keyring: KeyRing, role: str) -> None:
    token, record = new_key(role, secrets=SECRETS, la_code="801" if role == "la_officer" else None)  # type: ignore[arg-type]
    keyring.add(record)
    response = post(client, token, SENT_TO_SCHOOL, direction="sent", school_urn=HARBOURSIDE_URN)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden_role"


def test_no_key_is_401(client: TestClient) -> None:
    response = client.post(
        "/v1/ctf",
        params={"direction": "sent", "school_urn": HARBOURSIDE_URN},
        content=b"<CTfile/>",
        headers=XML,
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        (b"<CTfile><Header>", "xml_invalid"),
        (b"<html><body>not a CTF</body></html>", "ctf_root"),
        (
            b'<?xml version="1.0"?><!DOCTYPE CTfile [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b"<CTfile><Header><DateTime>&xxe;</DateTime></Header></CTfile>",
            "xml_forbidden",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;">'
            b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;">]><CTfile><Header>&lol2;</Header></CTfile>',
            "xml_forbidden",
        ),
        (b"<CTfile><Header/></CTfile>", "ctf_header"),
    ],
)
def test_unusable_files_are_422_naming_the_rule(
    client: TestClient, keys: Keys, publisher: RecordingPublisher, body: bytes, rule: str
) -> None:
    response = post(client, keys.harbourside, body, direction="sent", school_urn=HARBOURSIDE_URN)
    assert response.status_code == 422
    answer = response.json()
    assert answer["error"] == rule
    assert answer["message"]
    assert answer["problems"][0]["rule"] == rule
    assert "passwd" not in response.text
    assert publisher.sent == []


@pytest.mark.parametrize(
    "params",
    [
        {"direction": "sideways", "school_urn": HARBOURSIDE_URN},
        {"school_urn": HARBOURSIDE_URN},
        {"direction": "sent"},
        {"direction": "sent", "school_urn": "12345"},
        {"direction": "sent", "school_urn": HARBOURSIDE_URN, "occurred_on": "14/03/2025"},
        {"direction": "sent", "school_urn": HARBOURSIDE_URN, "ground": "Moved Away!"},
    ],
)
def test_bad_query_parameters_are_422(client: TestClient, keys: Keys, params: dict[str, Any]) -> None:
    response = post(client, keys.harbourside, SENT_TO_SCHOOL, **params)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("content_type", ["text/xml", "application/xml; charset=utf-8", "Text/XML"])
def test_xml_content_types_are_accepted(client: TestClient, keys: Keys, content_type: str) -> None:
    response = post(
        client,
        keys.harbourside,
        SENT_TO_SCHOOL,
        headers={"content-type": content_type},
        direction="sent",
        school_urn=HARBOURSIDE_URN,
    )
    assert response.status_code == 202


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", ""])
def test_other_content_types_are_415(client: TestClient, keys: Keys, content_type: str) -> None:
    response = post(
        client,
        keys.harbourside,
        SENT_TO_SCHOOL,
        headers={"content-type": content_type},
        direction="sent",
        school_urn=HARBOURSIDE_URN,
    )
    assert response.status_code == 415
    assert response.json()["error"] == "content_type"


def test_a_body_over_the_limit_is_413(client: TestClient, keys: Keys) -> None:
    padded = SENT_TO_SCHOOL.read_bytes().replace(
        b"<CTFpupilData>", b"<!--" + b"x" * 70_000 + b"--><CTFpupilData>"
    )
    response = post(client, keys.harbourside, padded, direction="sent", school_urn=HARBOURSIDE_URN)
    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"


def test_too_many_pupils_is_413(client: TestClient, keys: Keys, publisher: RecordingPublisher) -> None:
    xml = SENT_TO_INDEPENDENT_OR_ABROAD.read_bytes()
    start, end = xml.index(b"<Pupil>"), xml.index(b"</Pupil>") + len(b"</Pupil>")
    many = xml[:start] + xml[start:end] * 11 + xml[end:]
    response = post(client, keys.harbourside, many, direction="sent", school_urn=HARBOURSIDE_URN)
    assert response.status_code == 413
    assert response.json()["error"] == "too_many_pupils"
    assert publisher.sent == []


def test_broker_unavailable_is_503_and_nothing_is_reported_created(
    client: TestClient, keys: Keys, publisher: RecordingPublisher
) -> None:
    publisher.fail = True
    response = post(client, keys.harbourside, SENT_TO_SCHOOL, direction="sent", school_urn=HARBOURSIDE_URN)
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert response.json()["error"] == "broker_unavailable"
    assert "created" not in response.json()


def test_the_route_documents_its_xml_body(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/ctf"]["post"]
    assert set(operation["requestBody"]["content"]) == {"application/xml", "text/xml"}
    assert {p["name"] for p in operation["parameters"]} == {
        "direction",
        "school_urn",
        "ground",
        "destination",
        "occurred_on",
    }
