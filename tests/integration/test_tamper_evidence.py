"""A clean ledger verifies; any row altered or removed with raw SQL is named as the first break."""

from __future__ import annotations

import datetime as dt

import pytest
from clickhouse_connect.driver.client import Client

from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.migrate import migrate
from rollwatch.core.settings import Settings
from schemas import parse_event
from schemas.parse import canonical_bytes
from services.tracker.checkpoints import write_checkpoint
from services.tracker.ledger_writer import LedgerWriter, Received
from services.tracker.verification import verify
from tests.support.events import enrolment, upn_for

pytestmark = pytest.mark.clickhouse

PUPILS = [upn_for(801, 4000, 22, serial) for serial in range(5)]


@pytest.fixture
def client(ledger_settings: Settings) -> Client:
    pool = ClientPerThread(ledger_settings)
    migrate(pool.get())
    writer = LedgerWriter(pool)
    offset = 0
    for round_ in range(3):  # three batches, so chains span inserts
        batch = []
        for upn in PUPILS:
            event = parse_event(enrolment(upn, occurred_on=dt.date(2026, 1, 5) + dt.timedelta(days=round_)))
            batch.append(Received(event, canonical_bytes(event), 0, offset))
            offset += 1
        writer.write(batch)
    return pool.get()


def _event_id(client: Client, upn: str, seq: int) -> str:
    rows = client.query(
        "SELECT toString(event_id) FROM movement_ledger WHERE upn = {u:String} AND chain_seq = {s:UInt32}",
        parameters={"u": upn, "s": seq},
    ).result_rows
    return str(rows[0][0])


def _mutate(client: Client, sql: str) -> None:
    client.command(sql, settings={"mutations_sync": 2})


_LEDGER_COLUMNS = (
    "event_id", "type", "upn", "school_urn", "occurred_on", "recorded_at", "ingested_at", "kafka_partition",
    "kafka_offset", "chain_seq", "prev_hash", "hash", "chain_version", "event",
)  # fmt: skip


def _insert_copy(client: Client, row_id: str, /, **replaced: str) -> None:
    """Insert a copy of a row with some columns replaced by SQL expressions (key columns cannot be
    changed by ALTER UPDATE, so a tamperer deletes and inserts instead)."""
    columns = ", ".join(_LEDGER_COLUMNS)
    values = ", ".join(replaced.get(column, column) for column in _LEDGER_COLUMNS)
    client.command(
        f"INSERT INTO movement_ledger ({columns}) SELECT {values} FROM movement_ledger "
        f"WHERE event_id = '{row_id}'"
    )


def test_a_clean_ledger_verifies(client: Client) -> None:
    report = verify(client)
    assert report.ok and report.first_break is None
    assert (report.rows, report.pupils) == (15, 5)
    checkpoint = write_checkpoint(client)
    assert checkpoint is not None and checkpoint.rows == 15
    assert write_checkpoint(client) is None  # nothing changed since
    assert verify(client).checkpoint_ok is True


def test_an_altered_row_is_the_first_break(client: Client) -> None:
    target = _event_id(client, PUPILS[2], 2)
    _mutate(
        client,
        'ALTER TABLE movement_ledger UPDATE event = replace(event, \'"sen_provision":"N"\', '
        f"'\"sen_provision\":\"E\"') WHERE event_id = '{target}'",
    )
    report = verify(client)
    assert not report.ok
    assert report.first_break is not None
    assert (report.first_break.upn, report.first_break.event_id) == (PUPILS[2], target)
    assert "altered" in report.first_break.problem


def test_a_row_removed_from_inside_a_chain_breaks_it(client: Client) -> None:
    removed = _event_id(client, PUPILS[1], 2)
    after = _event_id(client, PUPILS[1], 3)
    _mutate(client, f"ALTER TABLE movement_ledger DELETE WHERE event_id = '{removed}'")
    report = verify(client)
    assert report.first_break is not None
    assert (report.first_break.upn, report.first_break.event_id) == (PUPILS[1], after)


