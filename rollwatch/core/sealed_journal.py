"""A sealed table's rows made durable before they reach the table, for a writer that must not keep
its caller waiting on an insert (the access log: a pupil's record is answered only once its read is
recorded, and a ClickHouse insert makes a part, 6-9 ms on the embedded engine, while appending a
line to a file and `fdatasync` takes ~0.3 ms).

`SealedJournal.append` seals rows into the process's chain (rollwatch/core/sealed_log.py), appends
them to a journal file and syncs it: when it returns the rows are stored. A drain thread then
inserts them into the table in batches (what half a second brought, or sooner when a reader of the
table asks: `flush`), and empties the file whenever the table has caught up. A
process that dies with rows in its journal leaves the file behind; the next writer on the same
database (`recover`) inserts those of its rows the table lacks (by chain and sequence number, so
nothing is written twice) and removes it. A live writer holds a lock on its own file, so a journal
is never recovered while its process may still drain it."""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import logging
import os
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from clickhouse_connect.driver.client import Client
from prometheus_client import Counter, Gauge

from rollwatch.core.clickhouse import ClientPerThread, database_key
from rollwatch.core.sealed_log import SEAL_COLUMNS, SealedWriter

log = logging.getLogger(__name__)

PENDING = Gauge(
    "rollwatch_audit_journal_pending_rows",
    "Audit entries stored in a journal and not yet in their table",
    ["table"],
)
DRAIN_FAILURES = Counter(
    "rollwatch_audit_journal_drain_failures_total",
    "Inserts of journalled audit entries that failed (the entries stay in the journal and are tried again)",
    ["table"],
)

# A failed insert is tried again after this long (the rows are safe in the journal meanwhile).
RETRY_S = 1.0
# Entries wait up to this long for others to share their insert: one part for many reads, where a
# part per read cost ~7 ms of CPU beside the next read's query (py-spy on the bench's history load:
# the drain's inserts a fifth of the process's samples). A reader of the table in this process does
# not wait (`flush`).
LINGER_S = 0.5
BATCH_ROWS = 1_000


