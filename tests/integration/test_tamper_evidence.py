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