def test_removing_the_newest_rows_is_caught_by_the_checkpoint(client: Client) -> None:
    write_checkpoint(client)
    newest = _event_id(client, PUPILS[4], 3)
    _mutate(client, f"ALTER TABLE movement_ledger DELETE WHERE event_id = '{newest}'")
    report = verify(client)
    assert report.checkpoint_ok is False
    assert report.first_break is not None and report.first_break.upn == PUPILS[4]


@pytest.mark.parametrize(
    ("column", "new_value"),
    [
        ("school_urn", "'999999'"),
        ("type", "'pupil.deleted'"),
        ("occurred_on", "toDate32('2025-01-01')"),
        ("recorded_at", "recorded_at + INTERVAL 1 DAY"),
        ("event_id", "toUUID('00000000-0000-4000-8000-000000000001')"),
    ],
)
def test_a_typed_column_altered_without_its_event_is_named(
    client: Client, column: str, new_value: str
) -> None:
    """Moving a pupil's row to another school (or type, or date) changes what reports show while the
    hashed event text stays as it was: the typed columns are checked against that text."""
    target = _event_id(client, PUPILS[3], 2)
    if column in ("school_urn", "type"):
        _mutate(
            client, f"ALTER TABLE movement_ledger UPDATE {column} = {new_value} WHERE event_id = '{target}'"
        )
    else:  # a key column: deleted and inserted again with the new value
        original = client.query(
            f"SELECT toString({column}) FROM movement_ledger WHERE event_id = '{target}'"
        ).result_rows[0][0]
        _insert_copy(client, target, **{column: new_value})
        _mutate(
            client,
            f"ALTER TABLE movement_ledger DELETE WHERE event_id = '{target}' "
            f"AND toString({column}) = '{original}'",
        )
        if column == "event_id":
            target = "00000000-0000-4000-8000-000000000001"
    report = verify(client)
    assert report.first_break is not None
    assert (report.first_break.upn, report.first_break.event_id) == (PUPILS[3], target)
    assert report.first_break.problem == f"typed column {column} differs from the hashed event"


@pytest.mark.parametrize(
    ("column", "new_value"),
    [("ingested_at", "ingested_at - INTERVAL 1 DAY"), ("kafka_offset", "kafka_offset + 1000")],
)
def test_a_stamp_the_tracker_added_is_covered_by_the_hash(
    client: Client, column: str, new_value: str
) -> None:
    target = _event_id(client, PUPILS[0], 3)
    _mutate(client, f"ALTER TABLE movement_ledger UPDATE {column} = {new_value} WHERE event_id = '{target}'")
    report = verify(client)
    assert report.first_break is not None
    assert report.first_break.event_id == target
    assert "altered" in report.first_break.problem


def test_a_reordered_chain_is_named(client: Client) -> None:
    second, third = _event_id(client, PUPILS[2], 2), _event_id(client, PUPILS[2], 3)
    _mutate(client, f"ALTER TABLE movement_ledger UPDATE chain_seq = 3 WHERE event_id = '{second}'")
    _mutate(client, f"ALTER TABLE movement_ledger UPDATE chain_seq = 2 WHERE event_id = '{third}'")
    report = verify(client)
    assert report.first_break is not None
    assert (report.first_break.upn, report.first_break.event_id) == (PUPILS[2], third)
    assert "chain broken" in report.first_break.problem


def test_a_row_inserted_inside_a_chain_is_named(client: Client) -> None:
    copied = _event_id(client, PUPILS[1], 2)
    _insert_copy(client, copied, event_id="generateUUIDv4()")
    report = verify(client)
    assert report.first_break is not None
    assert report.first_break.upn == PUPILS[1]


def test_a_downgraded_chain_version_is_caught(client: Client) -> None:
    target = _event_id(client, PUPILS[4], 1)
    _mutate(client, f"ALTER TABLE movement_ledger UPDATE chain_version = 1 WHERE event_id = '{target}'")
    report = verify(client)
    assert report.first_break is not None and report.first_break.event_id == target
