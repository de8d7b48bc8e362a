"""A school's movements are shaped by their query (times formatted, the event passed through as its
JSON text, the other school and the retractions read from it by ClickHouse): the answer must be the
one a pupil history's rows give for the same events, field for field and byte for byte."""

from __future__ import annotations

import datetime as dt
import uuid

import orjson
import pytest

from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.json_answers import json_answer
from rollwatch.core.settings import Settings
from services.schools.register import SchoolsRegister
from services.tracker.audit_api import read_school_movements
from services.tracker.ledger_reads import pupil_rows, retracted_ids
from services.tracker.pupil_history import row_json
from tests.support.gias import JANUARY, JANUARY_LINKS

pytestmark = pytest.mark.clickhouse

URN = "100001"  # in the fixture register, LA 886
OTHER_LAESTAB = "2014000"  # 100002's LAESTAB (LA 201, number 4000)
UPN = "A123456789012"
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _row(type_: str, day: int, recorded: str, data: dict[str, object]) -> tuple[object, ...]:
    event_id = str(uuid.uuid4())
    event = {"event_id": event_id, "type": type_, "data": data, "pupil": {"year_group": 9}}
    return (
        event_id,
        type_,
        UPN,
        URN,
        dt.date(2026, 1, day),
        dt.datetime.fromisoformat(recorded),
        dt.datetime.fromisoformat("2026-01-31T12:00:00.007+00:00"),
        day,
        orjson.dumps(event, option=orjson.OPT_SORT_KEYS).decode(),  # as the ledger stores it
    )


@pytest.fixture
def ledger(migrated_ledger_settings: Settings) -> ClientPerThread:
    enrolled = _row("pupil.enrolled", 5, "2026-01-05T08:00:00+00:00", {"previous_school": OTHER_LAESTAB})
    from_abroad = _row("pupil.enrolled", 6, "2026-01-06T08:00:00.120+00:00", {"previous_school": "MMMMMMM"})
    deleted = _row(
        "pupil.deleted",
        7,
        "2026-01-07T10:30:15.001+00:00",
        {"ground": "moved_school", "destination": {"kind": "school", "laestab": OTHER_LAESTAB}},
    )
    by_ctf = _row("pupil.deleted", 8, "2026-01-08T10:30:15+00:00", {"ctf_destination": "9999999", "g": "é"})
    unknown = _row("pupil.deleted", 9, "2026-01-09T10:30:15.5+00:00", {"ctf_destination": "XXXXXXX"})
    retraction = _row("event.retracted", 10, "2026-01-10T11:00:00+00:00", {"retracts": deleted[0]})
    suspended = _row("pupil.suspended", 11, "2026-01-11T11:00:00+00:00", {"days": 2})
    rows = [enrolled, from_abroad, deleted, by_ctf, unknown, retraction, suspended]
    clients = ClientPerThread(migrated_ledger_settings)
    clients.get().insert(
        "movement_ledger",
        [(*row[:7], 0, index, row[7], "", "", row[8]) for index, row in enumerate(rows)],
        column_names=[
            "event_id", "type", "upn", "school_urn", "occurred_on", "recorded_at", "ingested_at",
            "kafka_partition", "kafka_offset", "chain_seq", "prev_hash", "hash", "event",
        ],
    )  # fmt: skip
    return clients


def test_a_schools_movements_answer_as_its_rows_do_in_a_history(ledger: ClientPerThread) -> None:
    register = SchoolsRegister.from_gias_files(JANUARY, JANUARY_LINKS)
    auditor = KeyRecord(key_id="a" * 12, role="auditor", key_hash="0" * 64, created_at=NOW)
    period = (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    rows = pupil_rows(ledger, [UPN])
    retractions = retracted_ids(rows)
    expected = [row_json(row, retractions.get(row.event_id), register) for row in rows]

    parsed = read_school_movements(ledger, register, auditor, URN, period, None, "test", parse_events=True)
    assert parsed == expected
    passed_through = read_school_movements(ledger, register, auditor, URN, period, None, "test")
    assert passed_through == [{**item, "event": passed_through[i]["event"]} for i, item in enumerate(parsed)]
    assert json_answer(passed_through).body == json_answer(expected).body

    # What the query read out of the events, seen in the answer.
    by_type = [(item["type"], item["other_school"], item["retracted"]) for item in parsed]
    other = {"laestab": OTHER_LAESTAB, "urn": "100002", "name": "Hazelborough Road Community College"}
    assert by_type == [
        ("pupil.enrolled", {"direction": "from", **other}, False),
        ("pupil.enrolled", None, False),
        ("pupil.deleted", {"direction": "to", **other}, True),
        ("pupil.deleted", {"direction": "to", "laestab": "9999999", "urn": None, "name": None}, False),
        ("pupil.deleted", None, False),
        ("event.retracted", None, False),
        ("pupil.suspended", None, False),
    ]
    assert [item["recorded_at"] for item in parsed][:3] == [
        "2026-01-05T08:00:00+00:00",
        "2026-01-06T08:00:00.120000+00:00",
        "2026-01-07T10:30:15.001000+00:00",
    ]
    assert orjson.loads(json_answer(passed_through).body)[3]["event"]["data"]["g"] == "é"
