from __future__ import annotations

import datetime as dt

import pytest
from clickhouse_connect.driver.client import Client

from rollwatch.core.clickhouse import connect, drop_database
from rollwatch.core.migrate import applied, available, migrate, migrate_for
from rollwatch.core.retention import RETENTION, apply_retention, ttl_days
from rollwatch.core.settings import Settings
from services.tracker.ledger_writer import PLACEMENT_COLUMNS, placement_row
from tests.support.ledger_template import LedgerTemplate

pytestmark = pytest.mark.clickhouse


def test_migrations_apply_from_empty_and_again_do_nothing(ledger_settings: Settings) -> None:
    client = connect(ledger_settings)
    first = migrate(client)
    assert [m.version for m in first] == [m.version for m in available()]
    assert migrate(client) == []
    tables = {row[0] for row in client.query("SHOW TABLES").result_rows}
    assert {"movement_ledger", "schema_migrations"} <= tables


def test_a_copy_of_the_migrated_template_is_what_the_migrations_make(
    ledger_settings: Settings, _ledger_template: LedgerTemplate
) -> None:
    """The databases the `migrated_ledger_settings` fixture hands out are copies of a template."""
    migrated = connect(ledger_settings)
    migrate(migrated)
    copy = ledger_settings.model_copy(
        update={"clickhouse_database": f"{ledger_settings.clickhouse_database}_copy"}
    )
    try:
        copied = _ledger_template.copy_into(copy)
        assert _schema(copied) == _schema(migrated)
        assert applied(copied) == applied(migrated)
    finally:
        drop_database(copy)


def _schema(client: Client) -> dict[str, str]:
    """Each table's and view's definition, its database's name left out."""
    rows = client.query(
        "SELECT name, create_table_query FROM system.tables WHERE database = currentDatabase()"
    ).result_rows
    return {name: create.replace(f"{client.database}.", "DB.") for name, create in rows}


@pytest.mark.parametrize("start", [m.version for m in available()])
def test_migrations_apply_on_top_of_each_earlier_version(ledger_settings: Settings, start: int) -> None:
    client = connect(ledger_settings)
    migrate(client, up_to=start)
    rest = migrate(client)
    assert [m.version for m in rest] == [m.version for m in available() if m.version > start]


def test_a_ledger_migrated_before_0004_existed_gets_it(ledger_settings: Settings) -> None:
    """Ledgers deployed before 0004 was written have 1, 2, 3 and 5: the runner applies the gap."""
    client = connect(ledger_settings)
    applied(client)  # the history table
    for migration in available():
        if migration.version == 4:
            continue
        for statement in migration.statements():
            client.command(statement)
        client.insert(
            "schema_migrations", [[migration.version, migration.name]], column_names=["version", "name"]
        )
    assert [m.version for m in migrate(client)] == [4]
    create = client.query("SHOW CREATE TABLE movement_ledger").result_rows[0][0]
    assert "PROJECTION by_school_and_date" in create
    assert migrate(client) == []


def test_a_ledger_migrated_before_0021_writes_its_history_copy_in_small_blocks(
    ledger_settings: Settings,
) -> None:
    """The point reads' blocks (0021) are a setting of the table, so parts written from then on
    (and merges) use them on a ledger of any age."""
    client = connect(ledger_settings)
    migrate(client, up_to=20)
    assert "min_compress_block_size" not in _create(client, "pupil_history_rows")
    assert [m.version for m in migrate(client, up_to=21)] == [21]
    create = _create(client, "pupil_history_rows")
    assert "min_compress_block_size = 4096, max_compress_block_size = 16384" in create


@pytest.mark.parametrize("done_before", [0, 2, 3, 4], ids=["fresh", "made", "copied", "exchanged"])
def test_0022_makes_the_placements_table_again_with_every_row_even_when_run_again(
    ledger_settings: Settings, done_before: int
) -> None:
    """0022 makes `pupil_placements` again with small granules. A run cut off after any of its
    statements (`done_before` of them ran; none recorded) leaves every row once it runs again."""
    client = connect(ledger_settings)
    migrate(client, up_to=21)
    now = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
    states = {
        "A123456789012": {"on_roll": {"100001": "single"}, "open_ap": {}, "last_exit": None, "offset": 4},
        "B123456789012": {"on_roll": {}, "open_ap": {}, "last_exit": None, "offset": 9},
    }
    rows = [placement_row(upn, state["offset"], state, now) for upn, state in states.items()]
    rows.append(placement_row("A123456789012", 2, {**states["A123456789012"], "offset": 2}, now))
    client.insert("pupil_placements", rows, column_names=PLACEMENT_COLUMNS)
    before = _placements(client)
    [migration] = [m for m in available() if m.version == 22]
    for statement in migration.statements()[:done_before]:
        client.command(statement)
    assert [m.version for m in migrate(client)] == [22]
    assert _placements(client) == before == [("A123456789012", 4), ("B123456789012", 9)]
    assert "index_granularity = 256" in _create(client, "pupil_placements")
    assert not client.query("EXISTS TABLE pupil_placements_0022").result_rows[0][0]


def _placements(client: Client) -> list[tuple[str, int]]:
    rows = client.query("SELECT upn, version FROM pupil_placements FINAL ORDER BY upn").result_rows
    return [(str(upn), int(version)) for upn, version in rows]


def _create(client: Client, table: str) -> str:
    return str(client.query(f"SHOW CREATE TABLE {table}").result_rows[0][0])


def test_the_delivery_log_and_dead_letters_expire_as_the_settings_say(ledger_settings: Settings) -> None:
    """Migrations 0012 and 0015 give the tables holding UPNs outside the ledger a TTL (the defaults); a start
    with other settings sets theirs, and an unchanged start changes nothing."""

    client = connect(ledger_settings)
    migrate(client)
    assert {table: ttl_days(client, table) for table in RETENTION} == {
        "alert_deliveries": Settings().delivery_log_ttl_days,
        "alert_dead_letters": Settings().dead_letters_ttl_days,
        "alert_outbox": Settings().dead_letters_ttl_days,
    }
    shorter = ledger_settings.model_copy(update={"delivery_log_ttl_days": 30, "dead_letters_ttl_days": 7})
    migrate_for(client, shorter)
    assert {table: ttl_days(client, table) for table in RETENTION} == {
        "alert_deliveries": 30,
        "alert_dead_letters": 7,
        "alert_outbox": 7,
    }
    assert apply_retention(client, shorter) == []
