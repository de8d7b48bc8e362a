"""Audit tables made tamper-evident: the access log, the alert lifecycle and the record of ledger
verifications are append-only, and each row is sealed into a hash chain as the ledger's rows are.

A table's writer in each process keeps a chain of its own (`chain_id`, drawn when the process
starts), so processes never contend for one head. A row's `sealed` column holds the canonical JSON
of its values as written; its `hash` is SHA-256 of `prev_hash '\\n' sealed`. The verifier recomputes
every chain and checks every typed column (what readers filter and display on) against `sealed`,
so altering, removing, inserting or reordering rows is named. Rows written before the table was
sealed (empty `chain_id`) are counted, not judged. Checkpoints record each chain's head, so
removing a chain's newest rows is caught too (see services/tracker/checkpoints.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from clickhouse_connect.driver.client import Client

GENESIS = "0" * 64
SEAL_COLUMNS = ["chain_id", "chain_seq", "prev_hash", "hash", "sealed"]
# The sealed tables (their DDL is in the migrations, which hold every table). The verifier checks
# each column named in a row's seal, so a column added to a table later is covered by the rows
# written after it.
SEALED_TABLES = ("access_log", "alert_lifecycle", "ledger_verifications", "school_roll_checks")


def plain(value: Any) -> Any:
    """A value as the seal writes it: datetimes in UTC to the millisecond (what DateTime64(3)
    keeps), dates ISO, sequences as lists, mappings as objects with sorted keys."""
    if isinstance(value, dt.datetime):
        utc = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
        return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): plain(value[key]) for key in sorted(value)}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def seal_text(columns: Sequence[str], row: Sequence[Any]) -> str:
    return orjson.dumps(dict(zip(columns, (plain(v) for v in row), strict=True))).decode()


def link(prev_hash: str, sealed: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{sealed}".encode()).hexdigest()


class SealedWriter:
    """This process's chain over one table (one chain per database the process writes to).
    `append` seals and inserts under a lock, and moves the head only once the insert succeeded,
    so a failed write leaves no gap in the chain."""

    def __init__(self, table: str, columns: Sequence[str]) -> None:
        self.table = table
        self.columns = list(columns)
        self._chain_id = uuid.uuid4().hex
        self._heads: dict[str, tuple[int, str]] = {}
        # The column types, asked of each database once: without them every insert would first ask
        # for the table's structure (a query more per audited read).
        self._types: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    @property
    def chain_id(self) -> str:
        return self._chain_id

    def append(
        self, client: Client, rows: Iterable[Sequence[Any]], settings: dict[str, Any] | None = None
    ) -> None:
        """Seal `rows` (values in `columns` order) and insert them with their seal columns."""
        database = _database_of(client)
        with self._lock:
            sealed_rows, head = self._sealed(client, database, rows)
            self._heads.pop(database, None)  # if the insert fails, its rows may still have landed
            self.insert(client, sealed_rows, settings)
            self._heads[database] = head

    def seal(
        self, client: Client, rows: Iterable[Sequence[Any]], store: Callable[[list[list[Any]]], None]
    ) -> list[list[Any]]:
        """`rows` sealed with their seal columns and handed to `store`, which keeps them durably
        elsewhere until they are inserted (rollwatch/core/sealed_journal.py); the chain's head moves
        past them once `store` returns. A `store` that raises must leave nothing of them behind."""
        database = _database_of(client)
        with self._lock:
            sealed_rows, head = self._sealed(client, database, rows)
            store(sealed_rows)
            self._heads[database] = head
            return sealed_rows

    def insert(
        self, client: Client, sealed_rows: list[list[Any]], settings: dict[str, Any] | None = None
    ) -> None:
        names = [*self.columns, *SEAL_COLUMNS]
        client.insert(
            self.table,
            sealed_rows,
            column_names=names,
            column_type_names=self.column_types(client),
            settings=settings,
        )

    def _sealed(
        self, client: Client, database: str, rows: Iterable[Sequence[Any]]
    ) -> tuple[list[list[Any]], tuple[int, str]]:
        seq, head = self._heads.get(database) or self._stored_head(client)
        sealed_rows = []
        for row in rows:
            text = seal_text(self.columns, row)
            seq += 1
            digest = link(head, text)
            sealed_rows.append([*row, self._chain_id, seq, head, digest, text])
            head = digest
        return sealed_rows, (seq, head)

    def column_types(self, client: Client) -> list[str]:
        """The table's column types, the seal's included, asked of each database once."""
        database = _database_of(client)
        if database not in self._types:
            described = client.query(f"DESCRIBE TABLE {self.table}").result_rows
            types = {str(row[0]): str(row[1]) for row in described}
            self._types[database] = [types[name] for name in [*self.columns, *SEAL_COLUMNS]]
        return self._types[database]

    def _stored_head(self, client: Client) -> tuple[int, str]:
        """This chain's head as stored: after a failed insert, whatever of it landed."""
        found = client.query(
            f"SELECT max(chain_seq), argMax(hash, chain_seq) FROM {self.table} WHERE chain_id = {{c:String}}",
            parameters={"c": self._chain_id},
        ).result_rows
        seq, digest = found[0] if found else (0, "")
        return (int(seq), str(digest)) if seq else (0, GENESIS)


