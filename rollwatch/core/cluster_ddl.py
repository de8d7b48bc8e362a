"""The migrations' DDL for a ClickHouse cluster (`ROLLWATCH_CLICKHOUSE_CLUSTER`): the same tables,
replicated and sharded. The migration files stay single-node SQL; this rewrites each statement.

- Pupil-keyed tables (`SHARDED`) become `<name>_local`, a Replicated*MergeTree per shard, with a
  `Distributed` table `<name>` over them sharded by `sipHash64(upn)`: a pupil's rows, and so their
  hash chain and their placement versions, live on one shard, where verification and FINAL reads
  see all of them. The product reads and writes `<name>` as before.
- Every other table (the register, checkpoints, alerts, logs: small next to the ledger) becomes
  one Replicated*MergeTree with a copy on every node of the cluster (one replication path for
  all shards), so it keeps its name and needs no Distributed table.
- Every statement runs `ON CLUSTER`; an ALTER of a sharded table's columns alters both tables.
- A materialised view runs on every node `ON CLUSTER`, from the local table of a sharded source
  to the local table of a sharded target: it sees the inserts of its own shard's ledger part.
- `INSERT INTO t SELECT ... FROM s` (a backfill) runs once, not on the cluster: it reads the
  Distributed `s` and writes the Distributed `t`, which shards the rows as the views would, each
  shard's rows written before the statement returns (`distributed_foreground_insert`).
- `EXCHANGE TABLES a AND b` exchanges the local tables of sharded ones; `DROP TABLE` drops a
  sharded table's Distributed and local tables.

Only parsing is tested here (tests/integration/test_cluster_ddl.py: chDB cannot run a cluster);
docs/operations.md says what stays untested."""

from __future__ import annotations

import re

# Table -> its sharding expression. A pupil's chain must live on one shard.
SHARDED: dict[str, str] = {
    "movement_ledger": "sipHash64(upn)",
    "ledger_checkpoint_heads": "sipHash64(upn)",
    "pupil_identity_links": "sipHash64(upn)",
    "pupil_placements": "sipHash64(upn)",
    "pupil_placements_0022": "sipHash64(upn)",  # its copy made again (migration 0022)
    # Kept by materialised views of the ledger: each shard's view writes its own rows' copies.
    "ledger_school_events": "sipHash64(upn)",
    "ledger_references": "sipHash64(upn)",
    "pupil_history_rows": "sipHash64(upn)",
    # Kept by a materialised view of ledger_school_events (each shard's of its own rows).
    "school_pupil_rolls": "sipHash64(upn)",
}
LOCAL_SUFFIX = "_local"

_CREATE = re.compile(
    # The body: the columns, or `AS other` (another table's columns, 0022).
    r"^(?P<head>CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+)(?P<name>\w+)(?P<body>\s*\(.*\)\s*|\s+AS\s+\w+\s+)"
    r"ENGINE\s*=\s*(?P<engine>\w*MergeTree)(?:\((?P<args>[^)]*)\))?(?P<rest>.*)$",
    re.DOTALL | re.IGNORECASE,
)
_VIEW = re.compile(
    r"^(?P<head>CREATE\s+MATERIALIZED\s+VIEW\s+IF\s+NOT\s+EXISTS\s+)(?P<name>\w+)\s+TO\s+(?P<target>\w+)"
    r"(?P<select>\s+AS\s+SELECT\s.*\sFROM\s+)(?P<source>\w+)(?P<rest>.*)$",
    re.DOTALL | re.IGNORECASE,
)
_INSERT_SELECT = re.compile(r"^(?P<head>INSERT\s+INTO\s+\w+\s+)SELECT\s", re.IGNORECASE)
_ALTER = re.compile(r"^(?P<head>ALTER\s+TABLE\s+)(?P<name>\w+)(?P<rest>\s.*)$", re.DOTALL | re.IGNORECASE)
_EXCHANGE = re.compile(r"^EXCHANGE\s+TABLES\s+(?P<first>\w+)\s+AND\s+(?P<second>\w+)\s*$", re.IGNORECASE)
_DROP = re.compile(r"^(?P<head>DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?)(?P<name>\w+)\s*$", re.IGNORECASE)
_COLUMN_CHANGE = re.compile(r"\b(ADD|DROP|MODIFY|RENAME|COMMENT)\s+COLUMN\b", re.IGNORECASE)


