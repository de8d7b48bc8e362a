"""Versioned ClickHouse migrations: `NNNN_name.sql` files applied once each, in order."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

from clickhouse_connect.driver.client import Client

from rollwatch.core.cluster_ddl import for_cluster
from rollwatch.core.retention import apply_retention
from rollwatch.core.settings import Settings

log = logging.getLogger(__name__)

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_HISTORY_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations
(
    version    UInt32,
    name       String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree ORDER BY version
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    def statements(self, cluster: str | None = None, database: str = "") -> list[str]:
        """The statements of this migration; for a ClickHouse cluster, their ON CLUSTER,
        replicated and sharded form (rollwatch/core/cluster_ddl.py)."""
        # Statements end with ';' at the end of a line; comments are kept (ClickHouse skips them).
        parts = re.split(r";\s*(?:\n|$)", self.sql)
        single = [p.strip() for p in parts if _has_code(p)]
        if cluster is None:
            return single
        return [s for statement in single for s in for_cluster(statement, cluster, database)]


def _has_code(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())


def available() -> list[Migration]:
    found = []
    for entry in resources.files("rollwatch.core.migrations").iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a version number: {versions}")
    return found


def applied(client: Client, cluster: str | None = None) -> set[int]:
    for statement in (
        [_HISTORY_TABLE]
        if cluster is None
        else for_cluster(_HISTORY_TABLE, cluster, client.database or "default")
    ):
        client.command(statement)
    return {row[0] for row in client.query("SELECT version FROM schema_migrations").result_rows}


def migrate_for(client: Client, settings: Settings) -> list[Migration]:
    """Every migration not yet applied, then what the settings say of the tables (the retention
    of records holding UPNs, rollwatch/core/retention.py); the migrations applied."""
    ran = migrate(client, cluster=settings.clickhouse_cluster)
    apply_retention(client, settings)
    return ran


def migrate(client: Client, up_to: int | None = None, cluster: str | None = None) -> list[Migration]:
    """Apply every migration not yet applied (up to `up_to` if given); return those applied.
    `cluster` (ROLLWATCH_CLICKHOUSE_CLUSTER): apply them ON CLUSTER, replicated and sharded."""
    done = applied(client, cluster)
    ran = []
    for migration in available():
        if migration.version in done or (up_to is not None and migration.version > up_to):
            continue
        for statement in migration.statements(cluster, client.database or "default"):
            client.command(statement)
        client.insert(
            "schema_migrations", [[migration.version, migration.name]], column_names=["version", "name"]
        )
        log.info("migration applied", extra={"version": migration.version, "migration": migration.name})
        ran.append(migration)
    return ran
