"""Every row each ClickHouse store inserts matches its table's columns, in the migrated schema of
the real engine: each store is driven through its own write path (nothing stubbed), every
`insert` it makes is watched on the way through, and its column names must be columns of the
table it names. The stores together must write every table the migrations create, so a new table
or store without a writer here fails too; the tables materialised views keep must be written by
no store, and get rows from the stores' writes. (Found: the delivery log inserted `retry_in_s`,
which `alert_deliveries` lacks, so it never saved an attempt; the dispatcher swallows the error.)"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client

from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.migrate import migrate
from rollwatch.core.settings import Settings
from schemas import parse_event
from schemas.parse import canonical_bytes
from services.alerts.delivery import Notification
from services.alerts.delivery.outcomes import DeadLetter, DeliveryAttempt
from services.alerts.delivery.pending import Queued
from services.alerts.lifecycle import Alert, Silence
from services.alerts.notify import ClickHouseDeliveryLog
from services.alerts.outbox import ClickHousePendingStore
from services.alerts.store import AlertStore
from services.schools.importer import import_register
from services.tracker import placement
from services.tracker.access_log import record_access
from services.tracker.ledger_writer import LedgerWriter, Received
from services.tracker.roll_checks import RollCheckWriter
from services.tracker.verification_log import verify_and_record
from tests.support.allinone import GIAS_FILE, GIAS_LINKS
from tests.support.events import enrolment, retraction, temporary_upn_for, upn_for
from tests.support.scenarios import roll_check
from tests.support.secrets import SECRETS

pytestmark = pytest.mark.clickhouse

NOW = dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.UTC)
Inserted = list[tuple[str, tuple[str, ...]]]


@pytest.fixture
def inserted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inserted]:
    """Every (table, column names) inserted through any client, on any thread; the insert runs."""
    calls: Inserted = []
    real_insert = Client.insert

    def watched(self: Client, table: str | None = None, data: Any = None, column_names: Any = "*",
                *args: Any, **kwargs: Any) -> Any:  # fmt: skip
        assert table is not None and column_names != "*", "a store names its table and its columns"
        calls.append((table, tuple(column_names)))
        return real_insert(self, table, data, column_names, *args, **kwargs)

    monkeypatch.setattr(Client, "insert", watched)
    yield calls


@pytest.fixture
def clients(ledger_settings: Settings, inserted: Inserted) -> ClientPerThread:
    pool = ClientPerThread(ledger_settings)
    migrate(pool.get())
    return pool


def _columns(client: Client) -> dict[str, set[str]]:
    rows = client.query(
        "SELECT table, name FROM system.columns WHERE database = currentDatabase()"
    ).result_rows
    tables: dict[str, set[str]] = {}
    for table, name in rows:
        tables.setdefault(table, set()).add(name)
    return tables


def _writable_tables(client: Client) -> set[str]:
    rows = client.query(
        "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine NOT LIKE '%View%'"
    ).result_rows
    return {name for (name,) in rows}


def _view_targets(client: Client) -> set[str]:
    """The tables materialised views write (ClickHouse itself, on each insert into their source)."""
    rows = client.query(
        "SELECT arrayJoin(dependencies_table) FROM system.tables "
        "WHERE database = currentDatabase() AND engine NOT LIKE '%View%'"
    ).result_rows
    views = {name for (name,) in rows}
    targets = client.query(
        "SELECT create_table_query FROM system.tables "
        "WHERE database = currentDatabase() AND name IN {v:Array(String)}",
        parameters={"v": sorted(views)},
    ).result_rows
    return {query.split(" TO ", 1)[1].split()[0].split(".")[-1] for (query,) in targets}


def _alert() -> Alert:
    return Alert(
        alert_id=uuid.uuid4().hex, fingerprint="f" * 32, rule="no_destination", severity="high",
        la_code="886", school_urn="100046", upn=upn_for(886, 2100, 19, 1), evidence=(str(uuid.uuid4()),),
        reason="A prompt for enquiry.", statutory_reference="reg 13", as_of=NOW.date(),
        key_event_id=None, due_on=NOW.date() + dt.timedelta(days=10), status="open", opened_at=NOW,
        updated_at=NOW, seq=1, transition="opened", parameters_version="test",
    )  # fmt: skip


def _notification(alert: Alert) -> Notification:
    return Notification(
        alert_id=alert.alert_id, rule=alert.rule, severity="high", status="open", la_code="886",
        school_urn="100046", reason=alert.reason, statutory_reference=alert.statutory_reference,
        evidence=alert.evidence, opened_at=NOW, updated_at=NOW, fingerprint=None,
    )  # fmt: skip


def _drive_every_store(clients: ClientPerThread) -> None:
    client = clients.get()
    import_register(client, GIAS_FILE, GIAS_LINKS)  # schools_register, school_links, register_imports

    writer = LedgerWriter(clients)  # movement_ledger, pupil_identity_links (a former UPN)
    raw = enrolment(
        upn_for(886, 2100, 19, 1), school_urn="100046", former_upn=temporary_upn_for(886, 2100, 19, 1)
    )
    event = parse_event(raw)
    withdrawn = parse_event(retraction(raw))  # the statistics views' references table
    written = writer.write(
        [Received(e, canonical_bytes(e), partition=0, offset=n) for n, e in enumerate((event, withdrawn))]
    )
    assert written.written == 2
    after, _ = placement.apply(None, event, 0)
    writer.record_placements({event.upn: (0, after)})
    check = parse_event(roll_check("100046", NOW.date() - dt.timedelta(days=1), 1))  # school_roll_checks
    assert RollCheckWriter(clients).write([Received(check, canonical_bytes(check), 0, 1)]).written == 1
    auditor = KeyRecord(key_id="0123456789ab", role="auditor", key_hash="0" * 64, created_at=NOW)
    record_access(clients, auditor, "pupil_history", event.upn, "contract test", 1)
    # ledger_checkpoints, ledger_checkpoint_heads, ledger_checkpoint_signatures, and
    # sealed_log_heads (the access log's chain)
    assert writer.checkpoint(SECRETS) is not None
    # ledger_verifications (the placement above is a stand-in: its replay is left out)
    report, _ = verify_and_record(client, SECRETS, by=auditor, via="api", placements=False)
    assert report.ok, report.first_break

    alert = _alert()
    store = AlertStore(clients)
    store.append([alert])
    store.add_silence(Silence("s1", {"rule": "no_destination"}, "tests", "contract", NOW, NOW))

    log = ClickHouseDeliveryLog(clients)
    # Now, not NOW: these tables expire their rows (migration 0012), and a row older than its TTL
    # is dropped as it is inserted.
    now = dt.datetime.now(dt.UTC)
    attempt = DeliveryAttempt(
        delivery_id="d1", channel="webhook", route_id="r1", la_code="886", alert_id=alert.alert_id,
        alert_status="open", attempt=1, status="retry", at=now, error="timeout", code=None, retry_in_s=2.5,
    )  # fmt: skip
    letter = DeadLetter(
        delivery_id="d1", channel="webhook", route_id="r1", la_code="886", attempts=3, error="timeout",
        at=now, notifications=(_notification(alert),),
    )  # fmt: skip

    pending = ClickHousePendingStore(clients)  # alert_outbox

    async def deliveries() -> None:
        await log.record(attempt)
        await log.dead_letter(letter)
        await pending.queued([Queued("r1", "webhook", letter.notifications[0], NOW)])
        await pending.settled("r1", letter.notifications, "delivered")

    asyncio.run(deliveries())


def test_every_store_inserts_only_columns_of_its_table_and_every_table_has_a_store(
    clients: ClientPerThread, inserted: Inserted
) -> None:
    _drive_every_store(clients)
    client = clients.get()
    columns = _columns(client)
    for table, names in inserted:
        assert table in columns, f"{table}: no such table in the migrated schema"
        unknown = set(names) - columns[table]
        assert not unknown, f"{table}: inserted columns the table lacks: {sorted(unknown)}"
    written = {table for table, _ in inserted}
    views = _view_targets(client)
    assert views == {"ledger_school_events", "ledger_references", "school_pupil_rolls", "pupil_history_rows"}
    assert not views & written, "a store writes a table a materialised view keeps"
    assert _writable_tables(client) - written - views == set(), "tables no store here writes"
    for table in written | views:
        count = client.query(f"SELECT count() FROM {table}").result_rows[0][0]
        assert count > 0, f"{table}: the insert saved nothing"
