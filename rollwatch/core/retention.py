"""How long ClickHouse keeps the records that hold UPNs outside the ledger and the audit logs:
a TTL on the alert delivery log (`ROLLWATCH_DELIVERY_LOG_TTL_DAYS`) and on the deliveries given
up on (`ROLLWATCH_DEAD_LETTERS_TTL_DAYS`). Migration 0012 sets the defaults; `apply_retention`
(after the migrations, at every start and in `rollwatch migrate`) sets the configured days where
the table holds others. The dead-letter topics' retention is set by `ensure_topics`."""

from __future__ import annotations

import logging
import re

from clickhouse_connect.driver.client import Client

from rollwatch.core.cluster_ddl import for_cluster
from rollwatch.core.settings import Settings

log = logging.getLogger(__name__)

# Table -> the setting that says for how many days its rows are kept (after their `at`).
# The outbox (0015) holds secure routes' notifications whole, and the dead letters' fate: as long
# as the dead letters.
RETENTION = {
    "alert_deliveries": "delivery_log_ttl_days",
    "alert_dead_letters": "dead_letters_ttl_days",
    "alert_outbox": "dead_letters_ttl_days",
}
_DAYS = re.compile(r"\bTTL\s+toDateTime\(at\)\s*\+\s*toIntervalDay\((\d+)\)")


def ttl_statement(table: str, days: int) -> str:
    return f"ALTER TABLE {table} MODIFY TTL toDateTime(at) + INTERVAL {days} DAY"


def ttl_days(client: Client, table: str) -> int | None:
    """The days the table's TTL keeps rows for, as the server holds it; None without a TTL."""
    rows = client.query(
        "SELECT create_table_query FROM system.tables "
        "WHERE database = currentDatabase() AND name = {t:String}",
        parameters={"t": table},
    ).result_rows
    found = _DAYS.search(rows[0][0]) if rows else None
    return int(found.group(1)) if found else None


def apply_retention(client: Client, settings: Settings) -> list[str]:
    """Set each table's TTL to its setting where it differs; the tables changed."""
    changed = []
    for table, setting in RETENTION.items():
        days: int = getattr(settings, setting)
        if ttl_days(client, table) == days:
            continue
        statement = ttl_statement(table, days)
        cluster = settings.clickhouse_cluster
        for each in (
            [statement] if cluster is None else for_cluster(statement, cluster, client.database or "")
        ):
            client.command(each)
        log.info("retention set", extra={"table": table, "days": days})
        changed.append(table)
    return changed
