"""The clustered ledger's DDL (ROLLWATCH_CLICKHOUSE_CLUSTER): every statement the migrations
become on a cluster parses in the real engine (chDB's parser, `EXPLAIN AST`: chDB cannot run a
cluster, so creating the tables is left to a real cluster, see docs/operations.md), with the
shape the ledger needs; the single-node DDL is unchanged."""

from __future__ import annotations

import re

import pytest

from rollwatch.core.clickhouse import connect
from rollwatch.core.cluster_ddl import SHARDED, ClusterDDLError, for_cluster
from rollwatch.core.migrate import _HISTORY_TABLE, available
from rollwatch.core.settings import Settings

CLUSTER, DATABASE = "rollwatch", "rollwatch"


def _cluster_statements() -> list[str]:
    statements = for_cluster(_HISTORY_TABLE, CLUSTER, DATABASE)
    for migration in available():
        statements += migration.statements(CLUSTER, DATABASE)
    return statements


def test_single_node_statements_are_the_files_unchanged() -> None:
    for migration in available():
        joined = "".join(migration.statements())
        assert all(s in migration.sql for s in migration.statements())
        assert "ON CLUSTER" not in joined and "Replicated" not in joined and "Distributed" not in joined
        assert migration.statements() == migration.statements(None, DATABASE)


def test_every_table_is_replicated_on_the_cluster_and_pupil_tables_sharded_by_upn() -> None:
    statements = _cluster_statements()
    backfills = [s for s in statements if s.startswith("INSERT")]
    assert all(f"ON CLUSTER '{CLUSTER}'" in s for s in statements if s not in backfills)
    creates = [s for s in statements if s.startswith("CREATE")]
    assert not [s for s in creates if re.search(r"ENGINE\s*=\s*(Replacing)?MergeTree\b", s)]
    for table, key in SHARDED.items():
        [local] = [s for s in creates if f"EXISTS {table}_local ON" in s]
        assert f"'/clickhouse/tables/{{shard}}/{DATABASE}/{table}_local', '{{replica}}'" in local
        [distributed] = [s for s in creates if f"EXISTS {table} ON" in s]
        assert f"Distributed('{CLUSTER}', '{DATABASE}', '{table}_local', {key})" in distributed
        assert key == "sipHash64(upn)"  # a pupil's hash chain lives on one shard
    ledger = next(s for s in creates if "movement_ledger_local ON" in s)
    assert "replicated_deduplication_window = 10000" in ledger and "non_replicated" not in ledger
    placements = next(s for s in creates if "pupil_placements_local ON" in s)
    assert "ReplicatedReplacingMergeTree(" in placements and placements.split("ENGINE")[1].count("version")
    # The statistics views run on every node, from the local ledger (or the local table a view of
    # it keeps) to the local tables; their backfill runs once, through the Distributed tables.
    views = [s for s in creates if "MATERIALIZED VIEW" in s]
    assert {s.split(" TO ")[1].split()[0]: re.findall(r"\bFROM\s+(\w+)", s)[-1] for s in views} == {
        "ledger_school_events_local": "movement_ledger_local",
        "ledger_references_local": "movement_ledger_local",
        "school_pupil_rolls_local": "ledger_school_events_local",
        "pupil_history_rows_local": "movement_ledger_local",
    }
    assert [s.split()[2] for s in backfills] == [
        "ledger_school_events",
        "ledger_references",
        "school_pupil_rolls",
        "pupil_history_rows",
        "pupil_placements_0022",
    ]
    assert all(
        re.search(r"FROM (movement_ledger|ledger_school_events|pupil_placements)\b(?!_)", s)
        and "ON CLUSTER" not in s
        and "SETTINGS distributed_foreground_insert = 1\nSELECT" in s
        for s in backfills
    )
    # A table made again (0022): its copy is sharded as it is, the local tables change places
    # (each Distributed table reads its local one by name), and the old one goes on every node.
    assert (
        f"EXCHANGE TABLES pupil_placements_local AND pupil_placements_0022_local ON CLUSTER '{CLUSTER}'"
        in statements
    )
    drops = [s for s in statements if s.startswith("DROP")]
    assert {s.split()[4] for s in drops} == {"pupil_placements_0022", "pupil_placements_0022_local"}
    # Column changes reach the Distributed table too; projections only the local tables.
    assert any(s.startswith("ALTER TABLE movement_ledger ON") and "chain_version" in s for s in statements)
    assert not any(s.startswith("ALTER TABLE movement_ledger ON") and "PROJECTION" in s for s in statements)


def test_an_unknown_statement_is_refused() -> None:
    with pytest.raises(ClusterDDLError):
        for_cluster("CREATE VIEW v AS SELECT 1", CLUSTER, DATABASE)
    with pytest.raises(ClusterDDLError, match="sharded"):
        for_cluster("EXCHANGE TABLES pupil_placements AND alerts", CLUSTER, DATABASE)


def test_a_cluster_needs_a_clickhouse_server() -> None:
    with pytest.raises(ValueError, match="CLICKHOUSE_URL"):
        Settings(clickhouse_cluster="rollwatch")
    assert Settings().clickhouse_cluster is None


@pytest.mark.clickhouse
def test_every_cluster_statement_parses_in_the_engine(ledger_settings: Settings) -> None:
    client = connect(ledger_settings)
    statements = _cluster_statements()
    single = 1 + sum(len(m.statements()) for m in available())
    assert len(statements) > single  # the sharded tables' Distributed halves on top
    for statement in statements:
        ast = client.query(f"EXPLAIN AST {statement}").result_rows
        kinds = ("CreateQuery", "AlterQuery", "InsertQuery", "Rename (", "DropQuery")
        assert ast and any(kind in ast[0][0] for kind in kinds), statement
