"""`rollwatch compact`: the tables a pupil's history reads, each merged into one part.

A history is three point reads (`ledger_reads.pupil_record`), and each looks for the pupil in
every active part of its table: the parts' index, marks and one granule of every column read,
part after part. ClickHouse's own merges keep a live table at a handful of parts of each size (the
bench's 10M-row ledger: `pupil_history_rows` 9, `pupil_placements` 6, `pupil_identity_links` 4).
Merged into one part each, the same ledger read a pupil's rows in 6.1 ms p50 against 10.2,
the placement in 4.0 against 6.8 and the links in 4.3 against 5.5 (docs/operations.md, "Compacting
the history's tables").

`OPTIMIZE TABLE ... FINAL` rewrites a whole table: its size again free on disk while it runs, and
about 40 s of one core per 10M ledger rows. The ledger's copy and the links are plain MergeTree
tables: a merge keeps every row. `pupil_placements` is a ReplacingMergeTree: a merge keeps each
pupil's latest placement and drops the versions before it, as the engine's own merges do; every
reader takes the latest (FINAL or argMax), and `verify` compares that one with the ledger. The
tracker may go on writing: parts it writes meanwhile stay beside the merged one."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from clickhouse_connect.driver.client import Client

from services.tracker.tables import HISTORY_ROWS, IDENTITY_LINKS, PLACEMENTS

log = logging.getLogger(__name__)

# What a history reads, in the order it is worth merging them (the rows' read costs most).
HISTORY_TABLES = (HISTORY_ROWS, PLACEMENTS, IDENTITY_LINKS)


class NoRoom(RuntimeError):
    """Less free disk than the table being merged takes: the merge writes a copy before it drops
    the parts it replaces."""


@dataclass(frozen=True)
class Parts:
    """A table's active parts (on a cluster: the local table's on the node asked)."""

    count: int
    rows: int
    bytes: int


@dataclass(frozen=True)
class Compacted:
    table: str
    before: Parts
    after: Parts
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return {
            "table": self.table,
            "parts_before": self.before.count,
            "parts_after": self.after.count,
            "rows": self.after.rows,
            "bytes_before": self.before.bytes,
            "bytes_after": self.after.bytes,
            "seconds": round(self.seconds, 1),
        }


def storage_table(table: str, cluster: str | None) -> str:
    """Where a table's parts are: on a cluster, the local table under its Distributed one
    (rollwatch/core/cluster_ddl.py shards every history table by pupil)."""
    return f"{table}_local" if cluster else table


def optimize_sql(table: str, cluster: str | None) -> str:
    on_cluster = f" ON CLUSTER `{cluster}`" if cluster else ""
    return f"OPTIMIZE TABLE `{storage_table(table, cluster)}`{on_cluster} FINAL"


def parts_of(client: Client, table: str) -> Parts:
    count, rows, size = client.query(
        "SELECT count(), sum(rows), sum(bytes_on_disk) FROM system.parts "
        "WHERE active AND database = currentDatabase() AND table = {table:String}",
        parameters={"table": table},
    ).result_rows[0]
    return Parts(int(count), int(rows), int(size))


def free_bytes(client: Client) -> int:
    """Free space on the disk the tables live on (the default one: Rollwatch's migrations name
    no storage policy)."""
    rows = client.query("SELECT free_space FROM system.disks WHERE name = 'default'").result_rows
    return int(rows[0][0]) if rows else 0


def check_room(table: str, parts: Parts, free: int) -> None:
    if parts.bytes > free:
        raise NoRoom(
            f"{table}: the merge needs {_size(parts.bytes)} free on disk (a copy of the table) and "
            f"{_size(free)} is free; make room and run it again"
        )


def compact(
    client: Client,
    cluster: str | None = None,
    tables: Sequence[str] = HISTORY_TABLES,
    progress: Callable[[str], None] = lambda _: None,
) -> list[Compacted]:
    """Blocking. Merge each table with more than one part into one; a table already in one part
    is left alone. Raises `NoRoom` before a merge the disk has no room for."""
    done = []
    for table in tables:
        stored = storage_table(table, cluster)
        before = parts_of(client, stored)
        if before.count <= 1:
            progress(f"{table}: {_described(before)}, nothing to merge")
            done.append(Compacted(table, before, before, 0.0))
            continue
        check_room(table, before, free_bytes(client))
        progress(f"{table}: merging {_described(before)} ...")
        started = time.monotonic()
        client.command(optimize_sql(table, cluster))
        seconds = time.monotonic() - started
        after = parts_of(client, stored)
        progress(f"{table}: {_described(after)} in {seconds:.1f} s")
        log.info(
            "history table compacted",
            extra={"table": table, "parts_before": before.count, "parts_after": after.count,
                   "seconds": round(seconds, 1)},
        )  # fmt: skip
        done.append(Compacted(table, before, after, seconds))
    return done


def _described(parts: Parts) -> str:
    noun = "part" if parts.count == 1 else "parts"
    return f"{parts.count} {noun} ({parts.rows:,} rows, {_size(parts.bytes)})"


def _size(count: int) -> str:
    return f"{count / 2**20:,.1f} MiB"
