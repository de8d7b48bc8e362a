"""Every read of a pupil's record is appended here before the answer leaves: who (key id, role,
LA), when, what (the action and its subject) and the purpose they stated.

A read stores its entry itself, in its own thread, as soon as it knows how many rows it read
(`start_access_record`), before it builds its answer, so no answer leaves before its entry is
stored, and a read whose entry cannot be stored is not answered (`AccessRecord.wait` raises why).
Concurrent reads share one write: whoever holds the write takes every entry queued meanwhile, and
the others find theirs stored when their turn comes. (With a writer thread of its own, a read
handed its entry over and was woken when it was stored: that wait took 0.8 ms p50, 3.7 ms p99 on
the bench's history load, for a ~0.3 ms write.)
With the embedded ledger, "stored" means sealed into the process's chain and synced to the
access log's journal beside the ledger (rollwatch/core/sealed_journal.py, ~0.3 ms against a 6-9 ms
insert), from which a drain thread inserts it into the table within half a second; a process killed
in between leaves the journal, and the next one on the same ledger inserts what the table lacks.
With a ClickHouse server it means inserted there (`_journaled` says why), the entries of one
write in one insert: concurrent readers share one part.
Readers of the log in this process (`read_access_log`, `record_access`'s callers) wait for the
table to catch up first, so a read is listed as soon as it is answered."""

from __future__ import annotations

import atexit
import datetime as dt
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.sealed_journal import SealedJournal
from rollwatch.core.sealed_log import SealedWriter

ACCESS_LOG = "access_log"
_COLUMNS = ["read_at", "key_id", "role", "la_code", "action", "subject", "purpose", "rows"]
# The log is sealed into this process's hash chain (rollwatch/core/sealed_log.py).
_SEALED = SealedWriter(ACCESS_LOG, _COLUMNS)


# Longer than any write takes; a read waiting longer for the write under way fails rather than hang.
WRITE_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class AccessRecord:
    """An entry handed to the writer: stored, or failed, once `start_access_record` returns;
    `wait()` raises why it could not be stored."""

    written: Future[None] = field(default_factory=Future)

    def wait(self) -> None:
        self.written.result(timeout=WRITE_TIMEOUT_S)