class ClusterDDLError(ValueError):
    """A migration statement this module does not know how to run on a cluster."""


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _replicated(engine: str, args: str | None, path: str) -> str:
    if not engine.endswith("MergeTree") or engine.startswith("Replicated"):
        raise ClusterDDLError(f"cannot replicate engine {engine}")
    params = [_quote(path), "'{replica}'"] + ([args.strip()] if args and args.strip() else [])
    return f"Replicated{engine}({', '.join(params)})"


def _local(name: str) -> str:
    return name + LOCAL_SUFFIX if name in SHARDED else name


def for_cluster(statement: str, cluster: str, database: str) -> list[str]:
    """The statements that do on `cluster` what `statement` does on one node."""
    on = f" ON CLUSTER {_quote(cluster)}"
    lines = statement.strip().splitlines()
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("--")):
        lines.pop(0)  # the comments before a statement
    text = "\n".join(lines)
    create = _CREATE.match(text)
    if create:
        name, rest = create["name"], create["rest"]
        rest = re.sub(r"\bnon_replicated_deduplication_window\b", "replicated_deduplication_window", rest)
        if name in SHARDED:
            local = name + LOCAL_SUFFIX
            path = f"/clickhouse/tables/{{shard}}/{database}/{local}"
            engine = _replicated(create["engine"], create["args"], path)
            distributed = (
                f"Distributed({_quote(cluster)}, {_quote(database)}, {_quote(local)}, {SHARDED[name]})"
            )
            return [
                f"{create['head']}{local}{on}{create['body']}ENGINE = {engine}{rest}",
                f"{create['head']}{name}{on} AS {local}\nENGINE = {distributed}",
            ]
        path = f"/clickhouse/tables/all/{database}/{name}"
        engine = _replicated(create["engine"], create["args"], path)
        return [f"{create['head']}{name}{on}{create['body']}ENGINE = {engine}{rest}"]
    view = _VIEW.match(text)
    if view:
        target, source = (_local(view[name]) for name in ("target", "source"))
        head = f"{view['head']}{view['name']}{on} TO {target}"
        return [f"{head}{view['select']}{source}{view['rest']}"]
    insert = _INSERT_SELECT.match(text)
    if insert:
        # Written through before the statement returns, not queued by the Distributed table: a
        # later statement may exchange or drop the table the rows went to (0022).
        return [f"{insert['head']}SETTINGS distributed_foreground_insert = 1\n{text[insert.end('head') :]}"]
    alter = _ALTER.match(text)
    if alter:
        name, rest = alter["name"], alter["rest"]
        if name not in SHARDED:
            return [f"{alter['head']}{name}{on}{rest}"]
        statements = [f"{alter['head']}{name}{LOCAL_SUFFIX}{on}{rest}"]
        if _COLUMN_CHANGE.search(rest):  # the Distributed table carries the columns too
            statements.append(f"{alter['head']}{name}{on}{rest}")
        return statements
    exchange = _EXCHANGE.match(text)
    if exchange:
        first, second = exchange["first"], exchange["second"]
        if (first in SHARDED) != (second in SHARDED):
            raise ClusterDDLError(f"cannot exchange a sharded table with one that is not: {text[:80]!r}")
        # Sharded: the local tables change places; each Distributed table names its local one.
        return [f"EXCHANGE TABLES {_local(first)} AND {_local(second)}{on}"]
    drop = _DROP.match(text)
    if drop:
        name = drop["name"]
        tables = [name, name + LOCAL_SUFFIX] if name in SHARDED else [name]
        return [f"{drop['head']}{table}{on} SYNC" for table in tables]
    raise ClusterDDLError(f"no cluster form for: {text[:80]!r}")
