"""The ledger write is idempotent: replays, re-cut batches and repeated event ids add nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import pytest
from clickhouse_connect.driver.client import Client

from rollwatch.core import clickhouse
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.settings import Settings
from schemas import parse_event
from schemas.parse import canonical_bytes
from services.tracker.ledger_reads import pupil_rows
from services.tracker.ledger_writer import LedgerWriter, Received
from services.tracker.view_copies import Repaired, check_event_copies, check_rolls, repair_broken_parts
from tests.support.events import enrolment, retraction, upn_for

pytestmark = pytest.mark.clickhouse


def _received(count: int, first_offset: int = 0) -> list[Received]:
    items = []
    for i in range(count):
        event = parse_event(
            enrolment(upn_for(801, 2000, 20, i % 7), occurred_on=dt.date(2026, 9, 1 + i % 20))
        )
        items.append(Received(event, canonical_bytes(event), partition=i % 2, offset=first_offset + i))
    return items


@pytest.fixture(autouse=True, params=["literal lists", "split lists"])
def list_form(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test with the batch's ids and UPNs sent as separate literals, and as one string the
    engine splits (`in_list`'s form for a batch of 256 or more)."""
    monkeypatch.setattr(clickhouse, "LONG_LIST", 10**9 if request.param == "literal lists" else 2)


@pytest.fixture
def clients(migrated_ledger_settings: Settings) -> ClientPerThread:
    pool = ClientPerThread(migrated_ledger_settings)
    return pool


def _rows(clients: ClientPerThread) -> int:
    count: int = clients.get().query("SELECT count() FROM movement_ledger").result_rows[0][0]
    return count


def test_a_replayed_batch_adds_no_rows(clients: ClientPerThread) -> None:
    writer = LedgerWriter(clients)
    batch = _received(50)
    assert writer.write(batch).written == 50
    again = writer.write(batch)
    assert (again.written, again.duplicates) == (0, 50)
    assert _rows(clients) == 50


def test_a_replay_cut_into_other_batches_adds_no_rows(clients: ClientPerThread) -> None:
    writer = LedgerWriter(clients)
    batch = _received(60)
    writer.write(batch[:40])
    result = writer.write(batch[20:])  # overlaps the first write, then new events
    assert (result.written, result.duplicates) == (20, 20)
    assert _rows(clients) == 60


def test_the_same_event_twice_in_one_batch_is_one_row(clients: ClientPerThread) -> None:
    writer = LedgerWriter(clients)
    [item] = _received(1)
    assert writer.write([item, item]).written == 1
    assert _rows(clients) == 1


def test_history_is_the_pupils_rows_in_time_order(clients: ClientPerThread) -> None:
    writer = LedgerWriter(clients)
    writer.write(list(reversed(_received(70))))
    upn = upn_for(801, 2000, 20, 3)
    history = pupil_rows(clients, [upn])
    assert len(history) == 10
    dates = [row.occurred_on for row in history]
    assert dates == sorted(dates)
    assert {row.event["upn"] for row in history} == {upn}
    assert [row.chain_seq for row in sorted(history, key=lambda r: r.chain_seq)] == list(range(1, 11))


def test_a_resent_batch_writes_the_copies_a_killed_insert_left_unwritten(clients: ClientPerThread) -> None:
    """ClickHouse writes the ledger's part, then each materialised view's: a process killed between
    them leaves ledger rows without copies. The resend (offsets were never committed) writes them."""
    writer = LedgerWriter(clients)
    batch = _received(30)
    undo = parse_event(retraction(orjson.loads(batch[3].canonical)))
    batch.append(Received(undo, canonical_bytes(undo), partition=0, offset=100))
    assert writer.write(batch).written == 31
    client = clients.get()
    assert check_event_copies(client) is None and check_rolls(client) is None
    # What the kill leaves: some rows' copies missing in every table the views keep.
    lost = f"event_id IN ('{undo.event_id}', '{batch[0].event.event_id}', '{batch[7].event.event_id}')"
    for table in ("pupil_history_rows", "ledger_school_events", "ledger_references"):
        client.command(f"ALTER TABLE {table} DELETE WHERE {lost}", settings={"mutations_sync": 2})
    client.command("TRUNCATE TABLE school_pupil_rolls")
    missing = check_event_copies(client)
    assert missing is not None and missing.problem.startswith("missing:"), missing
    again = writer.write(batch)
    assert (again.written, again.duplicates, again.restored) == (0, 31, 3 + 3 + 1)
    assert check_event_copies(client) is None and check_rolls(client) is None
    assert _rows(clients) == 31
    # Once whole, a further resend writes nothing: the roll states added again merge to the same.
    assert writer.write(batch).restored == 0
    assert check_event_copies(client) is None and check_rolls(client) is None


def test_copies_in_parts_the_engine_set_aside_as_broken_are_written_again_at_start(
    clients: ClientPerThread,
) -> None:
    """A disk that filled mid-insert can leave a view's part with empty files that no insert failed
    on; the engine sets it aside when it next opens the table (`broken-on-start`) and its rows are
    gone. The tracker's start writes them again from the ledger and drops the set-aside part. (The
    loss and the set-aside part are made by hand: chDB opens a folder once per process.)"""
    writer = LedgerWriter(clients)
    batch = _received(40)
    writer.write(batch)
    client = clients.get()
    assert repair_broken_parts(client) == Repaired(0, (), ())  # nothing set aside: nothing done
    lost = f"event_id IN ('{batch[0].event.event_id}', '{batch[5].event.event_id}')"
    client.command(f"ALTER TABLE ledger_school_events DELETE WHERE {lost}", settings={"mutations_sync": 2})
    client.command("TRUNCATE TABLE school_pupil_rolls")
    for table in ("school_pupil_rolls", "movement_ledger"):
        _set_aside_as_broken(client, table, "broken-on-start_all_9_9_0")
    assert check_event_copies(client) is not None and check_rolls(client) is not None

    repaired = repair_broken_parts(client)

    assert repaired.copies == 2
    assert repaired.dropped == ("school_pupil_rolls/broken-on-start_all_9_9_0",)
    assert repaired.ledger == ("broken-on-start_all_9_9_0",)  # reported, left for an operator
    assert check_event_copies(client) is None and check_rolls(client) is None
    assert repair_broken_parts(client).dropped == ()  # once only
    assert _rows(clients) == 40


def _set_aside_as_broken(client: Client, table: str, part: str) -> None:
    path = client.query(
        "SELECT data_paths[1] FROM system.tables WHERE database = currentDatabase() AND name = {t:String}",
        parameters={"t": table},
    ).result_rows[0][0]
    (Path(path) / "detached" / part).mkdir(parents=True)
