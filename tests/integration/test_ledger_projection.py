"""Migration 0004: school reports read the ledger through its by-school projection, for rows
written before the migration too. Checked with EXPLAIN (which parts and granules a query reads),
never with timings."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from clickhouse_connect.driver.client import Client

from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.migrate import migrate
from rollwatch.core.settings import Settings
from services.schools.register import SchoolsRegister
from services.tracker.exit_classification import default_exit_rules
from services.tracker.la_summary import RegisterFacts, buckets_query
from services.tracker.ledger_reads import school_rows, school_rows_query
from tests.support.gias import JANUARY, JANUARY_LINKS

pytestmark = pytest.mark.clickhouse

PROJECTION = "by_school_and_date"
ROWS = 200_000

# Synthetic rows straight into the table, many pupils across many schools (the fixture register's
# URNs among them); the event JSON has what the reports read.
_GENERATE = f"""
INSERT INTO movement_ledger
    (event_id, type, upn, school_urn, occurred_on, recorded_at, ingested_at, kafka_partition,
     kafka_offset, chain_seq, prev_hash, hash, event)
SELECT
    generateUUIDv4(number) AS event_id,
    ['pupil.enrolled', 'pupil.deleted', 'pupil.suspended'][1 + number % 3] AS type,
    concat('A', leftPad(toString(cityHash64(number, 1) % 50000), 12, '0')) AS upn,
    toString(100000 + cityHash64(number, 2) % 2000) AS school_urn,
    toDate32('2024-09-01') + toInt32(cityHash64(number, 3) % 730) AS occurred_on,
    toDateTime64(occurred_on, 3) AS recorded_at, now64(3), 0, number, 1, '', '',
    concat('{{"data":{{"ground":"home_education","destination":{{"kind":"home_education"}}}},',
           '"pupil":{{"year_group":', toString(number % 12), ',"sen_provision":"N"}}}}') AS event
FROM numbers({ROWS})
"""


def _plan(client: Client, sql: str, parameters: dict[str, object]) -> str:
    rows = client.query("EXPLAIN indexes = 1 " + sql, parameters=parameters).result_rows
    return "\n".join(row[0] for row in rows)


@pytest.fixture
def clients(migrated_ledger_settings: Settings) -> ClientPerThread:
    pool = ClientPerThread(migrated_ledger_settings)
    return pool


def test_a_schools_movements_read_the_projection(clients: ClientPerThread) -> None:
    client = clients.get()
    client.command(_GENERATE)
    sql, parameters = school_rows_query("100050", dt.date(2025, 9, 1), dt.date(2026, 8, 31), None)
    plan = _plan(client, sql, parameters)
    assert f"ReadFromMergeTree ({PROJECTION})" in plan, plan
    typed_sql, typed_parameters = school_rows_query(
        "100050", dt.date(2025, 9, 1), dt.date(2026, 8, 31), ["pupil.deleted"]
    )
    assert f"ReadFromMergeTree ({PROJECTION})" in _plan(client, typed_sql, typed_parameters)


def test_the_la_summary_reads_by_school(clients: ClientPerThread) -> None:
    client = clients.get()
    client.command(_GENERATE)
    facts = RegisterFacts.of(SchoolsRegister.from_gias_files(JANUARY, JANUARY_LINKS), "886")
    assert facts.succession, "LA 886 of the fixture register has academy conversions"
    sql, parameters = buckets_query(
        facts, [(dt.date(2025, 9, 1), dt.date(2026, 8, 31))], default_exit_rules()
    )
    plan = _plan(client, sql, parameters)
    # The LA's rows come from the table the statistics views keep by school (migration 0010), the
    # successors' enrolments from the by-school projection: never the ledger in UPN order.
    reads = re.findall(r"ReadFromMergeTree \(([^)]*)\)", plan)
    assert len(reads) >= 2, plan
    assert all(read == PROJECTION or read.endswith(".ledger_school_events") for read in reads), plan


def test_rows_written_before_the_migration_are_served_by_it_too(ledger_settings: Settings) -> None:
    clients = ClientPerThread(ledger_settings)
    client = clients.get()
    migrate(client, up_to=3)
    client.command(_GENERATE)
    applied = [m.version for m in migrate(client)]
    assert 4 in applied
    deadline = time.monotonic() + 60
    while client.query(
        "SELECT count() FROM system.mutations WHERE database = currentDatabase() "
        "AND table = 'movement_ledger' AND NOT is_done"
    ).result_rows[0][0]:
        assert time.monotonic() < deadline, "the projection was not materialised within 60 s"
        time.sleep(0.2)
    in_projection = client.query(
        "SELECT sum(rows) FROM system.projection_parts WHERE database = currentDatabase() "
        "AND table = 'movement_ledger' AND name = {p:String} AND active",
        parameters={"p": PROJECTION},
    ).result_rows[0][0]
    assert in_projection == ROWS
    start, end = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    through_projection = school_rows(clients, "100123", start, end, None)
    sql, parameters = school_rows_query("100123", start, end, None)
    direct = client.query(sql + " SETTINGS optimize_use_projections = 0", parameters=parameters).result_rows
    assert [row[0] for row in through_projection] == [str(row[0]) for row in direct]
    assert len(direct) > 0