class SealedJournal:
    """One process's journal of one sealed table in one database (see the module's docstring)."""

    def __init__(self, writer: SealedWriter, clients: ClientPerThread, folder: Path) -> None:
        self._writer = writer
        self._clients = clients
        where, database = database_key(clients.settings)
        self._prefix = f"{writer.table}.{hashlib.sha256(f'{where}/{database}'.encode()).hexdigest()[:16]}"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._folder = folder
        # Several sets of clients in one process may write to one database: a file each.
        self._path = folder / f"{self._prefix}.{writer.chain_id}.{uuid.uuid4().hex[:8]}.jsonl"
        # The entries name pupils (their UPNs as subjects): readable by the service's user only.
        self._fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._broken: OSError | None = None  # a failed write that could not be taken back
        self._lock = threading.Lock()  # the file and the rows not yet in the table
        self._pending: list[list[Any]] = []
        self._appended = 0  # rows ever appended; those not in the table yet are `_pending`
        self._inserted = 0  # rows ever inserted
        self._wake = threading.Condition(self._lock)
        self._drained = threading.Condition(self._lock)
        self._stopped = False
        self._urgent = False  # a flush is waiting: insert without lingering
        self.recover()
        self._thread = threading.Thread(target=self._drain, name=f"{writer.table}-journal", daemon=True)
        self._thread.start()

    def append(self, rows: Sequence[Sequence[Any]]) -> None:
        """Seal the rows and store them in the journal (synced to disk) before returning; raise
        when they could not be stored (the chain's head then stays where it was)."""
        client = self._clients.get()
        with self._lock:
            if self._broken is not None:
                raise RuntimeError("the access log's journal failed and cannot be written") from self._broken
            sealed = self._writer.seal(client, rows, self._store)
            self._pending.extend(sealed)
            PENDING.labels(self._writer.table).inc(len(sealed))
            self._appended += len(sealed)
            self._wake.notify()

    def _store(self, sealed: list[list[Any]]) -> None:
        """Append the rows' seals and sync; on failure, cut the file back to where it was, so no
        part of them is ever recovered (their sequence numbers will be sealed again)."""
        text = b"".join(orjson.dumps(row[-len(SEAL_COLUMNS) :]) + b"\n" for row in sealed)
        size = os.fstat(self._fd).st_size
        try:
            written = 0
            while written < len(text):
                written += os.write(self._fd, text[written:])
            os.fdatasync(self._fd)
        except OSError:
            try:
                os.ftruncate(self._fd, size)
                os.fdatasync(self._fd)
            except OSError as exc:
                self._broken = exc
            raise

    def flush(self, timeout: float = 60.0) -> bool:
        """Wait until every row appended so far is in the table (what a reader of the table in
        this process expects to find there); False if that took longer than `timeout`."""
        with self._lock:
            target = self._appended
            if self._pending:
                self._urgent = True
                self._wake.notify()
            return self._drained.wait_for(lambda: self._inserted >= target, timeout)

    def close(self) -> None:
        """Drain what is pending (as far as the table takes it) and stop."""
        self.flush(timeout=10.0)
        with self._lock:
            self._stopped = True
            self._wake.notify()
        self._thread.join(timeout=5.0)
        if not self._pending:
            self._path.unlink(missing_ok=True)
        PENDING.labels(self._writer.table).dec(len(self._pending))  # the next process's to recover
        os.close(self._fd)

    def _drain(self) -> None:
        failed = False
        while True:
            with self._lock:
                self._wake.wait_for(lambda: bool(self._pending) or self._stopped, RETRY_S if failed else None)
                if not failed:
                    self._wake.wait_for(
                        lambda: self._urgent or self._stopped or len(self._pending) >= BATCH_ROWS, LINGER_S
                    )
                if self._stopped:
                    return
                self._urgent = False
                batch = list(self._pending)
            try:
                client = self._clients.get()
                self._insert(client, batch, retried=failed)
            except Exception:
                DRAIN_FAILURES.labels(self._writer.table).inc()
                log.exception(
                    "journalled rows not yet in the table; kept, tried again", extra={"rows": len(batch)}
                )
                failed = True
                continue
            failed = False
            with self._lock:
                del self._pending[: len(batch)]
                PENDING.labels(self._writer.table).dec(len(batch))
                self._inserted += len(batch)
                if not self._pending:  # caught up: the journal holds nothing more
                    os.ftruncate(self._fd, 0)
                self._drained.notify_all()

    def _insert(self, client: Client, rows: list[list[Any]], *, retried: bool) -> None:
        if retried:  # a failed insert may still have landed
            rows = _missing(client, self._writer.table, rows)
        if rows:
            self._writer.insert(client, rows)

    def recover(self) -> int:
        """Insert the rows other writers on this table and database left in their journals and the
        table lacks; remove those journals. Returns how many rows were inserted."""
        inserted = 0
        for path in sorted(self._folder.glob(f"{self._prefix}.*.jsonl")):
            if path == self._path:
                continue
            with open(path, "rb") as left:
                try:
                    fcntl.flock(left, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its writer is alive
                rows = self._rows_of(left.read().splitlines())
                client = self._clients.get()
                missing = _missing(client, self._writer.table, rows)
                if missing:
                    self._writer.insert(client, missing)
                inserted += len(missing)
                path.unlink()
        if inserted:
            log.warning(
                "journalled rows recovered into the table",
                extra={"rows": inserted, "table": self._writer.table},
            )
        return inserted

    def _rows_of(self, lines: list[bytes]) -> list[list[Any]]:
        """The journal's rows with their values read back from their seals. A line cut short by a
        crash was never synced, so no caller was told it was stored: it is left out."""
        client = self._clients.get()
        types = self._writer.column_types(client)
        rows = []
        for line in lines:
            try:
                seal = orjson.loads(line)
                values = orjson.loads(seal[-1])
            except orjson.JSONDecodeError:
                continue
            rows.append(
                [_typed(values[name], kind) for name, kind in zip(self._writer.columns, types, strict=False)]
                + seal
            )
        return rows


def _typed(value: Any, kind: str) -> Any:
    """A value as the seal wrote it (rollwatch/core/sealed_log.py `plain`), back in its column's type."""
    if kind.startswith("DateTime") and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if kind.startswith("Date") and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def _missing(client: Client, table: str, rows: list[list[Any]]) -> list[list[Any]]:
    """The rows whose (chain, sequence number) the table does not hold."""
    if not rows:
        return rows
    at = len(rows[0]) - len(SEAL_COLUMNS)  # chain_id, chain_seq are the first seal columns
    seqs = [int(row[at + 1]) for row in rows]
    stored = {
        (str(chain), int(seq))
        for chain, seq in client.query(
            f"SELECT chain_id, chain_seq FROM {table} WHERE chain_id IN {{chains:Array(String)}} "
            "AND chain_seq BETWEEN {first:UInt64} AND {last:UInt64}",
            parameters={
                "chains": sorted({str(row[at]) for row in rows}),
                "first": min(seqs),
                "last": max(seqs),
            },
        ).result_rows
    }
    return [row for row in rows if (str(row[at]), int(row[at + 1])) not in stored]
