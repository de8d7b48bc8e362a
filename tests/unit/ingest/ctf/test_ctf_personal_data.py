"""Names, addresses and contacts in a CTF are never stored, logged or echoed.

Every name, address line, phone number and e-mail address of every fixture is looked for in what
the reader returns, in every published event, in every HTTP answer (created, skipped and refused)
and in every log record. Dates of birth belong in the events, but never in an answer or a log."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.ingest.ctf.reader import read_ctf
from tests.support.ctf import (
    ALL,
    CASTLEGATE_URN,
    HARBOURSIDE_URN,
    RECEIVED,
    SENT_TO_INDEPENDENT_OR_ABROAD,
    SENT_TO_SCHOOL,
    SENT_TO_UNKNOWN,
    Keys,
    RecordingPublisher,
    dates_of_birth,
    personal_strings,
)

SENT_BY_HARBOURSIDE = {"direction": "sent", "school_urn": HARBOURSIDE_URN}
MOVED_AWAY = SENT_BY_HARBOURSIDE | {"ground": "moved_away"}
# (fixture, which key, query): answers that create events, skip pupils, and refuse the request.
IMPORTS: list[tuple[Path, str, dict[str, str]]] = [
    (SENT_TO_SCHOOL, "harbourside", SENT_BY_HARBOURSIDE),
    (SENT_TO_UNKNOWN, "harbourside", MOVED_AWAY | {"occurred_on": "2025-03-10"}),
    (SENT_TO_UNKNOWN, "harbourside", SENT_BY_HARBOURSIDE),  # ground required
    (SENT_TO_UNKNOWN, "harbourside", MOVED_AWAY),  # one pupil has no leaving date
    (SENT_TO_INDEPENDENT_OR_ABROAD, "harbourside", SENT_BY_HARBOURSIDE),
    (
        RECEIVED,
        "castlegate",
        {"direction": "received", "school_urn": CASTLEGATE_URN, "occurred_on": "2025-01-13"},
    ),
    (RECEIVED, "castlegate", {"direction": "received", "school_urn": CASTLEGATE_URN}),  # nothing valid
    (SENT_TO_SCHOOL, "castlegate", {"direction": "sent", "school_urn": CASTLEGATE_URN}),  # not its file
    (SENT_TO_SCHOOL, "castlegate", {"direction": "sent", "school_urn": HARBOURSIDE_URN}),  # not its school
]


def leaks(text: str, secrets: set[str]) -> list[str]:
    return sorted(s for s in secrets if s in text)


def test_the_fixtures_do_hold_personal_data() -> None:
    # Guards the tests below against proving nothing.
    for path in ALL:
        found = personal_strings(path)
        assert len(found) >= 10, path.name
        raw = path.read_text()
        assert all(s in raw for s in found)
    assert {"Quillfeather", "Marrowbone Lane", "QX9 7ZZ", "hesper.quillfeather@example.invalid"} <= (
        personal_strings(SENT_TO_UNKNOWN)
    )


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_the_reader_keeps_none_of_it(path: Path) -> None:
    ctf = read_ctf(path.read_bytes())
    assert leaks(repr(ctf), personal_strings(path)) == []


@pytest.mark.parametrize(("path", "who", "query"), IMPORTS, ids=lambda v: getattr(v, "name", None))
def test_no_name_address_or_contact_leaves_the_import(
    client: TestClient,
    keys: Keys,
    publisher: RecordingPublisher,
    caplog: pytest.LogCaptureFixture,
    path: Path,
    who: str,
    query: dict[str, str],
) -> None:
    caplog.set_level(logging.DEBUG)
    response = client.post(
        "/v1/ctf",
        params=query,
        content=path.read_bytes(),
        headers={"content-type": "application/xml", **Keys.header(getattr(keys, who))},
    )
    assert response.status_code in (202, 403, 422)
    secrets = personal_strings(path)
    published = b"".join(value for _, value in publisher.sent).decode()
    logged = caplog.text + "".join(repr(r.__dict__) for r in caplog.records)
    assert leaks(response.text, secrets) == []
    assert leaks(published, secrets) == []
    assert leaks(logged, secrets) == []
    # Dates of birth are in the events, as the contract requires, but never in an answer or a log.
    assert leaks(response.text, dates_of_birth(path)) == []
    assert leaks(logged, dates_of_birth(path)) == []


def test_a_name_in_a_field_that_is_read_is_not_echoed(client: TestClient, keys: Keys) -> None:
    """An MIS that puts a name where a code or a date belongs gets problems, not its data back."""
    name = "Quillfeather"
    xml = SENT_TO_SCHOOL.read_text()
    for element in ("UPN", "NCyearActual", "DOB", "LeavingDate"):
        xml = _replace_first(xml, element, name)
    response = client.post(
        "/v1/ctf",
        params={"direction": "sent", "school_urn": HARBOURSIDE_URN},
        content=xml.encode(),
        headers={"content-type": "text/xml", **Keys.header(keys.harbourside)},
    )
    assert response.status_code == 422  # the other two pupils of this file are invalid anyway
    body: dict[str, Any] = response.json()
    [skipped_first] = [s for s in body["skipped"] if s["index"] == 0]
    fields = {p["field"] for p in skipped_first["problems"]}
    assert {"upn", "pupil.year_group", "occurred_on"} <= fields
    assert name not in response.text


def _replace_first(xml: str, element: str, value: str) -> str:
    start = xml.index(f"<{element}>") + len(element) + 2
    end = xml.index(f"</{element}>", start)
    return xml[:start] + value + xml[end:]