class _Writer:
    """The queue of entries (clients, row, record) not yet stored, the lock of the one write under
    way, and a journal per ledger written to (closed with that ledger's clients)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[ClientPerThread, list[Any], AccessRecord]] = queue.SimpleQueue()
        self._writing = threading.Lock()
        self._lock = threading.Lock()
        self._journals: dict[int, SealedJournal] = {}

    def submit(self, clients: ClientPerThread, row: list[Any]) -> AccessRecord:
        """Blocking: the entry stored (or failed) in the calling thread, with whatever other
        readers queued while the write before was under way."""
        record = AccessRecord()
        self._queue.put((clients, row, record))
        # A write stuck past the timeout (a hung disk or server) fails this read rather than hang
        # it; its entry stays queued for the next write (logged and not answered is safe).
        if not self._writing.acquire(timeout=WRITE_TIMEOUT_S):
            raise TimeoutError("the access log's write under way did not end in time")
        try:
            if not record.written.done():  # else an earlier holder took it along
                self._write_queued()
        finally:
            self._writing.release()
        return record

    def journal(self, clients: ClientPerThread) -> SealedJournal:
        """The journal of these clients' ledger, opened (and what earlier processes left in it
        recovered) on first use."""
        with self._lock:
            journal = self._journals.get(id(clients))
            if journal is None:
                if not self._journals:  # a process that exits without closing its clients drains too
                    atexit.register(self.close_all)
                journal = SealedJournal(_SEALED, clients, clients.settings.audit_journal_dir)
                self._journals[id(clients)] = journal
                clients.on_close(partial(self._close, id(clients)))
            return journal

    def close_all(self) -> None:
        with self._lock:
            keys = list(self._journals)
        for key in keys:
            self._close(key)

    def flush(self, clients: ClientPerThread) -> None:
        with self._lock:
            journal = self._journals.get(id(clients))
        if journal is not None and not journal.flush(WRITE_TIMEOUT_S):
            raise TimeoutError("the access log's journal did not reach its table in time")

    def _close(self, key: int) -> None:
        with self._lock:
            journal = self._journals.pop(key, None)
        if journal is not None:
            journal.close()

    def _write_queued(self) -> None:
        batch: list[tuple[ClientPerThread, list[Any], AccessRecord]] = []
        while True:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        by_ledger: dict[int, list[tuple[ClientPerThread, list[Any], AccessRecord]]] = {}
        for entry in batch:
            by_ledger.setdefault(id(entry[0]), []).append(entry)
        for entries in by_ledger.values():
            self._write(entries)

    def _write(self, entries: list[tuple[ClientPerThread, list[Any], AccessRecord]]) -> None:
        clients, rows = entries[0][0], [row for _, row, _ in entries]
        try:
            if _journaled(clients):
                self.journal(clients).append(rows)
            else:
                _SEALED.append(clients.get(), rows)
        except Exception as exc:  # each waiting read fails with the reason
            for _, _, record in entries:
                record.written.set_exception(exc)
        else:
            for _, _, record in entries:
                record.written.set_result(None)


_WRITER = _Writer()


def _journaled(clients: ClientPerThread) -> bool:
    """The journal lives beside the embedded ledger, on the storage the ledger's durability rests
    on. With a ClickHouse server the entry is inserted there directly: its replicas are what keeps
    it, not the disk of whichever pod served the read."""
    return clients.settings.clickhouse_url is None


def open_access_log(clients: ClientPerThread) -> None:
    """Blocking. Open the access log's journal on this ledger now (at start, rather than at the
    first read), inserting what a process killed before its journal drained left in it."""
    if _journaled(clients):
        _WRITER.journal(clients)


def flush_access_log(clients: ClientPerThread) -> None:
    """Blocking. Returns once every entry this process stored on this ledger is in the table."""
    _WRITER.flush(clients)


def start_access_record(
    clients: ClientPerThread, caller: KeyRecord, action: str, subject: str, purpose: str, rows: int
) -> AccessRecord:
    """Blocking. Store the entry; the caller must `wait()` on it before answering (which raises if
    it could not be stored)."""
    row = [
        dt.datetime.now(dt.UTC),
        caller.key_id,
        caller.role,
        caller.la_code or "",
        action,
        subject,
        purpose,
        rows,
    ]
    return _WRITER.submit(clients, row)


def record_access(
    clients: ClientPerThread, caller: KeyRecord, action: str, subject: str, purpose: str, rows: int
) -> None:
    """Blocking: returns once the entry is stored and in the table; a read that cannot be logged
    is not answered."""
    start_access_record(clients, caller, action, subject, purpose, rows).wait()
    flush_access_log(clients)


def read_access_log(
    clients: ClientPerThread,
    start: dt.datetime,
    end: dt.datetime,
    subject: str | None,
    limit: int,
    *,
    subjects: Sequence[str] = (),
    key_id: str | None = None,
    purpose: str | None = None,
    newest_first: bool = False,
) -> list[dict[str, object]]:
    """Blocking. The first `limit` entries from `start` (inclusive) to `end`, oldest first (or
    newest): of one `subject` or any of `subjects` (a pupil's UPNs), of one reader's key, with
    `purpose` in their stated purpose (any case)."""
    flush_access_log(clients)  # every read this process answered is listed
    wanted = [*subjects, *([subject] if subject else [])]
    filters = [
        "read_at >= {start:DateTime64(3)}",
        "read_at < {end:DateTime64(3)}",
        *(["subject IN {subjects:Array(String)}"] if wanted else []),
        *(["key_id = {key_id:String}"] if key_id else []),
        *(["positionCaseInsensitiveUTF8(purpose, {purpose:String}) > 0"] if purpose else []),
    ]
    result = clients.get().query(
        f"SELECT {', '.join(_COLUMNS)} FROM {ACCESS_LOG} WHERE {' AND '.join(filters)} "
        f"ORDER BY read_at {'DESC' if newest_first else 'ASC'} LIMIT {{limit:UInt32}}",
        parameters={
            "start": start,
            "end": end,
            "subjects": wanted,
            "key_id": key_id or "",
            "purpose": purpose or "",
            "limit": limit,
        },
    )
    return [dict(zip(_COLUMNS, row, strict=True)) for row in result.result_rows]
