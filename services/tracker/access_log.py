"""Every read of a pupil's record is appended here before the answer leaves: who (key id, role,
LA), when, what (the action and its subject) and the purpose they stated.

The entries are written by one writer thread per process, in batches: a read hands its entry over
(`start_access_record`) as soon as it knows how many rows it read, goes on building its answer
while the entry is written, and waits for the write before it returns (`AccessRecord.wait`), so no
answer leaves before its entry is stored, and a read whose entry cannot be stored is not answered.
Entries handed over while a write is under way go together into the next insert: concurrent readers
share one insert (one part) instead of each making its own."""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from rollwatch.core.access.keys import KeyRecord
from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.sealed_log import SealedWriter

ACCESS_LOG = "access_log"
_COLUMNS = ["read_at", "key_id", "role", "la_code", "action", "subject", "purpose", "rows"]
# The log is sealed into this process's hash chain (rollwatch/core/sealed_log.py).
_SEALED = SealedWriter(ACCESS_LOG, _COLUMNS)


# Longer than any insert takes; a writer stuck past it fails the read rather than hang it.
WRITE_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class AccessRecord:
    """An entry handed to the writer: `wait()` returns once it is stored, or raises why not."""

    written: Future[None] = field(default_factory=Future)

    def wait(self) -> None:
        self.written.result(timeout=WRITE_TIMEOUT_S)


class _Writer:
    """The writer thread (started on first use) and its queue of (clients, row, record)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[ClientPerThread, list[Any], AccessRecord]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, clients: ClientPerThread, row: list[Any]) -> AccessRecord:
        record = AccessRecord()
        self._queue.put((clients, row, record))
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name="access-log-writer", daemon=True)
                    self._thread.start()
        return record

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
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

    @staticmethod
    def _write(entries: list[tuple[ClientPerThread, list[Any], AccessRecord]]) -> None:
        try:
            _SEALED.append(entries[0][0].get(), [row for _, row, _ in entries])
        except Exception as exc:  # each waiting read fails with the reason
            for _, _, record in entries:
                record.written.set_exception(exc)
        else:
            for _, _, record in entries:
                record.written.set_result(None)


_WRITER = _Writer()


def start_access_record(
    clients: ClientPerThread, caller: KeyRecord, action: str, subject: str, purpose: str, rows: int
) -> AccessRecord:
    """Hand the entry to the writer; the caller must `wait()` on it before answering."""
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
    """Blocking: returns once the entry is stored; a read that cannot be logged is not answered."""
    start_access_record(clients, caller, action, subject, purpose, rows).wait()


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