def _database_of(client: Client) -> str:
    return str(getattr(client, "database", "") or "")


@dataclass(frozen=True)
class SealBreak:
    table: str
    chain_id: str
    chain_seq: int
    problem: str


@dataclass(frozen=True)
class SealReport:
    table: str
    rows: int
    unsealed_rows: int
    chains: int
    first_break: SealBreak | None


def verify_table(client: Client, table: str, heads: Mapping[str, tuple[int, str]]) -> SealReport:
    """Recompute every chain of `table`, check each row's typed columns against its seal, and
    check that every checkpointed head (`heads`: chain id -> (seq, hash)) is still there."""
    unsealed = int(client.query(f"SELECT count() FROM {table} WHERE chain_id = ''").result_rows[0][0])
    described = client.query(f"DESCRIBE TABLE {table}").result_rows
    columns = [str(row[0]) for row in described if row[0] not in SEAL_COLUMNS]
    select = ", ".join([*SEAL_COLUMNS, *columns])
    rows = 0
    chains: dict[str, tuple[int, str]] = {}
    first: SealBreak | None = None
    with client.query_row_block_stream(
        f"SELECT {select} FROM {table} WHERE chain_id != '' ORDER BY chain_id, chain_seq"
    ) as stream:
        for block in stream:
            for row in block:
                rows += 1
                if first is None:
                    first = _check_row(table, columns, row, chains)
                chain_id, seq, _, digest, _ = row[:5]
                chains[chain_id] = (int(seq), digest)
    if first is None:
        for chain_id, (seq, digest) in sorted(heads.items()):
            if chain_id not in chains or _head_at(client, table, chain_id, seq) != digest:
                first = SealBreak(table, chain_id, seq, "a checkpointed head is gone or altered")
                break
    return SealReport(table, rows, unsealed, len(chains), first)


def _check_row(
    table: str, columns: Sequence[str], row: Sequence[Any], chains: Mapping[str, tuple[int, str]]
) -> SealBreak | None:
    chain_id, seq, prev_hash, digest, sealed = row[:5]
    expected_seq, expected_prev = chains.get(chain_id, (0, GENESIS))
    if link(prev_hash, sealed) != digest:
        return SealBreak(table, chain_id, int(seq), "row altered: its hash does not match its seal")
    if int(seq) != expected_seq + 1:
        return SealBreak(
            table, chain_id, int(seq), "chain broken: a row is missing or repeated before this one"
        )
    if prev_hash != expected_prev:
        return SealBreak(
            table, chain_id, int(seq), "chain broken: prev_hash is not the hash of the row before"
        )
    values = orjson.loads(sealed)
    for column, value in zip(columns, row[5:], strict=True):
        if column in values and plain(value) != values[column]:
            return SealBreak(table, chain_id, int(seq), f"typed column {column} differs from the sealed row")
    return None


def _head_at(client: Client, table: str, chain_id: str, seq: int) -> str | None:
    found = client.query(
        f"SELECT hash FROM {table} WHERE chain_id = {{c:String}} AND chain_seq = {{s:UInt64}}",
        parameters={"c": chain_id, "s": seq},
    ).result_rows
    return str(found[0][0]) if len(found) == 1 else None


def current_heads(client: Client, table: str) -> list[tuple[str, int, str]]:
    result = client.query(
        f"SELECT chain_id, max(chain_seq), argMax(hash, chain_seq) FROM {table} WHERE chain_id != '' "
        "GROUP BY chain_id ORDER BY chain_id"
    )
    return [(chain_id, int(seq), digest) for chain_id, seq, digest in result.result_rows]
